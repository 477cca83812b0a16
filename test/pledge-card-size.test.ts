import { describe, expect, it } from 'vitest';
import { pledgeDecidedCard, pledgePreviewCard, pledgePublicationCard, pledgeReviewCard, pledgeStatusCard, pledgeVersionsCard } from '../cards/pledge-cards.js';
import { pledgeFormCard, type PledgeFormView } from '../cards/pledge-form-card.js';
import type { PledgeView } from '../cards/pledge-view.js';
import { LIMITS, readPledgeForm, validatePledge, type FieldErrors, type PledgeItemDraft, type PledgeProfile } from '../src/domain/pledge-form.js';
import { buttonTexts, cardText, formDefaults } from './helpers/cards.js';

/**
 * Feishu refuses a card message whose request body is over 30 KB (error 230025, "卡片及富文本消息
 * 请求体最大不能超过30KB"), and the outbox only logs the refusal: a review card that is too big
 * never reaches the leader. The card travels as a JSON string inside the JSON body, so it is
 * measured escaped, as sent, and kept 2 KB under the limit for the rest of the body.
 */
const FEISHU_MAX = 30 * 1024;
const BUDGET = 28 * 1024;
const wire = (c: unknown): number => Buffer.byteLength(JSON.stringify(JSON.stringify(c)), 'utf8');
const plain = (c: unknown): number => Buffer.byteLength(JSON.stringify(c), 'utf8');

function expectSendable(name: string, c: unknown): void {
  expect(plain(c), `${name}: card JSON bytes`).toBeLessThanOrEqual(FEISHU_MAX);
  expect(wire(c), `${name}: bytes in the request body`).toBeLessThanOrEqual(BUDGET);
}

const YEAR = 2027;
const TODAY = '2027-01-05';
// Every profile field at its own cap; Chinese text is 3 bytes a character, the heaviest a secretary types.
const PROFILE: PledgeProfile = { name: '张'.repeat(30), gender: '男', birth_month: '1978-05', position: '职'.repeat(50), term_start: '2020-09-01', contact: '电'.repeat(50) };
const ORG = '组'.repeat(100);

/** LIMITS.items items holding LIMITS.total characters: the first with both fields at their cap, the rest sharing what is left. */
function itemsAtLimits(ch = '诺'): PledgeItemDraft[] {
  const items: PledgeItemDraft[] = [{ key: 'k1', content: ch.repeat(LIMITS.content), standard: ch.repeat(LIMITS.standard), due: '2027-12-31' }];
  const rest = LIMITS.total - LIMITS.content - LIMITS.standard;
  const others = LIMITS.items - 1;
  for (let i = 0; i < others; i++) {
    const share = Math.floor(rest / others) + (i < rest % others ? 1 : 0);
    const content = Math.ceil(share / 2);
    items.push({ key: `k${i + 2}`, content: ch.repeat(content), standard: ch.repeat(share - content), due: '2027-06-30' });
  }
  return items;
}

function formView(items: PledgeItemDraft[], errors: FieldErrors = {}): PledgeFormView {
  // More than any one form shows (an upper bound): a returned revision's header with the longest
  // opinion, the revision notice and the 撤回修订 button of a returned revision.
  return { versionId: 123456, revision: 42, versionNo: 3, year: YEAR, orgName: ORG, deadline: { set: '2027-01-16', due: '2027-01-18' }, draft: { profile: PROFILE, items }, errors, returned: { by: `${'李'.repeat(30)}（${'院'.repeat(50)}）`, opinion: '改'.repeat(500) }, revising: { inForceNo: 2, abandon: 'withdraw' }, notice: '修订第 3 版：审定前第 2 版继续有效；不改了可点「撤回修订」。' };
}

function view(items: PledgeItemDraft[]): PledgeView {
  return {
    pledgeId: 1, versionId: 123456, versionNo: 3, revision: 42, status: 'approved', year: YEAR, yearBegun: true, orgName: ORG, orgCode: 'HENU-WXY-ZW', profile: PROFILE,
    items: items.map((it, i) => ({ n: i + 1, key: it.key ?? `k${i}`, content: it.content, standard: it.standard, due: it.due, followsN: i ? i : undefined, done: false })),
    signedBy: '张'.repeat(30), signedAt: '2027-01-05T02:00:00.000Z',
    review: { opinion: '审'.repeat(500), reviewerName: '李'.repeat(30), reviewOrgName: ORG, reviewedAt: '2027-01-06T02:00:00.000Z' },
    // Worst cases: a review card with the opinion it was returned with, a status card with no group.
    previousReturn: '退'.repeat(600),
    groups: 0,
    deadline: { set: '2027-01-16', due: '2027-01-18' }, // the longer text: set on a Saturday
  };
}

const TIMES = { signedAt: '2027年1月5日 10:00', reviewedAt: '2027年1月6日 10:00' };

/** Every read-only card a pledge is shown on, the status card with a 「标记第 n 项完成」 button per item. */
function readOnlyCards(v: PledgeView): [string, unknown][] {
  return [
    ['preview', pledgePreviewCard(v)],
    ['status', pledgeStatusCard(v, TIMES, { canRevise: true })],
    // A revision that removed every item of the last version and changed everything else: its 修订要点 are capped too.
    ['review', pledgeReviewCard(v, TIMES, { previous: { versionNo: 2, changes: [...Array.from({ length: LIMITS.items }, (_, i) => ({ kind: 'removed' as const, n: i + 1, content: '&'.repeat(500) })), ...Array.from({ length: 60 }, (_, i) => ({ kind: 'field' as const, label: '联系方式', value: `${i}${'&'.repeat(500)}` }))] } })],
    ['decided', pledgeDecidedCard(v, TIMES, { approved: true, by: `${'李'.repeat(30)}（${ORG}）`, opinion: '审'.repeat(500), at: '2027年1月6日 10:00' })],
    ['publication', pledgePublicationCard(v, TIMES)],
  ];
}

const TRUNCATED = '完整内容请点「下载承诺书」';

describe('a pledge at the limits fits every card it is shown on', () => {
  const items = itemsAtLimits();

  it('is a pledge the form accepts', () => {
    expect(items).toHaveLength(LIMITS.items);
    expect(items.reduce((n, it) => n + it.content.length + it.standard.length, 0)).toBe(LIMITS.total);
    expect(validatePledge({ profile: PROFILE, items }, YEAR, TODAY)).toEqual({});
  });

  it('the form card, whole', () => {
    const c = pledgeFormCard(formView(items));
    expectSendable('form', c);
    const d = formDefaults(c as unknown as Record<string, unknown>);
    items.forEach((it, i) => {
      expect(d[`item_${i + 1}`]).toBe(it.content);
      expect(d[`item_${i + 1}_standard`]).toBe(it.standard);
    });
  });

  it("a revision's 修订要点 list every removal, however many other changes are cut to the first 8", () => {
    const changed = Array.from({ length: 9 }, (_, i) => ({ kind: 'changed' as const, n: i + 1, diffs: [{ label: '标准', before: '每月一次', after: '每周一次' }] }));
    const text = cardText(pledgeReviewCard(view(items), TIMES, { previous: { versionNo: 1, changes: [{ kind: 'removed', n: 10, content: '每月走访\n困难党员' }, ...changed] } }) as unknown as Record<string, unknown>);
    expect(text).toContain('· **删去**原第 10 项：每月走访 困难党员\n· 第 1 项标准：每月一次 → 每周一次');
    expect(text).toContain('· 第 8 项标准：每月一次 → 每周一次\n');
    expect(text).not.toContain('第 9 项标准');
    expect(text).toContain('另有 1 处改动');
    // Dates in Chinese; user text escaped and on one line.
    const due = cardText(pledgeReviewCard(view(items), TIMES, { previous: { versionNo: 1, changes: [{ kind: 'changed', n: 1, diffs: [{ label: '完成时限', before: '2027-06-30', after: '2027-12-31' }, { label: '承诺内容', before: '**粗体**\n换行', after: '' }] }] } }) as unknown as Record<string, unknown>);
    expect(due).toContain('· 第 1 项完成时限：2027年6月30日 → 2027年12月31日；承诺内容：&#42;&#42;粗体&#42;&#42; 换行 → （空）');
    // A long text changed near its end shows from just before the change, not its unchanged start.
    const tail = cardText(pledgeReviewCard(view(items), TIMES, { previous: { versionNo: 1, changes: [{ kind: 'changed', n: 1, diffs: [{ label: '标准', before: '全年主题党日不少于12次，党员参与率90%以上', after: '全年主题党日不少于12次，党员参与率95%以上，撰写心得不少于2篇' }] }] } }) as unknown as Record<string, unknown>);
    expect(tail).toContain('· 第 1 项标准：…参与率90%以上 → …参与率95%以上，撰写心得不少于2篇');
    // An emoji just before the difference is kept whole.
    const emoji = cardText(pledgeReviewCard(view(items), TIMES, { previous: { versionNo: 1, changes: [{ kind: 'changed', n: 1, diffs: [{ label: '标准', before: `${'全'.repeat(20)}🎉abcX`, after: `${'全'.repeat(20)}🎉abcY` }] }] } }) as unknown as Record<string, unknown>);
    expect(emoji).toContain('：…🎉abcX → …🎉abcY');
  });

  it('the read-only cards, whole', () => {
    for (const [name, c] of readOnlyCards(view(items))) {
      expectSendable(name, c);
      const text = cardText(c as Record<string, unknown>);
      expect(text, name).not.toContain(TRUNCATED);
      for (const it of items) expect(text, name).toContain(it.content);
    }
  });

  it('with the characters that weigh most on the wire', () => {
    // A quote is 4 bytes once escaped twice; & becomes &amp; in markdown, 5 bytes.
    expectSendable('form of quotes', pledgeFormCard(formView(itemsAtLimits('"'))));
    for (const [name, c] of readOnlyCards(view(itemsAtLimits('&')))) expectSendable(`${name} of &`, c);
  });

  it('the form with a problem at every field still fits, and keeps every word', () => {
    const errors: FieldErrors = { items: `承诺事项最多 ${LIMITS.items} 项`, items_size: `承诺事项共 ${LIMITS.total + 1} 字，超过上限` };
    for (const f of ['name', 'gender', 'birth_month', 'position', 'term_start', 'contact']) errors[f] = `${f}：出生年月格式应为 YYYY-MM，例如 1978-05`;
    items.forEach((_, i) => {
      for (const f of [`item_${i + 1}`, `item_${i + 1}_standard`, `item_${i + 1}_due`]) errors[f] = `第 ${i + 1} 项：完成时限「2027-13-45 +0800 xx」不是有效日期`;
    });
    const c = pledgeFormCard(formView(items, errors));
    expectSendable('form with errors', c);
    expect(readPledgeForm(formDefaults(c as unknown as Record<string, unknown>), items).items).toEqual(items);
  });
});

describe('a pledge over the limits', () => {
  it('is refused with what to shorten, naming the longest item', () => {
    const items = itemsAtLimits();
    items[LIMITS.items - 1]!.standard += '诺';
    const e = validatePledge({ profile: PROFILE, items }, YEAR, TODAY);
    expect(e.items_size).toBe(`承诺事项共 ${LIMITS.total + 1} 字，超过上限 ${LIMITS.total} 字：请精简承诺内容或标准（第 1 项最长，${LIMITS.content + LIMITS.standard} 字）`);
    // The form shows it (the secretary sees it beside the items) and still fits.
    const c = pledgeFormCard(formView(items, e));
    expectSendable('form over the limit', c);
    expect(cardText(c as unknown as Record<string, unknown>)).toContain(e.items_size!);
  });

  it('too many items is refused with how to remove one', () => {
    const items = Array.from({ length: LIMITS.items + 1 }, (_, i) => ({ content: `事项${i}`, standard: '标准', due: '2027-06-30' }));
    expect(validatePledge({ profile: PROFILE, items }, YEAR, TODAY).items).toBe(`承诺事项最多 ${LIMITS.items} 项，现有 ${LIMITS.items + 1} 项：请清空多余事项的承诺内容以删除它们`);
    expect(buttonTexts(pledgeFormCard(formView(items)) as unknown as Record<string, unknown>)).not.toContain('添加一项');
  });
});

describe('older, longer pledges (filed under the old limits) still reach their readers', () => {
  // The old limits: 20 items of 300 + 300 characters; drafts could hold 25.
  const old = (n: number, ch = '旧') => Array.from({ length: n }, (_, i) => ({ key: `o${i + 1}`, content: `${i + 1}${ch.repeat(LIMITS.content - 1)}`, standard: ch.repeat(LIMITS.standard), due: '2027-12-31' }));

  it('read-only cards shorten the items and point to the Word file', () => {
    for (const n of [20, 25]) {
      for (const [name, c] of readOnlyCards(view(old(n)))) {
        expectSendable(`${name} of ${n}`, c);
        expect(cardText(c as Record<string, unknown>), name).toContain(TRUNCATED);
        expect(buttonTexts(c as Record<string, unknown>), name).toContain('下载承诺书');
      }
    }
    for (const [name, c] of readOnlyCards(view(old(60, '&')))) expectSendable(`${name} of 60 &`, c);
  });

  it('the form shows each long field cut short, and saving it untouched keeps every word', () => {
    const items = old(20);
    const c = pledgeFormCard(formView(items)) as unknown as Record<string, unknown>;
    expectSendable('form of 20', c);
    expect(cardText(c)).toContain('卡片装不下全文');
    const sent = formDefaults(c);
    expect(sent.item_1!.length).toBeLessThan(items[0]!.content.length);
    expect(readPledgeForm(sent, items).items).toEqual(items);
    // An edit of the shown part keeps the hidden end; deleting the mark drops it, on purpose.
    const hiddenEnd = /…（后 \d+ 字未显示）$/;
    const edited = readPledgeForm({ ...sent, item_1: `新${sent.item_1!}`, item_2: sent.item_2!.replace(hiddenEnd, '') }, items).items;
    expect(edited[0]!.content).toBe(`新${items[0]!.content}`);
    expect(items[1]!.content.startsWith(edited[1]!.content)).toBe(true);
    expect(edited[1]!.content.length).toBeLessThan(items[1]!.content.length);
  });

  it('a form too long even cut short says what to do instead', () => {
    const c = pledgeFormCard(formView(old(25))) as unknown as Record<string, unknown>;
    expectSendable('form of 25', c);
    expect(cardText(c)).toContain('改用对话填写');
    expect(buttonTexts(c)).toEqual(['改用对话填写', '撤回修订']); // (the view is a returned revision)
  });

  it('the history card shows fewer member opinions, newest first, rather than go over the size', () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ versionNo: i + 1, status: 'superseded', submittedAt: '2027年1月5日 10:00', reviewedAt: '2027年1月6日 10:00', opinion: '见'.repeat(200), inForce: false }));
    const opinions = Array.from({ length: 30 }, (_, i) => ({ name: '王'.repeat(30), text: `${i}${'意'.repeat(299)}`, at: '2027年2月1日 10:00' }));
    const c = pledgeVersionsCard('文学院中文系党支部 2027年度承诺书 · 版本', rows, opinions) as unknown as Record<string, unknown>;
    expectSendable('versions', c);
    expect(cardText(c)).toMatch(/最近 \d+ 条，共 30 条/);
    expect(cardText(c)).toContain(`0${'意'.repeat(20)}`); // the newest is kept
  });
});
