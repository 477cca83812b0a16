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

/**
 * What one pledge may hold, chosen by measuring the cards (test/pledge-card-size.test.ts): every
 * card showing a pledge must stay under Feishu's 30 KB, and the form spends ~0.9 KB on each item's
 * fields before any text, ~3 bytes on each Chinese character. At 20 items of 300 + 300 the form
 * was 58 KB; at 10 items and 3,000 characters in all it is ~24 KB.
 * `total` counts the content and standard of every item.
 */
export const LIMITS = { content: 300, standard: 300, items: 10, total: 3000, opinion: 500 } as const;

/** Characters of content and standard, the part of a pledge that can grow. */
export const itemChars = (it: Pick<PledgeItemDraft, 'content' | 'standard'>): number => it.content.length + it.standard.length;
export const pledgeChars = (items: Pick<PledgeItemDraft, 'content' | 'standard'>[]): number => items.reduce((sum, it) => sum + itemChars(it), 0);

/**
 * An old pledge longer than a card can hold is shown in the form with its long fields cut short
 * and ended by this mark, which says how many characters are hidden. readPledgeForm puts the
 * hidden end back from the server's draft: an untouched field keeps its text, an edited one keeps
 * its unseen end, and deleting the mark drops that end on purpose.
 */
export const clipMark = (hidden: number): string => `…（后 ${hidden} 字未显示）`;
const CLIPPED = /…（后 (\d{1,6}) 字未显示）$/;

function unclip(value: string, stored: string | undefined): string {
  const m = CLIPPED.exec(value);
  if (!m || stored === undefined) return value;
  const hidden = Number(m[1]);
  if (hidden < 1 || hidden > stored.length) return value;
  return `${value.slice(0, m.index)}${stored.slice(stored.length - hidden)}`;
}

export const emptyProfile = (): PledgeProfile => ({ name: '', gender: '', birth_month: '', position: '', term_start: '', contact: '' });

/**
 * A draft keeps what was typed, over-long text included, so that validation can say how much to
 * cut; but no field is kept longer than a whole pledge may be (a form value is the client's, and
 * a 400,000-character field would otherwise sit in the draft, the ledger and every card).
 */
const MAX_KEPT = LIMITS.total;
/** Profile fields allow at most 50 characters. */
const MAX_PROFILE_KEPT = 100;
const MAX_DATE_KEPT = 20;

const text = (v: unknown, max: number = MAX_KEPT): string => (typeof v === 'string' ? v.trim().slice(0, max) : typeof v === 'number' ? String(v) : '');

const GENDERS: Record<string, string> = { 男: '男', 女: '女', male: '男', female: '女', m: '男', f: '女' };

/**
 * Reads a submitted pledge form. `slots` are the items the card was built with (their keys
 * and links, from the server's draft — never from the client); extra item_<n> fields beyond
 * them are new items. An item whose content is cleared is dropped, whatever its standard and due
 * date hold (that is how items are removed: the date picker sends its preset date back, so the
 * three were never all empty for a prefilled item).
 */
export function readPledgeForm(form: Record<string, unknown>, slots: PledgeItemDraft[]): PledgeDraft {
  const profile = emptyProfile();
  for (const f of PROFILE_FIELDS) profile[f.name] = text(form[f.name], MAX_PROFILE_KEPT);
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
  // A few fields past the limit are read so that validation can say "too many"; an old draft's
  // own slots (from the server) are all read, or saving its form would drop the last ones.
  for (let n = 1; n <= Math.min(max, Math.max(slots.length, LIMITS.items + 5)); n++) {
    const slot = slots[n - 1];
    const content = unclip(text(form[`item_${n}`]), slot?.content);
    if (!content) continue;
    const standard = unclip(text(form[`item_${n}_standard`]), slot?.standard);
    const dueRaw = text(form[`item_${n}_due`], MAX_DATE_KEPT);
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
  // A name is words, not a number (a phone number typed into the wrong field).
  if (d.profile.name && !e.name && !/[\p{L}]/u.test(d.profile.name)) e.name = '姓名请填写承诺人的名字';
  if (d.profile.birth_month && !e.birth_month) {
    if (!normalizeMonth(d.profile.birth_month)) e.birth_month = monthProblem(d.profile.birth_month);
    else {
      const age = year - Number(d.profile.birth_month.slice(0, 4));
      if (age < 18 || age > 100) e.birth_month = '出生年月不合理，请核对';
    }
  }
  if (d.profile.term_start && !e.term_start) {
    if (!normalizeDate(d.profile.term_start)) e.term_start = '任职时间请选择日期，或写成年-月-日，例如 2020-09-01';
    else if (d.profile.term_start > today) e.term_start = '任职时间不能晚于今天';
    else if (d.profile.birth_month && d.profile.term_start.slice(0, 7) < d.profile.birth_month) e.term_start = '任职时间早于出生年月，请核对';
  }
  if (d.items.length === 0) e.item_1 = '请至少填写一项承诺事项';
  if (d.items.length > LIMITS.items) e.items = `承诺事项最多 ${LIMITS.items} 项，现有 ${d.items.length} 项：请清空多余事项的承诺内容以删除它们`;
  const chars = pledgeChars(d.items);
  if (chars > LIMITS.total) {
    // Each field may be within its own cap while the whole is not: name the longest item, where cutting helps most.
    const longest = d.items.reduce((best, it, i) => (itemChars(it) > itemChars(d.items[best]!) ? i : best), 0);
    e.items_size = `承诺事项共 ${chars} 字，超过上限 ${LIMITS.total} 字：请精简承诺内容或标准（第 ${longest + 1} 项最长，${itemChars(d.items[longest]!)} 字）`;
  }
  d.items.forEach((it, i) => {
    const n = i + 1;
    if (!it.content) e[`item_${n}`] = `第 ${n} 项：请填写承诺内容`;
    else if (it.content.length > LIMITS.content) e[`item_${n}`] = `第 ${n} 项：内容最多 ${LIMITS.content} 字，现有 ${it.content.length} 字`;
    if (!it.standard) e[`item_${n}_standard`] = `第 ${n} 项：请填写标准或目标`;
    else if (it.standard.length > LIMITS.standard) e[`item_${n}_standard`] = `第 ${n} 项：标准最多 ${LIMITS.standard} 字，现有 ${it.standard.length} 字`;
    if (!it.due) e[`item_${n}_due`] = `第 ${n} 项：请选择完成时限`;
    else if (!normalizeDate(it.due)) e[`item_${n}_due`] = `第 ${n} 项：完成时限「${it.due.slice(0, 20)}」不是有效日期`;
    else if (!it.due.startsWith(`${year}-`)) e[`item_${n}_due`] = `第 ${n} 项：完成时限须在 ${year} 年内`;
  });
  return e;
}

/** Why a birth month was not taken, in words a secretary uses ("YYYY-MM" is jargon). */
function monthProblem(v: string): string {
  const m = /^\s*\d{4}\s*\D+\s*(\d{1,2})\D*$/.exec(v);
  if (m && (Number(m[1]) < 1 || Number(m[1]) > 12)) return `出生年月的月份应在 1–12 之间，例如 1978-05`;
  return '出生年月请写成年-月，例如 1978-05';
}

/** What each field is called where a person reads about it (the form's labels). */
function fieldName(key: string): string {
  const profile = PROFILE_FIELDS.find((f) => f.name === key);
  if (profile) return profile.label;
  const item = /^item_(\d+)(?:_(standard|due))?$/.exec(key);
  if (item) return `第 ${item[1]} 项${item[2] === 'standard' ? '标准' : item[2] === 'due' ? '完成时限' : '承诺内容'}`;
  return key === 'items' ? '事项数' : key === 'items_size' ? '总字数' : key;
}

/** "请修改：职务、第 1 项完成时限": where the problems are, for a toast or a line above the buttons. */
export function errorSummary(errors: FieldErrors): string {
  const keys = Object.keys(errors);
  const names = keys.slice(0, 4).map(fieldName).join('、');
  return `请修改：${names}${keys.length > 4 ? ` 等 ${keys.length} 处` : ''}`;
}
