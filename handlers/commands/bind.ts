import { bindChat } from '../../src/usecases/bind-chat.js';
import { publishPledge } from '../../src/usecases/pledge/publish-pledge.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

export const bind: CommandHandler = async (deps, ctx) => {
  if (ctx.chatType !== 'group') {
    await answer(deps, ctx, { text: '「绑定」要在群里使用：把我拉进组织的群，然后在群里发送「@践诺助手 绑定 组织编码」。' });
    return;
  }
  const confirmed = ctx.args[1] === '确认' || ctx.args[1]?.toLowerCase() === 'confirm';
  const r = await bindChat(deps, { chatId: ctx.chatId, actorOpenId: ctx.openId, orgCode: ctx.args[0], confirmed });
  if (!r.ok) {
    await answer(deps, ctx, { text: r.reason });
    return;
  }
  const publishing = r.changed && r.toPublish ? '；已审定的承诺书随后在本群公示' : '';
  await answer(deps, ctx, { text: `本群已绑定到「${r.orgName}」（${r.orgCode}）${r.previous ? `，原绑定「${r.previous}」已解除` : ''}。今后的截止提醒和公示会发到这里${publishing}。` });
  // After the answer: the outbox sends a chat's messages in the order they were queued.
  if (r.toPublish) await publishPledge(deps, r.toPublish, ctx.chatId);
};
