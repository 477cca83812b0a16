import { z } from 'zod';
import { button, card, markdown, md, toast } from '../../cards/card-kit.js';
import { pledgeStatusCard, pledgeVersionsCard } from '../../cards/pledge-cards.js';
import { pledgeFormCard } from '../../cards/pledge-form-card.js';
import { auditRowsFor } from '../../db/repos/audit.js';
import { versionsOf } from '../../db/repos/pledges.js';
import { chineseDateTime } from '../../src/domain/dates.js';
import { canRead, canReadVersion } from '../../src/domain/pledge-rules.js';
import { abandonRevision } from '../../src/usecases/pledge/abandon-revision.js';
import { commentOnPledge } from '../../src/usecases/pledge/comment-on-pledge.js';
import { loadPledgeContext } from '../../src/usecases/pledge/pledge-context.js';
import { pledgeFile } from '../../src/usecases/pledge/pledge-file.js';
import { markItemDone, revisePledge, type ReviseResult } from '../../src/usecases/pledge/revise-pledge.js';
import type { Deps } from '../../src/usecases/deps.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { defineAction } from '../on-card-action.js';
import { fieldText, VersionRef, VersionRev } from './pledge-values.js';
import { lastQueuedWithKeyPrefix } from '../../db/repos/outbox.js';
import { wasReturned } from '../../src/domain/pledge-status.js';

const reviseReply = (r: ReviseResult) => (r.kind === 'refused' ? toast('error', r.reason) : toast('info', r.message, pledgeFormCard(r.form)));

/** 回头审诺: start (or continue) a revision of the approved pledge. */
export const pledgeRevise = defineAction({
  value: VersionRef,
  handle: async (deps, ctx, v) => reviseReply(await revisePledge(deps, { openId: ctx.openId, versionId: v.pledge })),
});

/** 放弃修订 / 撤回修订: the revision deleted or withdrawn; the card becomes the status of the version in force. */
export const pledgeAbandon = defineAction({
  value: VersionRev,
  async handle(deps, ctx, v) {
    const r = await abandonRevision(deps, { openId: ctx.openId, versionId: v.pledge, rev: v.rev });
    if (r.kind === 'refused') return toast('error', r.reason);
    return toast('success', `已${r.withdrawn ? '撤回' : '放弃'}第 ${r.versionNo} 版修订，现行承诺书不变`, pledgeStatusCard(r.inForce.view, r.inForce.times, { canRevise: true }));
  },
});

const ItemRef = VersionRef.extend({ item: z.string().min(1).max(64) });

/** An item completed: record it, refresh the card, and offer the re-pledge (承诺→践诺→再承诺). */
export const pledgeItemDone = defineAction({
  value: ItemRef,
  async handle(deps, ctx, v) {
    const r = await markItemDone(deps, { openId: ctx.openId, versionId: v.pledge, itemKey: v.item });
    if (r.kind === 'refused') return toast('error', r.reason);
    await deps.outbox.enqueue({
      key: `repledge-offer:${r.itemKey}`,
      to: { openId: ctx.openId },
      card: card('再承诺', 'green', [
        markdown(`第 ${r.itemN} 项「${md(r.content, 80)}」已完成。\n针对践诺中发现的新问题，可以接着作出新的承诺（承诺→践诺→再承诺→再践诺），新承诺报上级审定后生效。`),
        button('再承诺', { action: 'pledge.repledge', pledge: r.versionId, item: r.itemKey }, 'primary'),
      ]),
    });
    const fresh = (await loadPledgeContext(deps, r.versionId))!;
    return toast('success', `第 ${r.itemN} 项已标记完成`, pledgeStatusCard(fresh.view, fresh.times, { canRevise: true }));
  },
});

export const pledgeRepledge = defineAction({
  value: ItemRef,
  handle: async (deps, ctx, v) => reviseReply(await revisePledge(deps, { openId: ctx.openId, versionId: v.pledge, followsKey: v.item })),
});

/** Every version of the pledge, and the opinions given on it, privately. */
export const pledgeVersions = defineAction({
  value: VersionRef,
  async handle(deps, ctx, v) {
    const p = await loadPledgeContext(deps, v.pledge);
    if (!p) return toast('error', '找不到这份承诺书。');
    const me = await whoIs(deps, ctx.openId);
    if (!canRead(me.grants, p.orgRef)) return toast('error', '你没有查看这份承诺书的权限。');
    const fmt = (iso: string | null) => (iso ? chineseDateTime(new Date(iso), deps.timeZone) : undefined);
    // Each version as far as this reader may read it (canReadVersion: members see the published ones only).
    const versions = (await versionsOf(deps.db, p.pledge.id)).filter((x) => canReadVersion(me.grants, p.orgRef, x.status));
    // The review exchange (returns and their opinions) and the opinions given on the pledge are for
    // its secretary and those above who review it: the opinion form promises "书记和上级党组织可以看到".
    const reviewsIt = canReadVersion(me.grants, p.orgRef, 'returned');
    const returns = reviewsIt ? await returnsOf(deps, versions.map((x) => x.id)) : new Map<number, { at: string; opinion: string }[]>();
    const opinions = reviewsIt ? await deps.db.selectFrom('pledge_opinions').selectAll().where('pledge_id', '=', p.pledge.id).orderBy('id', 'desc').limit(30).execute() : [];
    await deps.outbox.enqueue({
      key: `versions:${ctx.eventId}`,
      to: { openId: ctx.openId },
      card: pledgeVersionsCard(
        `${p.org.name} ${p.pledge.year}年度承诺书 · 历史与意见`,
        versions.map((x) => {
          // Every return in its history; a version now returned (or withdrawn after one) shows its latest as its review.
          const all = returns.get(x.id) ?? [];
          const earlier = wasReturned(x.status) ? all.slice(0, -1) : all;
          const opinion = x.status === 'submitted' && earlier.length ? null : x.opinion; // 上次退回意见 is the last return, listed
          return { versionNo: x.version_no, status: x.status, submittedAt: fmt(x.submitted_at), reviewedAt: fmt(x.reviewed_at), opinion, inForce: x.id === p.pledge.current_version_id, returns: earlier.map((r) => ({ at: fmt(r.at) ?? '', opinion: r.opinion })) };
        }),
        opinions.map((o) => ({ name: o.author_name ?? '匿名', text: o.text, at: fmt(o.created_at) ?? '' })),
      ),
    });
    return toast('success', '历史与意见已私信发送给你');
  },
});

/** A second press within this long sends no second file (a double tap, or waiting for the first). */
const DOWNLOAD_AGAIN_MS = 60_000;

/** The printable 公开承诺书, as a .docx file in the presser's private chat. */
export const pledgeDownload = defineAction({
  value: VersionRef,
  async handle(deps, ctx, v) {
    // Before rendering it again (a file sent here needed the rights pledgeFile checks).
    const mine = `docx:${v.pledge}:${ctx.openId}:`;
    const last = await lastQueuedWithKeyPrefix(deps.db, mine);
    if (last && deps.now().getTime() - Date.parse(last) < DOWNLOAD_AGAIN_MS) return toast('info', '刚刚已私信发送这份承诺书，请在与我的私聊中查收。');
    const f = await pledgeFile(deps, { openId: ctx.openId, versionId: v.pledge });
    if (!f.ok) return toast('error', f.reason);
    await deps.outbox.enqueue({ key: `${mine}${ctx.eventId}`, to: { openId: ctx.openId }, file: { name: f.name, data: f.data } });
    return toast('success', '承诺书（Word 文件）已私信发送给你');
  },
});

/** 意见和建议 from the publication card. */
export const pledgeComment = defineAction({
  value: VersionRef,
  async handle(deps, ctx, v) {
    const r = await commentOnPledge(deps, { openId: ctx.openId, versionId: v.pledge, text: fieldText(ctx.formValue, 'suggestion'), eventId: ctx.eventId });
    if (!r.ok) return toast('error', r.reason);
    if (r.repeat) return toast('info', '这条意见已经提交过了，不用再点。');
    return toast('success', '已收到你的意见，书记和上级党组织可以看到');
  },
});

const ReturnAfter = z.object({ opinion: z.string() }).passthrough();

/** Each version's returns, from the audit log (the version row keeps only its latest review), oldest first. */
async function returnsOf(deps: Deps, versionIds: number[]): Promise<Map<number, { at: string; opinion: string }[]>> {
  const byVersion = new Map<number, { at: string; opinion: string }[]>();
  for (const r of await auditRowsFor(deps.db, { entity: 'pledge_version', entityIds: versionIds, actions: ['pledge.return'] })) {
    const after = ReturnAfter.safeParse(r.after ? JSON.parse(r.after) : null);
    if (!after.success) continue;
    const id = Number(r.entity_id);
    byVersion.set(id, [...(byVersion.get(id) ?? []), { at: r.at, opinion: after.data.opinion }]);
  }
  return byVersion;
}
