import { appendAudit, auditRowsFor } from '../../../db/repos/audit.js';
import { EDITABLE_STATUSES, isEditable, transition } from '../../../db/repos/pledges.js';
import { clearDialogOn } from '../../../db/repos/dialogs.js';
import { canFile } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';

/** `withdrawn`: it had been submitted, so it is kept (as 已撤回), not deleted. */
export type AbandonResult = { kind: 'refused'; reason: string } | { kind: 'abandoned'; inForce: PledgeContext; versionNo: number; withdrawn: boolean };

/**
 * 放弃修订: a revision never submitted is deleted, and the approved version stays in force as if
 * it had never been started. 撤回修订: a revision once submitted and sent back was signed and
 * reviewed, so it is kept, as 已撤回 (withdrawRevision), and the approved version stays in force.
 * A revision never submitted is first taken by a compare-and-set that moves it to 'abandoning' (every
 * writer of a draft requires draft or returned, so nothing writes to it after), audited with what
 * it held, then its items and itself are deleted. D1 has no transactions: a row left 'abandoning'
 * by a cut is invisible to openVersionOf and is finished by the next revision (finishCutShort).
 */
export async function abandonRevision(deps: Deps, input: { openId: string; versionId: number; rev: number }): Promise<AbandonResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '这份修订已经放弃或不存在。发送「承诺」查看现行承诺书。' };
  const me = await whoIs(deps, input.openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以放弃修订。` };
  const inForceId = ctx.pledge.current_version_id;
  if (!inForceId) return { kind: 'refused', reason: '这是首次填写的承诺书，没有可放弃的修订。' };
  if (inForceId === ctx.version.id) return { kind: 'refused', reason: '现行的审定版本不能放弃；能放弃的是还没提交的修订版本。' };
  // Withdrawn already (this press again, or a withdrawal cut short before its audit row): finished, and said so.
  if (ctx.version.status === 'withdrawn') return finishWithdrawal(deps, ctx, input.openId, inForceId);
  if (ctx.version.status === 'submitted') return { kind: 'refused', reason: `第 ${ctx.version.version_no} 版修订正在等待上级审定，审定前不能撤回。` };
  if (!isEditable(ctx.version.status)) return { kind: 'refused', reason: '这份修订已经放弃或审定，不能再放弃。发送「承诺」查看现行承诺书。' };
  if (ctx.version.submitted_at) return withdrawRevision(deps, ctx, input, inForceId);
  const taken = await deps.db
    .updateTable('pledge_versions')
    .set({ status: 'abandoning' })
    .where('id', '=', ctx.version.id)
    .where('revision', '=', input.rev)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return { kind: 'refused', reason: '这张卡片已过期（内容已在别处更新），请发送「承诺」获取最新卡片。' };
  const now = deps.now();
  await auditEnd(deps, ctx, 'pledge.revision_abandon', { actor: input.openId }, now);
  await deleteVersion(deps, ctx.version.id);
  await clearDialogOn(deps.db, input.openId, 'pledge', ctx.version.id, now);
  return { kind: 'abandoned', inForce: (await loadPledgeContext(deps, inForceId))!, versionNo: ctx.version.version_no, withdrawn: false };
}

/** 撤回修订: a revision submitted before (now returned, or being edited after a return) is kept as 已撤回. */
async function withdrawRevision(deps: Deps, ctx: PledgeContext, input: { openId: string; rev: number }, inForceId: number): Promise<AbandonResult> {
  if (!(await transition(deps.db, ctx.version.id, EDITABLE_STATUSES, 'withdrawn', {}, deps.now(), input.rev))) {
    return { kind: 'refused', reason: '这张卡片已过期（内容已在别处更新），请发送「承诺」获取最新卡片。' };
  }
  return finishWithdrawal(deps, (await loadPledgeContext(deps, ctx.version.id))!, input.openId, inForceId);
}

/**
 * What follows the status change, safe to run again: the audit row (D1 has no transactions, so a
 * cut may have left the status changed without it) and the end of the secretary's dialog on it.
 */
async function finishWithdrawal(deps: Deps, ctx: PledgeContext, openId: string, inForceId: number): Promise<AbandonResult> {
  await auditEnd(deps, ctx, 'pledge.revision_withdraw', { actor: openId }, new Date(ctx.version.updated_at));
  await clearDialogOn(deps.db, openId, 'pledge', ctx.version.id, deps.now());
  return { kind: 'abandoned', inForce: (await loadPledgeContext(deps, inForceId))!, versionNo: ctx.version.version_no, withdrawn: true };
}

/**
 * The audit row of a revision's end — abandoned (then deleted) or withdrawn (kept) — written once
 * for the version, whenever written, with what the version held (after a return it may have been
 * edited, unsigned). `finishedBy`: written later, by the bot, when someone else's action finished
 * what a cut left (who pressed 放弃/撤回 is not known then): the row says so instead of naming them.
 */
async function auditEnd(deps: Deps, ctx: PledgeContext, action: 'pledge.revision_abandon' | 'pledge.revision_withdraw', who: { actor: string } | { finishedBy: string }, at: Date): Promise<void> {
  const items = ctx.view.items.map((i) => ({ content: i.content, standard: i.standard, due: i.due }));
  const status = action === 'pledge.revision_withdraw' ? { status: 'withdrawn' } : null;
  const later = 'finishedBy' in who ? { finished_later_by: who.finishedBy } : {};
  const entry = {
    actor: 'actor' in who ? who.actor : 'system',
    action,
    entity: 'pledge_version',
    entityId: ctx.version.id,
    before: { version: ctx.version.version_no, profile: ctx.view.profile, items },
    after: status || 'finishedBy' in who ? { ...status, ...later } : null,
  };
  await appendAudit(deps.db, entry, at, { once: { since: '' } });
}

async function deleteVersion(deps: Pick<Deps, 'db'>, versionId: number): Promise<void> {
  await deps.db.deleteFrom('pledge_items').where('version_id', '=', versionId).execute();
  await deps.db.deleteFrom('pledge_versions').where('id', '=', versionId).where('status', '=', 'abandoning').execute();
}

/**
 * Before numbering a new version: finishes what a cut left of an abandonment (its audit row,
 * then the version deleted) or of a withdrawal (its audit row). Only versions whose row is
 * missing are loaded: this runs at every 修订承诺, and a pledge's history only grows.
 */
export async function finishCutShort(deps: Deps, pledgeId: number, actor: string): Promise<void> {
  const left = await deps.db.selectFrom('pledge_versions').select(['id', 'status']).where('pledge_id', '=', pledgeId).where('status', 'in', ['abandoning', 'withdrawn']).execute();
  if (left.length === 0) return;
  const rows = await auditRowsFor(deps.db, { entity: 'pledge_version', entityIds: left.map((v) => v.id), actions: ['pledge.revision_abandon', 'pledge.revision_withdraw'] });
  const logged = new Set(rows.map((r) => r.entity_id));
  for (const v of left) {
    if (!logged.has(String(v.id))) {
      const ctx = (await loadPledgeContext(deps, v.id))!;
      const action = v.status === 'abandoning' ? 'pledge.revision_abandon' : 'pledge.revision_withdraw';
      await auditEnd(deps, ctx, action, { finishedBy: actor }, new Date(ctx.version.updated_at));
    }
    if (v.status === 'abandoning') await deleteVersion(deps, v.id);
  }
}
