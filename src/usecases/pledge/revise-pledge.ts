import { appendAudit } from '../../../db/repos/audit.js';
import { createVersion, draftOf, openVersionOf, saveDraft, versionsOf } from '../../../db/repos/pledges.js';
import type { PledgeFormView } from '../../../cards/pledge-form-card.js';
import { closedYearReason } from '../../domain/cycle.js';
import { localDate, localYear } from '../../domain/dates.js';
import { canFile } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { finishCutShort } from './abandon-revision.js';
import { formViewOf } from './open-pledge.js';
import { loadPledgeContext, newItemKey } from './pledge-context.js';

export type ReviseResult = { kind: 'refused'; reason: string } | { kind: 'form'; form: PledgeFormView; message: string };

/**
 * 回头审诺: a new version of the approved pledge, drafted from it and reviewed again; the
 * approved one stays in force until the new one is approved. With `followsKey`, the new draft
 * gets an empty item linked to that completed item (再承诺).
 */
export async function revisePledge(deps: Deps, input: { openId: string; versionId: number; followsKey?: string }): Promise<ReviseResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '找不到这份承诺书。' };
  const me = await whoIs(deps, input.openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以修订它的承诺书。` };
  const closed = closedYearReason(ctx.pledge.year, localDate(deps.now(), deps.timeZone));
  if (closed) return { kind: 'refused', reason: closed };
  const inForce = ctx.pledge.current_version_id ? await loadPledgeContext(deps, ctx.pledge.current_version_id) : undefined;
  if (!inForce) return { kind: 'refused', reason: '承诺书还没有审定的版本，请先完成首次提交和审定。' };
  if (input.followsKey && !inForce.view.items.some((i) => i.key === input.followsKey && i.done)) {
    return { kind: 'refused', reason: '只有已完成的承诺事项才能再承诺。' };
  }
  const open = await openVersionOf(deps.db, ctx.pledge.id);
  if (open) {
    if (open.status === 'submitted') return { kind: 'refused', reason: `第 ${open.version_no} 版修订已提交、正在审定，审定后才能再修订。` };
    // A revision is already being drafted: continue it (adding the re-pledge slot if asked).
    const draft = await draftOf(deps.db, open);
    if (input.followsKey && !draft.items.some((i) => i.follows === input.followsKey)) {
      draft.items.push({ content: '', standard: '', due: '', follows: input.followsKey });
      await saveDraft(deps.db, open.id, open.revision, draft, deps.now(), newItemKey);
    }
    const openCtx = (await loadPledgeContext(deps, open.id))!;
    return { kind: 'form', form: await formViewOf(deps, openCtx), message: `继续修订第 ${open.version_no} 版` };
  }
  const now = deps.now();
  const draft = await draftOf(deps.db, inForce.version);
  // The re-pledge slot is stored with its link; left empty, it is dropped on the next save.
  if (input.followsKey) draft.items.push({ content: '', standard: '', due: '', follows: input.followsKey });
  await finishCutShort(deps, ctx.pledge.id, input.openId); // a cut-short 放弃修订 must not take a version number, nor a withdrawal stay unlogged
  const versions = await versionsOf(deps.db, ctx.pledge.id);
  const created = await createVersion(deps.db, { pledgeId: ctx.pledge.id, versionNo: versions.length + 1, basedOn: inForce.version.id, author: input.openId, draft, now, newKey: newItemKey });
  const version = created ?? (await openVersionOf(deps.db, ctx.pledge.id));
  if (!version) return { kind: 'refused', reason: '请稍后再试。' };
  if (created) await appendAudit(deps.db, { actor: input.openId, action: 'pledge.revise', entity: 'pledge_version', entityId: created.id, before: { version: inForce.version.version_no }, after: { version: created.version_no, follows: input.followsKey ?? null } }, now);
  const vctx = (await loadPledgeContext(deps, version.id))!;
  return {
    kind: 'form',
    form: await formViewOf(deps, vctx, {}, input.followsKey ? { notice: '再承诺：在最后一项填写接续已完成事项的新承诺，提交后报上级审定。' } : {}),
    message: '已创建修订版本',
  };
}

export type ItemDoneResult = { kind: 'refused'; reason: string } | { kind: 'done'; itemN: number; content: string; itemKey: string; versionId: number };

/** Marks an approved item completed (the ledger will record it from practice reports too). */
export async function markItemDone(deps: Deps, input: { openId: string; versionId: number; itemKey: string }): Promise<ItemDoneResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '找不到这份承诺书。' };
  const me = await whoIs(deps, input.openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以标记完成。` };
  const closed = closedYearReason(ctx.pledge.year, localDate(deps.now(), deps.timeZone));
  if (closed) return { kind: 'refused', reason: closed };
  if (ctx.version.status !== 'approved') return { kind: 'refused', reason: '只有现行（已审定）版本的事项可以标记完成。' };
  const now = deps.now();
  // A pledge for next year is filed and approved from November: nothing in it can be done yet,
  // and a completion recorded now would stand in that year's ledger.
  if (localYear(now, deps.timeZone) < ctx.pledge.year) return { kind: 'refused', reason: `${ctx.pledge.year} 年度尚未开始，不能标记完成。` };
  const item = ctx.view.items.find((i) => i.key === input.itemKey);
  if (!item) return { kind: 'refused', reason: '这一项不在现行承诺书中，请发送「承诺」获取最新卡片。' };
  const r = await deps.db.insertInto('item_states').values({ item_key: item.key, pledge_id: ctx.pledge.id, status: 'done', done_at: now.toISOString(), done_by: input.openId }).onConflict((oc) => oc.column('item_key').doNothing()).executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 1) {
    await appendAudit(deps.db, { actor: input.openId, action: 'pledge.item_done', entity: 'pledge_item', entityId: item.key, before: null, after: { status: 'done', content: item.content.slice(0, 100) } }, now);
  }
  return { kind: 'done', itemN: item.n, content: item.content, itemKey: item.key, versionId: ctx.version.id };
}
