import { chineseDate } from '../src/domain/dates.js';
import type { FieldErrors, PledgeDraft } from '../src/domain/pledge-form.js';
import { LIMITS } from '../src/domain/pledge-form.js';
import { button, card, datePicker, form, input, markdown, md, select, submitButton, type Card, type CardElement } from './card-kit.js';

export interface PledgeFormView {
  versionId: number;
  revision: number;
  versionNo: number;
  year: number;
  orgName: string;
  deadline: string;
  draft: PledgeDraft;
  errors: FieldErrors;
  /** Shown on top: why the form is back (the reviewer's opinion on a returned pledge). */
  notice?: string;
  /** Extra empty item slots to show (after "添加一项"). */
  emptySlots?: number;
}

const err = (errors: FieldErrors, name: string): CardElement[] =>
  errors[name] ? [markdown(`<font color='red'>${md(errors[name]!, 100)}</font>`)] : [];

/** The pledge form (附件2 as a card). Field names are the contract's (DESIGN.md). */
export function pledgeFormCard(v: PledgeFormView): Card {
  const p = v.draft.profile;
  const ref = { pledge: v.versionId, rev: v.revision };
  const fields: CardElement[] = [
    markdown('**基本信息**'),
    input('name', '姓名', { value: p.name, maxLength: 30 }),
    ...err(v.errors, 'name'),
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
  slots.forEach((it, i) => {
    const n = i + 1;
    fields.push(
      markdown(`**承诺事项 ${n}**${it.follows ? '（再承诺）' : ''}`),
      input(`item_${n}`, '承诺内容', { value: it.content, multiline: true, maxLength: LIMITS.content, placeholder: '承诺做什么（清空本项内容即删除此项）' }),
      ...err(v.errors, `item_${n}`),
      input(`item_${n}_standard`, '标准/目标', { value: it.standard, multiline: true, maxLength: LIMITS.standard, placeholder: '做到什么程度，如何衡量' }),
      ...err(v.errors, `item_${n}_standard`),
      markdown('完成时限'),
      datePicker(`item_${n}_due`, '选择完成时限', it.due || undefined),
      ...err(v.errors, `item_${n}_due`),
    );
  });
  fields.push(...err(v.errors, 'items'));
  fields.push(
    {
      tag: 'column_set',
      flex_mode: 'flow',
      columns: [
        { tag: 'column', width: 'auto', elements: [submitButton('预览并提交', { action: 'pledge.submit', mode: 'preview', ...ref }, 'preview')] },
        { tag: 'column', width: 'auto', elements: [submitButton('添加一项', { action: 'pledge.add_item', ...ref }, 'add_item', 'default')] },
        { tag: 'column', width: 'auto', elements: [submitButton('保存草稿', { action: 'pledge.save', ...ref }, 'save', 'default')] },
      ],
    },
  );
  const intro = [
    v.notice ? `<font color='orange'>${md(v.notice, 600)}</font>` : '',
    `${md(v.orgName, 100)} · ${v.year} 年度 · 第 ${v.versionNo} 版　截止：${chineseDate(v.deadline)}`,
    Object.keys(v.errors).length ? `<font color='red'>有 ${Object.keys(v.errors).length} 处需要修改，见标红提示。</font>` : '已按名录和去年的承诺书预填，核对后点「预览并提交」。',
  ].filter(Boolean);
  return card(`${v.year}年度公开承诺书`, Object.keys(v.errors).length ? 'orange' : 'blue', [
    markdown(intro.join('\n')),
    form('pledge_form', fields),
    button('改用对话填写', { action: 'pledge.chat', ...ref }),
  ]);
}
