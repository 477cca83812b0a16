import { deadlineText, type Deadline } from '../src/domain/cycle.js';
import type { FieldErrors, PledgeDraft } from '../src/domain/pledge-form.js';
import { clipMark, errorSummary, LIMITS, pledgeChars } from '../src/domain/pledge-form.js';
import { button, card, datePicker, fitsFeishu, form, head, input, markdown, md, select, submitButton, type Card, type CardElement } from './card-kit.js';

export interface PledgeFormView {
  versionId: number;
  revision: number;
  versionNo: number;
  year: number;
  orgName: string;
  deadline: Deadline;
  draft: PledgeDraft;
  errors: FieldErrors;
  /** Shown on top: why this form (a revision, a re-pledge). */
  notice?: string;
  /** A returned pledge: who sent it back, and their opinion. */
  returned?: { by: string; opinion: string };
  /** A revision of the approved version `inForceNo` (which stays in force): deleted if given up before it was ever submitted, withdrawn (kept) after. */
  revising?: { inForceNo: number; abandon: 'delete' | 'withdraw' };
  /** Extra empty item slots to show (after "添加一项"). */
  emptySlots?: number;
  /** Days past the deadline, while it is still to be filed (0 or absent: not overdue). */
  overdueDays?: number;
}

/** '截止：2027年1月20日', and how late it is once past (in red: the form is still to be filed). */
const deadlineLine = (v: PledgeFormView): string =>
  `截止：${deadlineText(v.deadline)}${v.overdueDays ? `<font color='red'>（已逾期 ${v.overdueDays} 天）</font>` : ''}`;

const err = (errors: FieldErrors, name: string): CardElement[] =>
  errors[name] ? [markdown(`<font color='red'>${md(errors[name]!, 100)}</font>`)] : [];

/**
 * Caps on each item field's shown text, tried in turn when the whole pledge does not fit one card
 * (an old pledge, filed before LIMITS.total): Feishu refuses the card and the secretary would get
 * nothing. A field cut short ends with clipMark, so saving the form keeps its hidden end. Such a
 * form also has shorter placeholders: at 20 items they alone would push it over.
 */
const FIELD_CAPS = [150, 80, 40, 20] as const;

function clip(text: string, cap: number | undefined): string {
  if (cap === undefined || text.length <= cap) return text;
  const shown = head(text, cap);
  return `${shown}${clipMark(text.length - shown.length)}`;
}

/** The pledge form (附件2 as a card). Field names are the contract's (DESIGN.md). */
export function pledgeFormCard(v: PledgeFormView): Card {
  const whole = formCard(v);
  if (fitsFeishu(whole)) return whole;
  for (const cap of FIELD_CAPS) {
    const shorter = formCard(v, cap);
    if (fitsFeishu(shorter)) return shorter;
  }
  return tooLongCard(v);
}

function formCard(v: PledgeFormView, cap?: number): Card {
  const p = v.draft.profile;
  const ref = { pledge: v.versionId, rev: v.revision };
  const fields: CardElement[] = [
    markdown('**基本信息**'),
    input('name', '姓名', { value: p.name, maxLength: 30 }),
    ...err(v.errors, 'name'),
    // A select shows only the chosen value: without a label above, "男" alone says nothing.
    markdown('性别'),
    select('gender', '性别', [{ value: '男', text: '男' }, { value: '女', text: '女' }], p.gender || undefined),
    ...err(v.errors, 'gender'),
    input('birth_month', '出生年月', { value: p.birth_month, placeholder: '例如 1978-05', maxLength: 7 }),
    ...err(v.errors, 'birth_month'),
    input('position', '职务', { value: p.position, maxLength: 50 }),
    ...err(v.errors, 'position'),
    markdown('任职时间'),
    datePicker('term_start', '选择任职时间', p.term_start || undefined),
    ...err(v.errors, 'term_start'),
    input('contact', '联系方式', { value: p.contact, placeholder: '手机号或办公电话', maxLength: 50 }),
    ...err(v.errors, 'contact'),
  ];
  const slots = [...v.draft.items];
  for (let i = 0; i < (v.emptySlots ?? (slots.length === 0 ? 1 : 0)); i++) slots.push({ content: '', standard: '', due: '' });
  let clipped = false;
  slots.forEach((it, i) => {
    const n = i + 1;
    const content = clip(it.content, cap);
    const standard = clip(it.standard, cap);
    clipped ||= content !== it.content || standard !== it.standard;
    fields.push(
      markdown(`**承诺事项 ${n}**${it.follows ? '（再承诺）' : ''}`),
      input(`item_${n}`, '承诺内容', { value: content, multiline: true, maxLength: LIMITS.content, placeholder: cap ? '清空即删除本项' : '承诺做什么（清空内容即删除本项，连同标准和时限）' }),
      ...err(v.errors, `item_${n}`),
      input(`item_${n}_standard`, '标准/目标', { value: standard, multiline: true, maxLength: LIMITS.standard, placeholder: cap ? '标准/目标' : '做到什么程度，如何衡量' }),
      ...err(v.errors, `item_${n}_standard`),
      markdown('完成时限'),
      datePicker(`item_${n}_due`, '选择完成时限', it.due || undefined),
      ...err(v.errors, `item_${n}_due`),
    );
  });
  const filled = v.draft.items;
  fields.push(markdown(`<font color='grey'>共 ${filled.length} 项（最多 ${LIMITS.items} 项），承诺内容和标准合计 ${pledgeChars(filled)} 字（最多 ${LIMITS.total} 字）</font>`));
  fields.push(...err(v.errors, 'items'), ...err(v.errors, 'items_size'));
  // On a phone the form opens at its buttons, far below the first red line: say here what to fix.
  const errored = Object.keys(v.errors).length > 0;
  if (errored) fields.push(markdown(`<font color='red'>${md(errorSummary(v.errors), 200)}</font>`));
  const buttons = [
    submitButton('预览并提交', { action: 'pledge.submit', mode: 'preview', ...ref }, 'preview'),
    // No new slot past the limit: the form could only come back with "too many items".
    slots.length < LIMITS.items ? submitButton('添加一项', { action: 'pledge.add_item', ...ref }, 'add_item', 'default') : undefined,
    submitButton('保存草稿', { action: 'pledge.save', ...ref }, 'save', 'default'),
    // Inside the form, so what was typed comes with the press and is saved before the dialog
    // starts (a button outside the form sends no values: typed text was lost).
    submitButton('改用对话填写', { action: 'pledge.chat', ...ref }, 'chat', 'default'),
    v.revising ? abandonButton(v, ref) : undefined,
  ].filter((b): b is CardElement => !!b);
  fields.push({ tag: 'column_set', flex_mode: 'flow', columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })) });
  const intro = [
    v.returned ? `**${md(v.returned.by, 80)}退回，请按意见修改后重新提交：**\n<font color='orange'>${md(v.returned.opinion, 600) || '（未写意见）'}</font>` : '',
    v.notice ? `<font color='orange'>${md(v.notice, 600)}</font>` : '',
    `${md(v.orgName, 100)} · ${v.year} 年度 · 第 ${v.versionNo} 版　${deadlineLine(v)}`,
    clipped
      ? `<font color='orange'>这份承诺书太长，卡片装不下全文：较长的内容只显示开头，末尾注明「后 N 字未显示」；不删这个注明，保存时这些字就原样保留。提交前请精简到最多 ${LIMITS.items} 项、合计 ${LIMITS.total} 字。</font>`
      : '',
    errored
      ? `<font color='red'>${md(errorSummary(v.errors), 200)}，见标红提示。</font>`
      : v.returned
        ? '改好后点「预览并提交」。'
        : '核对预填的内容，补全后点「预览并提交」。',
  ].filter(Boolean);
  return card(`${v.year}年度公开承诺书${v.returned ? ' · 已退回' : ''}`, errored || v.returned ? 'orange' : 'blue', [
    markdown(intro.join('\n')),
    form('pledge_form', fields),
  ]);
}

/**
 * 「放弃修订」 deletes a revision never submitted; 「撤回修订」 ends one that was submitted and sent
 * back, keeping its record. Either way Feishu asks first (a named submit: it sits in the form).
 */
function abandonButton(v: PledgeFormView, ref: { pledge: number; rev: number }, inForm = true): CardElement {
  const { inForceNo, abandon } = v.revising!;
  const [label, outcome] = abandon === 'delete' ? ['放弃', '这一版的修改将删除'] : ['撤回', '这一版不再修改和提交（提交和退回的记录保留）'];
  return button(`${label}修订`, { action: 'pledge.abandon', ...ref }, 'danger', {
    ...(inForm ? { form_action_type: 'submit', name: 'abandon' } : {}),
    confirm: {
      title: { tag: 'plain_text', content: `${label}第 ${v.versionNo} 版修订？` },
      text: { tag: 'plain_text', content: `${outcome}，第 ${inForceNo} 版继续有效。` },
    },
  });
}

/** Last resort, for a pledge too long even with every field cut short (more items than a card holds). */
function tooLongCard(v: PledgeFormView): Card {
  const items = v.draft.items;
  return card(`${v.year}年度公开承诺书`, 'orange', [
    markdown(
      [
        `${md(v.orgName, 100)} · ${v.year} 年度 · 第 ${v.versionNo} 版　${deadlineLine(v)}`,
        `<font color='red'>这份承诺书有 ${items.length} 项、合计 ${pledgeChars(items)} 字，一张卡片装不下，无法在卡片中修改（上限 ${LIMITS.items} 项、${LIMITS.total} 字）。请点「改用对话填写」逐项精简承诺内容和标准，或在对话中回复「删除」去掉多余的事项。</font>`,
      ].join('\n'),
    ),
    button('改用对话填写', { action: 'pledge.chat', pledge: v.versionId, rev: v.revision }),
    ...(v.revising ? [abandonButton(v, { pledge: v.versionId, rev: v.revision }, false)] : []),
  ]);
}
