import { openPledge } from '../../src/usecases/pledge/open-pledge.js';
import { noRoleText, whoIs } from '../../src/usecases/who-is.js';
import { codeAndYear } from '../command-args.js';
import { answer } from '../context.js';
import { startPledgeDialog } from '../dialogs/pledge-dialog.js';
import { openPledgeReply } from '../pledge-replies.js';
import type { CommandHandler } from './registry.js';

/** `承诺 [组织编码] [年份]` opens this year's pledge; `承诺 对话` fills it in by typing. */
export const pledge: CommandHandler = async (deps, ctx) => {
  if (ctx.chatType !== 'p2p') {
    // Only a secretary files a pledge: sending anyone else to the private chat ends in a refusal there.
    const me = await whoIs(deps, ctx.openId);
    const text = me.roles.has('secretary')
      ? '承诺书请在与我的私聊中填写：点我的头像 → 发消息，然后发送「承诺」。'
      : me.roles.has('leader') || me.roles.has('admin')
        ? '公开承诺书由下级党组织书记填写，提交后会私信请你审定。私聊我发送「审核」查看待审定的，「导出 承诺书」下载已审定的。'
        : me.grants.length
          ? '公开承诺书由党组织书记填写，经上级党组织审定后在本组织的群里公示。公示后，你可以在公示卡片上提交「意见和建议」。'
          : noRoleText(me);
    await answer(deps, ctx, { text });
    return;
  }
  const chat = ctx.args[0] === '对话' || ctx.args[0] === 'chat';
  const rest = chat ? ctx.args.slice(1) : ctx.args;
  const { code, year } = codeAndYear(rest);
  const r = await openPledge(deps, { openId: ctx.openId, orgCode: code, year });
  if (chat && r.kind === 'form') {
    await startPledgeDialog(deps, ctx, r.form.versionId);
    return;
  }
  if (chat && r.kind === 'status') {
    // Asked to type it in, shown a card: say why first (nothing to fill in now), then the card.
    const why = r.ctx.version.status === 'submitted' ? '已提交，正在等待上级审定' : r.openRevision ? `已审定，第 ${r.openRevision.versionNo} 版修订正在等待上级审定` : '已审定';
    const next = r.ctx.version.status === 'approved' && !r.openRevision ? '要修改请点下面卡片上的「修订承诺」。' : '';
    await answer(deps, ctx, { text: `这份承诺书${why}，现在没有要逐项填写的内容。${next}` });
    await answer(deps, ctx, openPledgeReply(r), 1);
    return;
  }
  await answer(deps, ctx, openPledgeReply(r));
};
