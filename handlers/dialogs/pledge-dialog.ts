import { saveDialog, clearDialog, type DialogState } from '../../db/repos/dialogs.js';
import { draftOf, isEditable, saveDraft, versionById } from '../../db/repos/pledges.js';
import { pledgePreviewCard, pledgeStatusCard } from '../../cards/pledge-cards.js';
import { chineseDate, localDate, normalizeDate, normalizeMonth } from '../../src/domain/dates.js';
import { LIMITS, PROFILE_FIELDS, validatePledge, type PledgeDraft, type PledgeProfile } from '../../src/domain/pledge-form.js';
import { canFile } from '../../src/domain/pledge-rules.js';
import { COMMANDS } from '../../src/domain/commands.js';
import type { Deps } from '../../src/usecases/deps.js';
import { submitPledge } from '../../src/usecases/pledge/file-pledge.js';
import { loadPledgeContext, newItemKey } from '../../src/usecases/pledge/pledge-context.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { answer, type MessageContext } from '../context.js';

/**
 * The conversational path for those who prefer typing: the bot asks field by field, then item
 * by item; 跳过 keeps the shown value, 返回 goes back one step, 取消 leaves (the draft is kept).
 * Every answer is saved to the same draft the card form edits.
 */
const TTL_MS = 2 * 60 * 60 * 1000;
const ITEM_PARTS = ['content', 'standard', 'due'] as const;
type Step = { k: 'profile'; field: keyof PledgeProfile } | { k: 'item'; n: number; part: (typeof ITEM_PARTS)[number] } | { k: 'more'; n: number } | { k: 'confirm' };

const STEPS_PROFILE: Step[] = PROFILE_FIELDS.map((f) => ({ k: 'profile', field: f.name }));
const encode = (s: Step): string => (s.k === 'profile' ? `p:${s.field}` : s.k === 'item' ? `i:${s.n}:${s.part}` : s.k === 'more' ? `m:${s.n}` : 'c');
function decode(s: string): Step {
  const [k, a, b] = s.split(':');
  if (k === 'p') return { k: 'profile', field: a as keyof PledgeProfile };
  if (k === 'i') return { k: 'item', n: Number(a), part: b as (typeof ITEM_PARTS)[number] };
  if (k === 'm') return { k: 'more', n: Number(a) };
  return { k: 'confirm' };
}

const PART_LABEL = { content: '承诺内容', standard: '标准/目标', due: '完成时限（如 2027-06-30）' } as const;
const FORMAT_HINT: Partial<Record<keyof PledgeProfile, string>> = { gender: '（男/女）', birth_month: '（如 1978-05）', term_start: '（如 2020-09-01）' };

function prompt(step: Step, draft: PledgeDraft): string {
  const tail = step.k === 'item' ? '（跳过 保留 · 删除 去掉这一项 · 返回 上一步 · 取消 退出）' : '（跳过 保留 · 返回 上一步 · 取消 退出）';
  if (step.k === 'profile') {
    const f = PROFILE_FIELDS.find((x) => x.name === step.field)!;
    const cur = draft.profile[step.field];
    return `请输入${f.label}${FORMAT_HINT[step.field] ?? ''}${cur ? `，当前：${cur}` : ''}\n${tail}`;
  }
  if (step.k === 'item') {
    const it = draft.items[step.n - 1];
    const cur = it ? (step.part === 'due' ? it.due : it[step.part]) : '';
    return `第 ${step.n} 项 · ${PART_LABEL[step.part]}${cur ? `，当前：${cur}` : ''}\n${tail}`;
  }
  if (step.k === 'more') return `已填 ${step.n} 项。还要添加一项吗？回复「是」或「否」。`;
  return '回复「提交」确认提交（即以你的飞书身份签字），「返回」修改最后一项，「取消」退出。';
}

/** The step after `step`, given the draft. */
function next(step: Step, draft: PledgeDraft): Step {
  if (step.k === 'profile') {
    const i = STEPS_PROFILE.findIndex((s) => s.k === 'profile' && s.field === step.field);
    return STEPS_PROFILE[i + 1] ?? { k: 'item', n: 1, part: 'content' };
  }
  if (step.k === 'item') {
    const j = ITEM_PARTS.indexOf(step.part);
    if (j < 2) return { k: 'item', n: step.n, part: ITEM_PARTS[j + 1]! };
    if (draft.items.length > step.n) return { k: 'item', n: step.n + 1, part: 'content' };
    // At the most a pledge may hold, it is not offered another item.
    return step.n >= LIMITS.items ? { k: 'confirm' } : { k: 'more', n: step.n };
  }
  return { k: 'confirm' };
}

/** The step before `step`, given the draft: the reverse of next(). */
function previous(step: Step, draft: PledgeDraft): Step {
  if (step.k === 'confirm') {
    // Back to where next() came from: the question after the last item (with its count), or the
    // last item itself when a full pledge was offered no more; 提交 may have come before any item.
    const n = draft.items.length;
    if (n === 0) return { k: 'item', n: 1, part: 'content' };
    return n >= LIMITS.items ? { k: 'item', n, part: 'due' } : { k: 'more', n };
  }
  if (step.k === 'more') return { k: 'item', n: step.n, part: 'due' };
  if (step.k === 'item') {
    const j = ITEM_PARTS.indexOf(step.part);
    if (j > 0) return { k: 'item', n: step.n, part: ITEM_PARTS[j - 1]! };
    return step.n > 1 ? { k: 'item', n: step.n - 1, part: 'due' } : STEPS_PROFILE[STEPS_PROFILE.length - 1]!;
  }
  const i = STEPS_PROFILE.findIndex((s) => s.k === 'profile' && s.field === step.field);
  return STEPS_PROFILE[Math.max(0, i - 1)]!;
}

/** Checks one answer; returns the value to store or an error to show. */
function accept(step: Step, text: string, year: number, today: string, draft: PledgeDraft): { value: string } | { error: string } {
  const trial: PledgeDraft = { profile: { ...draft.profile }, items: draft.items.map((i) => ({ ...i })) };
  let field: string;
  if (step.k === 'profile') {
    const v = step.field === 'birth_month' ? (normalizeMonth(text) ?? text) : step.field === 'term_start' ? (normalizeDate(text) ?? text) : text;
    trial.profile[step.field] = v;
    field = step.field;
  } else if (step.k === 'item') {
    while (trial.items.length < step.n) trial.items.push({ content: '', standard: '', due: '' });
    const v = step.part === 'due' ? (normalizeDate(text) ?? text) : text;
    trial.items[step.n - 1]![step.part] = v;
    field = step.part === 'content' ? `item_${step.n}` : `item_${step.n}_${step.part}`;
  } else return { value: text };
  const e = validatePledge(trial, year, today)[field];
  if (e) return { error: typedDateError(step, e, year) };
  return { value: step.k === 'profile' ? trial.profile[step.field] : trial.items[step.n - 1]![step.k === 'item' ? step.part : 'content'] };
}

/**
 * validatePledge speaks of the form, where dates are picked ("请选择日期"); in the dialog they are
 * typed, so a date error says what to type.
 */
function typedDateError(step: Step, e: string, year: number): string {
  if (step.k === 'profile' && step.field === 'term_start' && e.includes('请选择日期')) return '任职时间请输入日期，例如 2020-09-01';
  if (step.k === 'item' && step.part === 'due') {
    if (e.includes('请选择')) return `第 ${step.n} 项：请输入日期，例如 ${year}-06-30`;
    if (e.includes('不是有效日期')) return `${e}，请输入日期，例如 ${year}-06-30`;
  }
  return e;
}

/** 提交 typed at any question: straight to the confirm step, as if the rest were skipped. */
const SUBMIT = /^(提交|submit)$/i;
/** Answers to 还要添加一项吗, with or without a full stop after them. (好了 is left out: it may mean 完了.) */
const YES = /^(是|是的|要|要的|好|好的|可以|行|对|嗯|需要|继续|添加|y|yes|ok)$/i;
const NO = /^(否|不|不要|不要了|不用|不用了|不需要|不了|没有|没有了|没了|算了|够了|n|no)$/i;
const plain = (t: string) => t.replace(/[\s。．.！!～~，,]+$/u, '');

/**
 * A bare 帮助 reaches the dialog only after handlers/on-message.ts has shown the help card (as
 * part 0 of the answer): the dialog then asks its question again, as part 1.
 */
const HELP = new Set<string>(COMMANDS.help.map((w) => w.toLowerCase()));

function apply(step: Step, value: string, draft: PledgeDraft): void {
  if (step.k === 'profile') draft.profile[step.field] = value;
  if (step.k === 'item') {
    while (draft.items.length < step.n) draft.items.push({ content: '', standard: '', due: '' });
    draft.items[step.n - 1]![step.part] = value;
  }
}

export async function startPledgeDialog(deps: Deps, ctx: MessageContext, versionId: number): Promise<void> {
  const v = await versionById(deps.db, versionId);
  if (!v) return;
  const draft = await draftOf(deps.db, v);
  const first: Step = STEPS_PROFILE[0]!;
  await saveDialog(deps.db, ctx.openId, { kind: 'pledge', step: encode(first), data: { versionId } }, deps.now(), TTL_MS);
  await answer(deps, ctx, { text: `好的，我们一项一项来填写承诺书（已预填的内容回复「跳过」即可保留）。\n\n${prompt(first, draft)}` });
}

export async function pledgeDialog(deps: Deps, ctx: MessageContext, state: DialogState): Promise<void> {
  const versionId = Number(state.data.versionId);
  const pctx = await loadPledgeContext(deps, versionId);
  if (!pctx || !isEditable(pctx.version.status)) {
    await clearDialog(deps.db, ctx.openId);
    await answer(deps, ctx, { text: '这份承诺书已不能修改（可能已提交）。发送「承诺」查看。' });
    return;
  }
  // Checked at every reply, not only when the dialog began: a dialog lives for hours and the
  // directory may have handed the organization to a new secretary meanwhile.
  if (!canFile((await whoIs(deps, ctx.openId)).grants, pctx.orgRef)) {
    await clearDialog(deps.db, ctx.openId);
    await answer(deps, ctx, { text: `你已不是「${pctx.org.name}」的现任书记，不能再修改它的承诺书；对话已结束。如有疑问请联系创先办。` });
    return;
  }
  const draft = await draftOf(deps.db, pctx.version);
  const step = decode(state.step);
  const text = ctx.text.trim();
  const say = (t: string) => answer(deps, ctx, { text: t });
  const today = localDate(deps.now(), deps.timeZone);
  const go = async (s: Step, lead = '') => {
    const now = await draftOf(deps.db, (await versionById(deps.db, versionId))!);
    // Which item the question is about (its key; null for one not yet written): the card may
    // remove or reorder items before the answer comes, and the answer must not land on another.
    const item = s.k === 'item' ? (now.items[s.n - 1]?.key ?? null) : undefined;
    await saveDialog(deps.db, ctx.openId, { kind: 'pledge', step: encode(s), data: { versionId: state.data.versionId, item } }, deps.now(), TTL_MS);
    if (s.k === 'confirm') {
      // What is missing is said before anything is offered to sign, not after a 提交.
      const problems = Object.values(validatePledge(now, pctx.pledge.year, today));
      if (problems.length > 0) return say(`${lead}还有问题需要修改：\n${problems.join('\n')}\n回复「返回」逐项修改，或发送「承诺」在卡片上修改。`);
      const fresh = (await loadPledgeContext(deps, versionId))!;
      await answer(deps, ctx, { card: pledgePreviewCard(fresh.view) }, 1);
    }
    await say(`${lead}${prompt(s, now)}`);
  };
  const save = async (d: PledgeDraft) => (await saveDraft(deps.db, versionId, pctx.version.revision, d, deps.now(), newItemKey)) !== undefined;
  // The words that steer the dialog, as people type them ("提交。", "帮助！"); an answer is kept as typed.
  const word = plain(text);

  if (HELP.has(word.toLowerCase())) {
    await saveDialog(deps.db, ctx.openId, { kind: 'pledge', step: state.step, data: state.data }, deps.now(), TTL_MS);
    return answer(deps, ctx, { text: prompt(step, draft) }, 1);
  }
  if (word === '返回') return go(previous(step, draft));
  if (step.k !== 'confirm' && SUBMIT.test(word)) return go({ k: 'confirm' });
  if (step.k === 'item' && 'item' in state.data && (draft.items[step.n - 1]?.key ?? null) !== state.data.item) {
    return go(step, `承诺书刚在卡片上被修改过，第 ${step.n} 项已不是刚才那一项；刚才的回复没有保存。\n\n`);
  }
  if (step.k === 'item' && word === '删除') {
    if (step.n <= draft.items.length) draft.items.splice(step.n - 1, 1);
    if (!(await save(draft))) return say('承诺书刚在卡片上被修改过，请再回复一次。');
    const left = draft.items.length;
    const to: Step = left >= step.n ? { k: 'item', n: step.n, part: 'content' } : left === 0 ? { k: 'item', n: 1, part: 'content' } : { k: 'more', n: left };
    return go(to, `✓ 已去掉第 ${step.n} 项${left >= step.n ? `，原第 ${step.n + 1} 项现在是第 ${step.n} 项` : ''}\n\n`);
  }
  // "否" where a new item's content is asked (after a 是 too quickly): no more items after all.
  if (step.k === 'item' && step.part === 'content' && step.n > 1 && !draft.items[step.n - 1]?.content && NO.test(word)) {
    const blank = draft.items[step.n - 1];
    // Only a slot with nothing in it goes; one with a standard or date (from the card) stays, and the confirmation says what it lacks.
    if (blank && !blank.standard && !blank.due) {
      draft.items.splice(step.n - 1, 1);
      if (!(await save(draft))) return say('承诺书刚在卡片上被修改过，请再回复一次。');
    }
    return go({ k: 'confirm' }, `好的，不再添加，共 ${draft.items.length} 项。\n\n`);
  }
  if (step.k === 'more') {
    if (YES.test(word)) return go({ k: 'item', n: step.n + 1, part: 'content' });
    if (NO.test(word)) return go({ k: 'confirm' });
    return say('请回复「是」继续添加，或「否」结束添加。');
  }
  if (step.k === 'confirm') {
    if (!SUBMIT.test(word)) return say(prompt(step, draft));
    const r = await submitPledge(deps, { openId: ctx.openId, versionId, rev: pctx.version.revision });
    if (r.kind === 'submitted') {
      await clearDialog(deps.db, ctx.openId);
      await answer(deps, ctx, { card: pledgeStatusCard(r.ctx.view, r.ctx.times, { canRevise: false }) }, 1);
      return say(r.reviewers ? '已提交，等待上级党组织审定。' : '已提交，但名录中没有上级审定人，请联系创先办。');
    }
    if (r.kind === 'form') return say(`还有问题需要修改：\n${Object.values(r.form.errors).join('\n')}\n回复「返回」逐项修改。`);
    return say(r.kind === 'refused' ? r.reason : '请稍后再试。');
  }
  if (word === '跳过') {
    const cur = step.k === 'profile' ? draft.profile[step.field] : draft.items[step.n - 1]?.[step.part];
    if (!cur) return say(`这一项还没有内容，不能跳过。\n${prompt(step, draft)}`);
    return go(next(step, draft));
  }
  const r = accept(step, text, pctx.pledge.year, today, draft);
  if ('error' in r) return say(`${r.error}\n${prompt(step, draft)}`);
  apply(step, r.value, draft);
  if (!(await save(draft))) return say('承诺书刚在卡片上被修改过，请再回复一次。');
  const shown = step.k === 'item' && step.part === 'due' ? chineseDate(r.value) : r.value.slice(0, 30);
  return go(next(step, draft), `✓ ${shown}\n\n`);
}

/**
 * The first message after the dialog ran out (handlers/on-message.ts): most likely an answer to
 * the last question, which is not taken; say so once instead of "我没听懂".
 */
export async function pledgeDialogExpired(deps: Deps, ctx: MessageContext, state: DialogState): Promise<void> {
  const v = await versionById(deps.db, Number(state.data.versionId));
  const open = v && isEditable(v.status);
  await answer(deps, ctx, {
    text: open
      ? '上次的逐项填写已超时结束，已填内容都在草稿里；发送「承诺 对话」继续，或发送「承诺」用卡片填写。'
      : '上次的逐项填写已超时结束。发送「承诺」查看承诺书。',
  });
}
