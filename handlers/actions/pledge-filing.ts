import { z } from 'zod';
import { toast, type CardResponse } from '../../cards/card-kit.js';
import { pledgePreviewCard, pledgeStatusCard } from '../../cards/pledge-cards.js';
import { pledgeFormCard } from '../../cards/pledge-form-card.js';
import { editPledgeForm, previewPledge, savePledgeForm, submitPledge, type FileResult } from '../../src/usecases/pledge/file-pledge.js';
import { openPledge } from '../../src/usecases/pledge/open-pledge.js';
import { clearDialogOn } from '../../db/repos/dialogs.js';
import type { Deps } from '../../src/usecases/deps.js';
import { defineAction } from '../on-card-action.js';
import { openPledgeReply } from '../pledge-replies.js';
import { startPledgeDialog } from '../dialogs/pledge-dialog.js';
import { VersionRev } from './pledge-values.js';

function reply(r: FileResult): CardResponse {
  switch (r.kind) {
    case 'refused':
      return toast('error', r.reason);
    case 'form':
      return toast(Object.keys(r.form.errors).length ? 'warning' : 'success', r.message, pledgeFormCard(r.form));
    case 'preview':
      return toast('info', '请核对全文，无误后点「确认提交」', pledgePreviewCard(r.ctx.view));
    case 'submitted':
      if (r.again) return toast('info', '这份承诺书已提交，正在等待上级审定。', pledgeStatusCard(r.ctx.view, r.ctx.times, { canRevise: false }));
      return toast(
        r.reviewers ? 'success' : 'warning',
        r.reviewers ? '已提交，等待上级党组织审定' : '已提交，但名录中没有上级审定人，请联系创先办',
        pledgeStatusCard(r.ctx.view, r.ctx.times, { canRevise: false }),
      );
  }
}

/**
 * The answer to a press on this pledge's card, which ends a step-by-step dialog on it: the two
 * would take turns changing one draft, and the card pressed later would be refused as stale with
 * what was typed on it. A refused press changed nothing, so the dialog goes on; a submission
 * leaves the dialog nothing to ask, so it ends without a word.
 */
async function replyLeavingDialog(deps: Deps, openId: string, versionId: number, r: FileResult): Promise<CardResponse> {
  const res = reply(r);
  if (r.kind === 'refused') return res;
  if (!(await clearDialogOn(deps.db, openId, 'pledge', versionId, deps.now()))) return res;
  if (r.kind === 'submitted' || !res.toast) return res;
  return { ...res, toast: { ...res.toast, content: `${res.toast.content}（逐项对话填写已结束，改用卡片）` } };
}

/**
 * `pledge.submit`: the form's "预览并提交" (mode preview), the confirm step's "确认提交"
 * (mode confirm, no form), or a plain submit with the form's values (no mode).
 */
export const pledgeSubmit = defineAction({
  value: VersionRev.extend({ mode: z.enum(['preview', 'confirm']).optional() }),
  async handle(deps, ctx, v) {
    const base = { openId: ctx.openId, versionId: v.pledge, rev: v.rev };
    const r = v.mode === 'preview' ? await previewPledge(deps, { ...base, form: ctx.formValue }) : await submitPledge(deps, { ...base, form: v.mode === 'confirm' ? undefined : ctx.formValue, cardMessageId: ctx.messageId });
    return replyLeavingDialog(deps, ctx.openId, v.pledge, r);
  },
});

export const pledgeSave = defineAction({
  value: VersionRev,
  async handle(deps, ctx, v) {
    return replyLeavingDialog(deps, ctx.openId, v.pledge, await savePledgeForm(deps, { openId: ctx.openId, versionId: v.pledge, rev: v.rev, form: ctx.formValue }));
  },
});

export const pledgeAddItem = defineAction({
  value: VersionRev,
  async handle(deps, ctx, v) {
    return replyLeavingDialog(deps, ctx.openId, v.pledge, await savePledgeForm(deps, { openId: ctx.openId, versionId: v.pledge, rev: v.rev, form: ctx.formValue, addSlot: true }));
  },
});

export const pledgeEdit = defineAction({
  value: VersionRev,
  async handle(deps, ctx, v) {
    return replyLeavingDialog(deps, ctx.openId, v.pledge, await editPledgeForm(deps, { openId: ctx.openId, versionId: v.pledge, rev: v.rev }));
  },
});

export const pledgeOpen = defineAction({
  value: z.object({ org: z.string().min(1).max(64) }),
  async handle(deps, ctx, v) {
    const r = openPledgeReply(await openPledge(deps, { openId: ctx.openId, orgCode: v.org }));
    return 'text' in r ? toast('error', r.text) : toast('info', '已打开承诺书', r.card);
  },
});


/** "改用对话填写": continue the same draft by typing, in the private chat. */
export const pledgeChat = defineAction({
  value: VersionRev,
  async handle(deps, ctx, v) {
    // From the form the press brings what was typed: saved first, so the dialog goes on from it.
    const typed = Object.keys(ctx.formValue).length > 0;
    const input = { openId: ctx.openId, versionId: v.pledge, rev: v.rev };
    const r = typed ? await savePledgeForm(deps, { ...input, form: ctx.formValue }) : await editPledgeForm(deps, input);
    if (r.kind === 'refused') return toast('error', r.reason);
    await startPledgeDialog(deps, { openId: ctx.openId, chatId: ctx.chatId ?? '', chatType: 'p2p', messageId: `card-${ctx.eventId}`, args: [], text: '' }, v.pledge);
    // The card shows the draft as saved (a new revision): left as it was, a later press on it
    // would be refused as stale, with whatever was typed on it.
    return toast('info', '好的，请在下方按提示逐项回复', r.kind === 'form' ? pledgeFormCard(r.form) : undefined);
  },
});
