import { appendAudit } from '../../../db/repos/audit.js';
import { clearDialogOn } from '../../../db/repos/dialogs.js';
import { canFile } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';

export type AbandonResult = { kind: 'refused'; reason: string } | { kind: 'abandoned'; inForce: PledgeContext; versionNo: number };

/**
 * 放弃修订: a revision never submitted is deleted, and the approved version stays in force as if
 * it had never been started. A version once submitted (returned ones too) was signed and reviewed:
 * it is kept. The version is first taken by a compare-and-set that moves it to 'abandoning' (every
 * writer of a draft requires draft or returned, so nothing writes to it after), audited with what
 * it held, then its items and itself are deleted. D1 has no transactions: a row left 'abandoning'
 * by a cut is invisible to openVersionOf and is finished by the next revision (finishAbandoned).
 */
export async function abandonRevision(deps: Deps, input: { openId: string; versionId: number; rev: number }): Promise<AbandonResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '这份修订已经放弃或不存在。发送「承诺」查看现行承诺书。' };
  const me = await whoIs(deps, input.openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以放弃修订。` };
  const inForceId = ctx.pledge.current_version_id;
  if (!inForceId) return { kind: 'refused', reason: '这是首次填写的承诺书，没有可放弃的修订。' };
  if (inForceId === ctx.version.id) return { kind: 'refused', reason: '现行的审定版本不能放弃；能放弃的是还没提交的修订版本。' };
  if (ctx.version.status !== 'draft' || ctx.version.submitted_at) {
    return { kind: 'refused', reason: `第 ${ctx.version.version_no} 版修订已经提交过、经上级审过，不能放弃；请按意见修改后重新提交。` };
  }
  const taken = await deps.db
    .updateTable('pledge_versions')
    .set({ status: 'abandoning' })
    .where('id', '=', ctx.version.id)
    .where('revision', '=', input.rev)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return { kind: 'refused', reason: '这张卡片已过期（内容已在别处更新），请发送「承诺」获取最新卡片。' };
  const now = deps.now();
  const items = ctx.view.items.map((i) => ({ content: i.content, standard: i.standard, due: i.due }));
  await appendAudit(deps.db, { actor: input.openId, action: 'pledge.revision_abandon', entity: 'pledge_version', entityId: ctx.version.id, before: { version: ctx.version.version_no, profile: ctx.view.profile, items }, after: null }, now);
  await deleteVersion(deps, ctx.version.id);
  await clearDialogOn(deps.db, input.openId, 'pledge', ctx.version.id, now);
  return { kind: 'abandoned', inForce: (await loadPledgeContext(deps, inForceId))!, versionNo: ctx.version.version_no };
}

async function deleteVersion(deps: Pick<Deps, 'db'>, versionId: number): Promise<void> {
  await deps.db.deleteFrom('pledge_items').where('version_id', '=', versionId).execute();
  await deps.db.deleteFrom('pledge_versions').where('id', '=', versionId).where('status', '=', 'abandoning').execute();
}

/** Finishes what an abandonment cut short (its audit row is written): before numbering a new version. */
export async function finishAbandoned(deps: Pick<Deps, 'db'>, pledgeId: number): Promise<void> {
  const left = await deps.db.selectFrom('pledge_versions').select('id').where('pledge_id', '=', pledgeId).where('status', '=', 'abandoning').execute();
  for (const v of left) await deleteVersion(deps, v.id);
}
