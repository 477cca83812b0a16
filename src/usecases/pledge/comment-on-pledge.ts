import { personByOpenId, secretaryOf } from '../../../db/repos/directory.js';
import { appendAudit } from '../../../db/repos/audit.js';
import { versionById } from '../../../db/repos/pledges.js';
import { canComment, isPublished } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext } from './pledge-context.js';
import { reviewersOf } from './reviewers-of.js';
import { chineseDateTime } from '../../domain/dates.js';

export const MAX_SUGGESTION = 500;

/**
 * 意见和建议 on the published pledge in force (not on one it replaced): kept (once per card press, and once per author and wording —
 * the text stays in the group card's box, so a second press would send it again), and told to
 * the secretary and to the reviewers above, as the card promises ("书记和上级党组织可以看到").
 */
/** Opinions one person may give on one pledge within 24 hours. */
export const OPINIONS_PER_DAY = 5;

export async function commentOnPledge(deps: Deps, input: { openId: string; versionId: number; text: string; eventId: string }): Promise<{ ok: true; repeat: boolean } | { ok: false; reason: string }> {
  const text = input.text.trim();
  if (!text) return { ok: false, reason: '请先在「意见和建议」里写下内容再提交。' };
  if (text.length > MAX_SUGGESTION) return { ok: false, reason: `意见最多 ${MAX_SUGGESTION} 字，现在 ${text.length} 字。` };
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { ok: false, reason: '这份承诺书不在公示中。' };
  // Who may comment first: whether a version is published or replaced is not for others to learn.
  const me = await whoIs(deps, input.openId);
  if (!canComment(me.grants, ctx.orgRef)) return { ok: false, reason: '只有本组织及上级组织名录中的党员群众可以对这份承诺书提意见。' };
  if (!isPublished(ctx.version.status)) return { ok: false, reason: '这份承诺书不在公示中。' };
  if (ctx.version.status === 'superseded') {
    // An old publication whose form survived (its replacement could not be sent): the opinion belongs on the version in force.
    const inForce = ctx.pledge.current_version_id ? await versionById(deps.db, ctx.pledge.current_version_id) : undefined;
    return { ok: false, reason: `这一版已被${inForce ? `第 ${inForce.version_no} 版` : '新的版本'}取代：请在新的公示卡片上提意见和建议。` };
  }
  const same = await deps.db
    .selectFrom('pledge_opinions')
    .select('id')
    .where('version_id', '=', ctx.version.id)
    .where('author_open_id', '=', input.openId)
    .where('text', '=', text)
    // The same press run again (cut short, then recovered) goes on, to queue what it may not have.
    .where('event_id', '!=', input.eventId)
    .executeTakeFirst();
  if (same) return { ok: true, repeat: true };
  const now = deps.now();
  // Each opinion is a message to the secretary and to every reviewer above: one person cannot
  // flood them (a group card's box stays filled, and every press is a new opinion).
  const since = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const recent = await deps.db
    .selectFrom('pledge_opinions')
    .select('created_at')
    .where('pledge_id', '=', ctx.pledge.id)
    .where('author_open_id', '=', input.openId)
    .where('created_at', '>=', since)
    .where('event_id', '!=', input.eventId) // this press's own row, if a cut left it: the press goes on
    .orderBy('created_at', 'desc')
    .limit(OPINIONS_PER_DAY)
    .execute();
  if (recent.length >= OPINIONS_PER_DAY) {
    // One more may be given once the oldest of these five is a day old.
    // Shown to the minute, rounded up: at the minute shown it is allowed.
    const next = chineseDateTime(new Date(Math.ceil((Date.parse(recent.at(-1)!.created_at) + 24 * 3600_000) / 60_000) * 60_000), deps.timeZone);
    return { ok: false, reason: `每人 24 小时内最多对一份承诺书提 ${OPINIONS_PER_DAY} 条意见，你已提满：${next} 后可以再提；也可以把想说的合并成一条。` };
  }
  const person = await personByOpenId(deps.db, input.openId);
  await deps.db
    .insertInto('pledge_opinions')
    .values({ pledge_id: ctx.pledge.id, version_id: ctx.version.id, author_open_id: input.openId, author_name: person?.name ?? null, text, created_at: now.toISOString(), event_id: input.eventId })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
  await appendAudit(deps.db, { actor: input.openId, action: 'pledge.comment', entity: 'pledge', entityId: ctx.pledge.id, before: null, after: { version: ctx.version.version_no, length: text.length } }, now);
  // Quoted without its own closing full stop (the sentence around it ends with one).
  const quoted = `「${text.slice(0, 200).replace(/</g, '＜').replace(/[。．.！!]+$/u, '')}」`;
  const secretary = await secretaryOf(deps.db, ctx.org.id);
  if (secretary && secretary !== input.openId) {
    await deps.outbox.enqueue({ key: `opinion:${input.eventId}`, to: { openId: secretary }, text: `你的 ${ctx.pledge.year} 年度公开承诺收到一条意见和建议：${quoted}。在承诺卡片点「历史与意见」可查看全部意见。` });
  }
  const { people } = await reviewersOf(deps, ctx.org);
  for (const p of people) {
    if (p.open_id === secretary || p.open_id === input.openId) continue;
    await deps.outbox.enqueue({ key: `opinion:${input.eventId}:${p.open_id}`, to: { openId: p.open_id! }, text: `「${ctx.org.name}」${ctx.pledge.year} 年度公开承诺收到一条意见和建议：${quoted}。` });
  }
  return { ok: true, repeat: false };
}
