import { meCard } from '../../cards/me-card.js';
import { whatNext } from '../../src/usecases/what-next.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

export const me: CommandHandler = async (deps, ctx) => {
  const who = await whoIs(deps, ctx.openId);
  await answer(deps, ctx, { card: meCard({ name: who.person?.name, grants: who.grants, next: await whatNext(deps, who) }) });
};
