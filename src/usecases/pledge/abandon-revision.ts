import { appendAudit } from '../../../db/repos/audit.js';
import { clearDialog, getDialog } from '../../../db/repos/dialogs.js';
import { canFile } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';

export type AbandonResult = { kind: 'refused'; reason: string } | { kind: 'abandoned'; inForce: PledgeContext; versionNo: number };

/**
 * 放弃修订: a revision not yet submitted is deleted, and the approved version stays in force as
 * if it had never been started. The version is first taken by a compare-and-set on its status
 * and revision (a save or a submission from an older card then fails as stale), its items are
 * deleted, then the version itself (D1 has no transactions: a cut between leaves an empty draft,
 * which 放弃修订 removes again).
 */
export async function abandonRevision(deps: Deps, input: { openId: string; versionId: number; rev: number }): Promise<AbandonResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '这份修订已经放弃或不存在。发送「承诺」查看现行承诺书。' };
  const me = await whoIs(deps, input.openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以放弃修订。` };
  const inForceId = ctx.pledge.current_version_id;
  if (!inForceId || inForceId === ctx.version.id) return { kind: 'refused', reason: '这是首次填写的承诺书，没有可放弃的修订。' };
  if (ctx.version.status === 'submitted') return { kind: 'refused', reason: `第 ${ctx.version.version_no} 版修订已提交、正在审定，不能放弃。` };
  if (ctx.version.status !== 'draft' && ctx.version.status !== 'returned') return { kind: 'refused', reason: '这一版已经审定，不能放弃。' };
  const taken = await deps.db
    .updateTable('pledge_versions')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .where('id', '=', ctx.version.id)
    .where('revision', '=', input.rev)
    .where('status', 'in', ['draft', 'returned'])
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return { kind: 'refused', reason: '这张卡片已过期（内容已在别处更新），请发送「承诺」获取最新卡片。' };
  await deps.db.deleteFrom('pledge_items').where('version_id', '=', ctx.version.id).execute();
  await deps.db.deleteFrom('pledge_versions').where('id', '=', ctx.version.id).execute();
  const now = deps.now();
  await appendAudit(deps.db, { actor: input.openId, action: 'pledge.revision_abandon', entity: 'pledge_version', entityId: ctx.version.id, before: { version: ctx.version.version_no, status: ctx.version.status }, after: null }, now);
  const dialog = await getDialog(deps.db, input.openId, now);
  if (dialog?.kind === 'pledge' && dialog.data.versionId === ctx.version.id) await clearDialog(deps.db, input.openId);
  return { kind: 'abandoned', inForce: (await loadPledgeContext(deps, inForceId))!, versionNo: ctx.version.version_no };
}
