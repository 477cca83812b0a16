import { orgByCode } from '../../../db/repos/directory.js';
import { pledgeOf } from '../../../db/repos/pledges.js';
import type { Organization } from '../../../db/schema.js';
import type { PledgeDocument } from '../../documents/pledge-document.js';
import { pledgeFileName, renderPledgeDocx } from '../../documents/render-pledge-docx.js';
import { yearsInView } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import { canFile, canRead, canReadVersion } from '../../domain/pledge-rules.js';
import { wasReturned } from '../../domain/pledge-status.js';
import type { Grant } from '../../domain/roles.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, refOf, type PledgeContext } from './pledge-context.js';
import { parseReturnedContent } from './returned-content.js';

/**
 * The document of a version. `asReturned`: a returned (or then withdrawn) version as it was when
 * returned (what was signed and decided on), for anyone but its secretary, who may have edited it.
 */
export function pledgeDocumentOf(ctx: PledgeContext, timeZone: string, asReturned = false): PledgeDocument {
  const v = ctx.view;
  const returned = asReturned && wasReturned(v.status) ? parseReturnedContent(ctx.version.returned_content) : undefined;
  const p = returned?.profile ?? v.profile;
  const followsN = new Map(v.items.map((i) => [i.key, i.followsN]));
  const items = returned
    ? returned.items.map((i, at) => ({ n: at + 1, content: i.content, standard: i.standard, due: i.due, followsN: followsN.get(i.key) }))
    : v.items.map((i) => ({ n: i.n, content: i.content, standard: i.standard, due: i.due, followsN: i.followsN }));
  return {
    year: v.year,
    orgName: v.orgName,
    profile: { name: p.name, gender: p.gender, birthMonth: p.birth_month, position: p.position, termStart: p.term_start, contact: p.contact },
    items,
    version: v.versionNo,
    status: v.status,
    signedBy: v.signedBy,
    signedAt: v.signedAt,
    review: v.review,
    timeZone,
  };
}

export type PledgeFileResult = { ok: true; name: string; data: Uint8Array; ctx: PledgeContext } | { ok: false; reason: string };

/** The printable 公开承诺书 (.docx like 附件2) of one version, for whoever may read it. */
export async function pledgeFile(deps: Deps, input: { openId: string | null; versionId: number }): Promise<PledgeFileResult> {
  return fileOf(deps, input.openId === null ? null : (await whoIs(deps, input.openId)).grants, input.versionId);
}

/** pledgeFile for a reader whose grants are known (null: the CLI, which reads everything). */
async function fileOf(deps: Deps, grants: Grant[] | null, versionId: number): Promise<PledgeFileResult> {
  const ctx = await loadPledgeContext(deps, versionId);
  if (!ctx) return { ok: false, reason: '找不到这份承诺书。' };
  if (grants !== null && !canReadVersion(grants, ctx.orgRef, ctx.version.status)) {
    const reason = !canRead(grants, ctx.orgRef)
      ? noRight(ctx.org.name)
      : ctx.version.status === 'draft'
        ? `「${ctx.org.name}」的 ${ctx.pledge.year} 年度承诺书还在填写中，尚未提交。`
        : `「${ctx.org.name}」的这一版承诺书还未经上级审定，审定公示后即可查看和导出。`;
    return { ok: false, reason };
  }
  const doc = pledgeDocumentOf(ctx, deps.timeZone, grants === null || !canFile(grants, ctx.orgRef));
  return { ok: true, name: pledgeFileName(doc), data: await renderPledgeDocx(doc), ctx };
}

const noRight = (orgName: string) => `你没有查看「${orgName}」承诺书的权限：它只对本组织和上级组织的人员公开。`;

/**
 * Which version to print for an organization and year: the one in force, else (unless
 * `approvedOnly`) the latest.
 */
async function printableVersion(deps: Deps, org: Organization, year: number, approvedOnly: boolean): Promise<{ ok: true; versionId: number } | { ok: false; reason: string }> {
  const pledge = await pledgeOf(deps.db, org.id, year);
  if (!pledge) return { ok: false, reason: `「${org.name}」还没有 ${year} 年度的承诺书。` };
  if (pledge.current_version_id) return { ok: true, versionId: pledge.current_version_id };
  if (approvedOnly) return { ok: false, reason: `「${org.name}」${year} 年度的承诺书还未审定。` };
  const latest = await deps.db.selectFrom('pledge_versions').select('id').where('pledge_id', '=', pledge.id).orderBy('version_no', 'desc').executeTakeFirst();
  return latest ? { ok: true, versionId: latest.id } : { ok: false, reason: `「${org.name}」还没有 ${year} 年度的承诺书。` };
}

/**
 * The printable pledge of an organization for `year` (approved, else its latest version).
 * Without a year, the newest approved one in view (cycle.ts yearsInView): in December the coming
 * year's once it is approved, else the one being carried out — never a draft that nobody has
 * approved when an approved pledge exists (the answer says to print it for 公示 and 报送). With
 * nothing approved in view, the newest as with a year. A refusal names the first year tried.
 */
export async function printablePledgeFile(deps: Deps, input: { openId: string | null; orgCode: string; year?: number }): Promise<PledgeFileResult> {
  const org = await orgByCode(deps.db, input.orgCode);
  if (!org) return { ok: false, reason: `没有编码为「${input.orgCode.slice(0, 64)}」的组织。请核对编码（发送「我的」可查看你所在组织的编码）。` };
  const grants = input.openId === null ? null : (await whoIs(deps, input.openId)).grants;
  // Before whether it has a pledge: that is not for someone who may not read it to learn.
  if (grants !== null && !canRead(grants, refOf(org))) return { ok: false, reason: noRight(org.name) };
  const inView = input.year ? [] : yearsInView(localDate(deps.now(), deps.timeZone));
  const tries = [...inView.map((year) => ({ year, approvedOnly: true })), ...(input.year ? [input.year] : inView).map((year) => ({ year, approvedOnly: false }))];
  let refusal: PledgeFileResult | undefined;
  for (const t of tries) {
    const v = await printableVersion(deps, org, t.year, t.approvedOnly);
    const f: PledgeFileResult = v.ok ? await fileOf(deps, grants, v.versionId) : v;
    if (f.ok) return f;
    if (!t.approvedOnly) refusal ??= f;
  }
  return refusal!;
}
