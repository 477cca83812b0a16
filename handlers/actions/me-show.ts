import { z } from 'zod';
import { toast } from '../../cards/card-kit.js';
import { meCard } from '../../cards/me-card.js';
import { whatNext } from '../../src/usecases/what-next.js';
import { noRoleText, whoIs } from '../../src/usecases/who-is.js';
import { defineAction } from '../on-card-action.js';

/** "我的身份" button on the help card: sends the presser their own roles, privately. */
export const meShow = defineAction({
  value: z.object({ action: z.literal('me.show') }),
  async handle(deps, ctx) {
    const who = await whoIs(deps, ctx.openId);
    await deps.outbox.enqueue({ key: `me:${ctx.eventId}`, to: { openId: ctx.openId }, card: meCard({ name: who.person?.name, grants: who.grants, next: await whatNext(deps, who), noRole: who.person ? noRoleText(who) : undefined }) });
    return toast('success', '已私信发送你的组织和角色');
  },
});
