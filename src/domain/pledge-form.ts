import { normalizeDate, normalizeMonth } from './dates.js';

/** 附件2's profile fields, under the contract's form field names. */
export interface PledgeProfile {
  name: string;
  gender: string;
  birth_month: string;
  position: string;
  term_start: string;
  contact: string;
}

export interface PledgeItemDraft {
  /** Stable across versions; undefined for a new item (assigned on save). */
  key?: string;
  content: string;
  standard: string;
  due: string;
  /** 再承诺: the completed item this one follows. */
  follows?: string;
}

export interface PledgeDraft {
  profile: PledgeProfile;
  items: PledgeItemDraft[];
}

/** Field name → what is wrong with it (Chinese, shown beside the field). */
export type FieldErrors = Record<string, string>;

export const PROFILE_FIELDS: { name: keyof PledgeProfile; label: string; max: number }[] = [
  { name: 'name', label: '姓名', max: 30 },
  { name: 'gender', label: '性别', max: 2 },
  { name: 'birth_month', label: '出生年月', max: 7 },
  { name: 'position', label: '职务', max: 50 },
  { name: 'term_start', label: '任职时间', max: 10 },
  { name: 'contact', label: '联系方式', max: 50 },
];

export const LIMITS = { content: 300, standard: 300, items: 20 } as const;

export const emptyProfile = (): PledgeProfile => ({ name: '', gender: '', birth_month: '', position: '', term_start: '', contact: '' });

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

const GENDERS: Record<string, string> = { 男: '男', 女: '女', male: '男', female: '女', m: '男', f: '女' };

/**
 * Reads a submitted pledge form. `slots` are the items the card was built with (their keys
 * and links, from the server's draft — never from the client); extra item_<n> fields beyond
 * them are new items. An item slot left entirely empty is dropped (that is how items are removed).
 */
export function readPledgeForm(form: Record<string, unknown>, slots: PledgeItemDraft[]): PledgeDraft {
  const profile = emptyProfile();
  for (const f of PROFILE_FIELDS) profile[f.name] = text(form[f.name]);
  const g = GENDERS[profile.gender.toLowerCase()];
  if (g) profile.gender = g;
  const bm = normalizeMonth(profile.birth_month);
  if (bm) profile.birth_month = bm;
  const ts = normalizeDate(profile.term_start);
  if (ts) profile.term_start = ts;

  let max = slots.length;
  for (const k of Object.keys(form)) {
    const m = /^item_(\d{1,2})(?:_standard|_due)?$/.exec(k);
    if (m) max = Math.max(max, Number(m[1]));
  }
  const items: PledgeItemDraft[] = [];
  for (let n = 1; n <= Math.min(max, LIMITS.items + 5); n++) {
    const content = text(form[`item_${n}`]);
    const standard = text(form[`item_${n}_standard`]);
    const dueRaw = text(form[`item_${n}_due`]);
    const slot = slots[n - 1];
    if (!content && !standard && !dueRaw) continue;
    items.push({ key: slot?.key, follows: slot?.follows, content, standard, due: normalizeDate(dueRaw) ?? dueRaw });
  }
  return { profile, items };
}

/** Checks a draft for submission; returns field → error (empty when fine). */
export function validatePledge(d: PledgeDraft, year: number, today: string): FieldErrors {
  const e: FieldErrors = {};
  for (const f of PROFILE_FIELDS) {
    const v = d.profile[f.name];
    if (!v) e[f.name] = `请填写${f.label}`;
    else if (v.length > f.max) e[f.name] = `${f.label}最多 ${f.max} 个字`;
  }
  if (d.profile.gender && !e.gender && !['男', '女'].includes(d.profile.gender)) e.gender = '性别请选择 男 或 女';
  if (d.profile.birth_month && !e.birth_month) {
    if (!normalizeMonth(d.profile.birth_month)) e.birth_month = '出生年月格式应为 YYYY-MM，例如 1978-05';
    else {
      const age = year - Number(d.profile.birth_month.slice(0, 4));
      if (age < 18 || age > 100) e.birth_month = '出生年月不合理，请核对';
    }
  }
  if (d.profile.term_start && !e.term_start) {
    if (!normalizeDate(d.profile.term_start)) e.term_start = '任职时间格式应为 YYYY-MM-DD，例如 2020-09-01';
    else if (d.profile.term_start > today) e.term_start = '任职时间不能晚于今天';
    else if (d.profile.birth_month && d.profile.term_start.slice(0, 7) < d.profile.birth_month) e.term_start = '任职时间早于出生年月，请核对';
  }
  if (d.items.length === 0) e.item_1 = '请至少填写一项承诺事项';
  if (d.items.length > LIMITS.items) e.items = `承诺事项最多 ${LIMITS.items} 项`;
  d.items.forEach((it, i) => {
    const n = i + 1;
    if (!it.content) e[`item_${n}`] = `第 ${n} 项：请填写承诺内容`;
    else if (it.content.length > LIMITS.content) e[`item_${n}`] = `第 ${n} 项：内容最多 ${LIMITS.content} 字`;
    if (!it.standard) e[`item_${n}_standard`] = `第 ${n} 项：请填写标准或目标`;
    else if (it.standard.length > LIMITS.standard) e[`item_${n}_standard`] = `第 ${n} 项：标准最多 ${LIMITS.standard} 字`;
    if (!it.due) e[`item_${n}_due`] = `第 ${n} 项：请选择完成时限`;
    else if (!normalizeDate(it.due)) e[`item_${n}_due`] = `第 ${n} 项：完成时限「${it.due.slice(0, 20)}」不是有效日期`;
    else if (!it.due.startsWith(`${year}-`)) e[`item_${n}_due`] = `第 ${n} 项：完成时限须在 ${year} 年内`;
  });
  return e;
}
