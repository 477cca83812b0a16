import { meCard } from '../../cards/me-card.js';
import { whatNext } from '../../src/usecases/what-next.js';
import { noRoleText, whoIs } from '../../src/usecases/who-is.js';
import { answer, sendWord } from '../context.js';
import type { CommandHandler } from './registry.js';

export const me: CommandHandler = async (deps, ctx) => {
  const who = await whoIs(deps, ctx.openId);
  // What each role has to do (a draft, reviews waiting) is the asker's, not a group's to read.
  const next = ctx.chatType === 'p2p' ? await whatNext(deps, who) : undefined;
  await answer(deps, ctx, { card: meCard({ name: who.person?.name, grants: who.grants, next, send: sendWord(ctx.chatType), noRole: who.person ? noRoleText(who) : undefined }) });
};
