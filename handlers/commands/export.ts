import { localDate } from '../../src/domain/dates.js';
import { pledgeYearFor } from '../../src/domain/cycle.js';
import { pledgeFile, printableVersion } from '../../src/usecases/pledge/pledge-file.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

/** `导出 承诺书 [组织编码] [年份]`: the printable pledge as a Word file in this chat. */
export const exportCommand: CommandHandler = async (deps, ctx) => {
  const [what, ...rest] = ctx.args;
  if (what !== '承诺书' && what !== 'pledge') {
    await answer(deps, ctx, { text: '现在可以导出：「导出 承诺书」（本组织），或「导出 承诺书 组织编码 年份」。' });
    return;
  }
  const year = rest.find((a) => /^\d{4}$/.test(a)) ? Number(rest.find((a) => /^\d{4}$/.test(a))) : pledgeYearFor(localDate(deps.now(), deps.timeZone));
  let code = rest.find((a) => !/^\d{4}$/.test(a));
  if (!code) {
    const me = await whoIs(deps, ctx.openId);
    code = me.grants.find((g) => g.role === 'secretary')?.orgCode ?? me.grants[0]?.orgCode;
    if (!code) {
      await answer(deps, ctx, { text: '你还不在组织名录中。请写明组织编码：「导出 承诺书 组织编码」。' });
      return;
    }
  }
  const v = await printableVersion(deps, code, year);
  if (!v.ok) {
    await answer(deps, ctx, { text: v.reason });
    return;
  }
  const f = await pledgeFile(deps, { openId: ctx.openId, versionId: v.versionId });
  if (!f.ok) {
    await answer(deps, ctx, { text: f.reason });
    return;
  }
  await deps.outbox.enqueue({ key: `export:${ctx.messageId}`, to: { chatId: ctx.chatId }, file: { name: f.name, data: f.data } });
  await answer(deps, ctx, { text: `已生成「${f.name}」（第 ${f.ctx.version.version_no} 版）。打印一式四份：本级留存一份、公示一份、报送上级两份。` }, 1);
};
