import { orgByCode } from '../../../db/repos/directory.js';
import { pledgeOf } from '../../../db/repos/pledges.js';
import type { PledgeDocument } from '../../documents/pledge-document.js';
import { pledgeFileName, renderPledgeDocx } from '../../documents/render-pledge-docx.js';
import { yearsInView } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import { canRead, canReadVersion } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';

export function pledgeDocumentOf(ctx: PledgeContext, timeZone: string): PledgeDocument {
  const v = ctx.view;
  return {
    year: v.year,
    orgName: v.orgName,
    profile: { name: v.profile.name, gender: v.profile.gender, birthMonth: v.profile.birth_month, position: v.profile.position, termStart: v.profile.term_start, contact: v.profile.contact },
    items: v.items.map((i) => ({ n: i.n, content: i.content, standard: i.standard, due: i.due, followsN: i.followsN })),
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
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { ok: false, reason: '找不到这份承诺书。' };
  if (input.openId !== null) {
    const me = await whoIs(deps, input.openId);
    if (!canReadVersion(me.grants, ctx.orgRef, ctx.version.status)) {
      const reason = canRead(me.grants, ctx.orgRef)
        ? `「${ctx.org.name}」的这一版承诺书还未经上级审定，审定公示后即可查看和导出。`
        : `你没有查看「${ctx.org.name}」承诺书的权限。`;
      return { ok: false, reason };
    }
  }
  const doc = pledgeDocumentOf(ctx, deps.timeZone);
  return { ok: true, name: pledgeFileName(doc), data: await renderPledgeDocx(doc), ctx };
}

/** Which version to print for an organization and year: the one in force, else the latest. */
async function printableVersion(deps: Deps, orgCode: string, year: number): Promise<{ ok: true; versionId: number } | { ok: false; reason: string }> {
  const org = await orgByCode(deps.db, orgCode);
  if (!org) return { ok: false, reason: `没有编码为「${orgCode.slice(0, 64)}」的组织。` };
  const pledge = await pledgeOf(deps.db, org.id, year);
  if (!pledge) return { ok: false, reason: `「${org.name}」还没有 ${year} 年度的承诺书。` };
  if (pledge.current_version_id) return { ok: true, versionId: pledge.current_version_id };
  const latest = await deps.db.selectFrom('pledge_versions').select('id').where('pledge_id', '=', pledge.id).orderBy('version_no', 'desc').executeTakeFirst();
  return latest ? { ok: true, versionId: latest.id } : { ok: false, reason: `「${org.name}」还没有 ${year} 年度的承诺书。` };
}

/**
 * The printable pledge of an organization for `year`; without a year, of the newest year in view
 * (cycle.ts yearsInView) that has one the reader may read: in December the coming year's once it
 * is approved (or, for its secretary, drafted), else the one in force. A refusal names the newest.
 */
export async function printablePledgeFile(deps: Deps, input: { openId: string | null; orgCode: string; year?: number }): Promise<PledgeFileResult> {
  const years = input.year ? [input.year] : yearsInView(localDate(deps.now(), deps.timeZone));
  let refusal: PledgeFileResult | undefined;
  for (const year of years) {
    const v = await printableVersion(deps, input.orgCode, year);
    const f: PledgeFileResult = v.ok ? await pledgeFile(deps, { openId: input.openId, versionId: v.versionId }) : v;
    if (f.ok) return f;
    refusal ??= f;
  }
  return refusal!;
}
