import { personByOpenId } from '../../../db/repos/directory.js';
import { appendAudit } from '../../../db/repos/audit.js';
import { canComment } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext } from './pledge-context.js';

export const MAX_SUGGESTION = 500;

/** 意见和建议 on a published pledge: kept (once per card press), visible to the secretary and superiors. */
export async function commentOnPledge(deps: Deps, input: { openId: string; versionId: number; text: string; eventId: string }): Promise<{ ok: true } | { ok: false; reason: string }> {
  const text = input.text.trim();
  if (!text) return { ok: false, reason: '请先在「意见和建议」里写下内容再提交。' };
  if (text.length > MAX_SUGGESTION) return { ok: false, reason: `意见最多 ${MAX_SUGGESTION} 字，现在 ${text.length} 字。` };
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx || (ctx.version.status !== 'approved' && ctx.version.status !== 'superseded')) return { ok: false, reason: '这份承诺书不在公示中。' };
  const me = await whoIs(deps, input.openId);
  if (!canComment(me.grants, ctx.orgRef)) return { ok: false, reason: `只有「${ctx.org.name}」及上级组织名录中的党员群众可以提意见。` };
  const person = await personByOpenId(deps.db, input.openId);
  const now = deps.now();
  await deps.db
    .insertInto('pledge_opinions')
    .values({ pledge_id: ctx.pledge.id, version_id: ctx.version.id, author_open_id: input.openId, author_name: person?.name ?? null, text, created_at: now.toISOString(), event_id: input.eventId })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
  await appendAudit(deps.db, { actor: input.openId, action: 'pledge.comment', entity: 'pledge', entityId: ctx.pledge.id, before: null, after: { version: ctx.version.version_no, length: text.length } }, now);
  return { ok: true };
}
