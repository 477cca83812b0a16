import { chineseDate } from '../src/domain/dates.js';
import { deadlineText } from '../src/domain/cycle.js';
import type { PledgeChange } from '../src/domain/pledge-changes.js';
import { LIMITS } from '../src/domain/pledge-form.js';
import { button, card, clip, fitsFeishu, form, head, input, markdown, md, submitButton, type Card, type CardElement } from './card-kit.js';
import { pledgeBody, reviewLine, signatureLine } from './pledge-body.js';
import { PLEDGE_STATUS_LABEL, pledgeStatusLabel, wasReturned } from '../src/domain/pledge-status.js';
import type { PledgeView } from './pledge-view.js';

/** Formatted times the cards show (the use-case formats them in the deployment's zone). */
export interface Times {
  signedAt?: string;
  reviewedAt?: string;
}

const ref = (v: PledgeView) => ({ pledge: v.versionId, rev: v.revision });
const compact = (xs: (CardElement | undefined)[]): CardElement[] => xs.filter((x): x is CardElement => !!x);
const row = (...buttons: CardElement[]): CardElement => ({
  tag: 'column_set',
  flex_mode: 'flow',
  columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
});

/**
 * A pledge filed before LIMITS.total (or grown since) can be too long for one card: Feishu refuses
 * a card over 30 KB, and the reader — the leader who reviews it, the group it is published to —
 * gets nothing while the sender is told it went. Such a card is built again with each item's text
 * cut shorter, then with fewer items, until it fits; a note says so and where the full text is
 * (the Word file, which keeps up to 500 characters a field and 50 items).
 */
function* shortenings(items: number): Generator<{ cap: number; shown: number }> {
  for (const cap of [150, 80, 40, 20]) yield { cap, shown: items };
  for (let shown = Math.floor(items / 2); shown >= 1; shown = Math.floor(shown / 2)) yield { cap: 20, shown };
}

function fitted(v: PledgeView, hasDownload: boolean, build: (v: PledgeView, note: CardElement[]) => Card): Card {
  let built = build(v, []);
  if (fitsFeishu(built)) return built;
  for (const { cap, shown } of shortenings(v.items.length)) {
    const short: PledgeView = { ...v, items: v.items.slice(0, shown).map((i) => ({ ...i, content: clip(i.content, cap), standard: clip(i.standard, cap) })) };
    const note = markdown(
      `<font color='grey'>承诺书较长，卡片中每项只显示前 ${cap} 字${shown < v.items.length ? `，只列出前 ${shown} 项（共 ${v.items.length} 项）` : ''}；完整内容请点「下载承诺书」查看 Word 文件。</font>`,
    );
    built = build(short, hasDownload ? [note] : [note, button('下载承诺书', { action: 'pledge.download', pledge: v.versionId })]);
    if (fitsFeishu(built)) return built;
  }
  return built;
}

/**
 * 「标记第 N 项完成」: an action, not a status, and one that lands in the permanent ledger
 * (是否完成), so Feishu asks first (the button's confirm dialog, plain text only).
 */
function itemDoneButton(i: PledgeView['items'][number], versionId: number): CardElement {
  return button(`标记第 ${i.n} 项完成`, { action: 'pledge.item_done', item: i.key, pledge: versionId }, 'default', {
    confirm: {
      title: { tag: 'plain_text', content: `标记第 ${i.n} 项完成？` },
      text: { tag: 'plain_text', content: `「${clip(i.content, 40)}」将在承诺台账中显示为已完成。` },
    },
  });
}

/** The confirm step: the whole form, read-only, before it is sent. */
export function pledgePreviewCard(whole: PledgeView): Card {
  return fitted(whole, false, (v, note) => card(`请确认：${v.year}年度公开承诺书`, 'turquoise', [
    markdown(`${md(v.orgName, 100)} · 第 ${v.versionNo} 版　截止：${deadlineText(v.deadline)}`),
    ...pledgeBody(v),
    ...note,
    markdown("<font color='grey'>提交即以你的飞书身份和当前时间作为签字，报上级党组织审定。</font>"),
    row(button('确认提交', { action: 'pledge.submit', mode: 'confirm', ...ref(v) }, 'primary'), button('返回修改', { action: 'pledge.edit', ...ref(v) })),
  ]));
}

/** The secretary's view of a pledge in any state, with what can be done next. */
export function pledgeStatusCard(v: PledgeView, t: Times, opts: { canRevise: boolean; openRevision?: { versionNo: number; status: string } }): Card {
  return fitted(v, true, (shown, note) => statusCard(shown, t, opts, note));
}

function statusCard(v: PledgeView, t: Times, opts: { canRevise: boolean; openRevision?: { versionNo: number; status: string } }, note: CardElement[]): Card {
  const color = v.status === 'approved' ? 'green' : v.status === 'returned' ? 'orange' : 'blue';
  const next =
    v.status === 'submitted'
      ? '已报上级党组织审定，审定结果会通知你。'
      : v.status === 'approved'
        ? opts.openRevision
          ? `第 ${opts.openRevision.versionNo} 版修订${pledgeStatusLabel(opts.openRevision.status)}中；审定前本版继续有效。`
          : v.groups > 0
            ? `已审定并公示。回头审诺时可「修订承诺」${v.yearBegun ? '；某项完成后可「标记完成」并再承诺' : ''}。`
            : `已审定，但本组织还没有绑定群，暂未公示：请本组织或上级的领导、管理员在组织的群里发送「@践诺助手 绑定 ${md(v.orgCode, 64)}」（书记不能绑定），绑定后自动公示。回头审诺时可「修订承诺」。`
        : '';
  // The version in force, shown to its secretary, with no revision open: it may be revised and its items marked done.
  const actionable = v.status === 'approved' && opts.canRevise && !opts.openRevision;
  // Before its year begins an item cannot be done (markItemDone refuses): no button to be refused by.
  const itemButtons: CardElement[] = actionable && v.yearBegun ? v.items.filter((i) => !i.done).map((i) => itemDoneButton(i, v.versionId)) : [];
  const notYet = actionable && !v.yearBegun ? markdown(`<font color='grey'>${v.year}年1月1日起可逐项「标记完成」并再承诺。</font>`) : undefined;
  const actions = compact([
    actionable
      ? button('修订承诺', { action: 'pledge.revise', pledge: v.versionId }, 'primary', {
          confirm: {
            title: { tag: 'plain_text', content: '修订承诺？' },
            text: { tag: 'plain_text', content: `将起草第 ${v.versionNo + 1} 版，报上级审定；审定前第 ${v.versionNo} 版继续有效，不改了可以放弃修订。` },
          },
        })
      : undefined,
    button('历史与意见', { action: 'pledge.versions', pledge: v.versionId }),
    button('下载承诺书', { action: 'pledge.download', pledge: v.versionId }),
  ]);
  return card(`${v.year}年度公开承诺书 · ${PLEDGE_STATUS_LABEL[v.status]}`, color, compact([
    markdown(`${md(v.orgName, 100)} · 第 ${v.versionNo} 版`),
    ...pledgeBody(v, { showDone: true }),
    ...note,
    signatureLine(v, t.signedAt),
    reviewLine(v, t.reviewedAt),
    next ? markdown(`<font color='grey'>${next}</font>`) : undefined,
    itemButtons.length ? row(...itemButtons) : notYet,
    row(...actions),
  ]));
}

/** At most this many changes besides removals are listed on a review card; the rest are counted. */
const SHOWN_CHANGES = 8;

/** One line of text from a multi-line field, for a bullet. */
const oneLine = (text: string, max: number) => md(text.replace(/\s+/g, ' ').trim(), max);

/** How much of a changed text each side of 'old → new' shows. */
const SIDE = 24;
/** Characters kept before the first difference, so the reader sees where it is. */
const CONTEXT = 4;

/**
 * 'old → new', each side on one line and short (dates in Chinese): the full new text is in the
 * card below. Long texts that start alike show from just before where they differ — a standard
 * with a clause added at its end must not be cut off right before the clause.
 */
const was = (d: { label: string; before: string; after: string }): string => {
  const flat = (t: string) => (d.label === '完成时限' ? chineseDate(t) : t).replace(/\s+/g, ' ').trim();
  const [before, after] = [flat(d.before), flat(d.after)];
  let same = 0;
  while (same < before.length && same < after.length && before[same] === after[same]) same++;
  let from = before.length > SIDE || after.length > SIDE ? Math.max(0, same - CONTEXT) : 0;
  if (from > 0 && /[\udc00-\udfff]/.test(before[from] ?? '')) from--; // not half of an emoji
  const side = (t: string) => (t ? `${from > 0 ? '…' : ''}${md(t.slice(from), SIDE)}` : '（空）');
  return `${side(before)} → ${side(after)}`;
};

/**
 * What changed, for a reviewer: a revision against the version it replaces (修订要点), or a
 * resubmission against what was returned. Every removal is listed (the text below is the new
 * version's); other changes up to SHOWN_CHANGES.
 */
function changesBlock(title: string, unchanged: string, changes: PledgeChange[]): CardElement {
  if (changes.length === 0) return markdown(`<font color='grey'>${unchanged}</font>`);
  const line = (c: PledgeChange): string => {
    switch (c.kind) {
      case 'removed':
        return `· **删去**原第 ${c.n} 项：${oneLine(c.content, 60)}`;
      case 'added':
        return `· 新增第 ${c.n} 项：${oneLine(c.content, 60)}`;
      case 'changed':
        // From what to what: a reviewer checks the change itself, not just that there was one.
        return `· 第 ${c.n} 项${c.diffs.map((d) => `${d.label}：${was(d)}`).join('；')}`;
      case 'field':
        return `· ${c.label} 改为：${oneLine(c.value, 60)}`;
    }
  };
  const removals = changes.filter((c) => c.kind === 'removed');
  const others = changes.filter((c) => c.kind !== 'removed');
  const rest = others.length - SHOWN_CHANGES;
  return markdown(
    [title, ...removals.map(line), ...others.slice(0, SHOWN_CHANGES).map(line), ...(rest > 0 ? [`<font color='grey'>另有 ${rest} 处改动，见下方全文。</font>`] : [])].join('\n'),
  );
}

export interface ReviewCardOptions {
  /** A revision: the version it replaces, and what it changed against it. */
  previous?: { versionNo: number; changes: PledgeChange[] };
  /** A resubmission after a return: what changed since (undefined when not known, e.g. returned before this was kept). */
  sinceReturn?: PledgeChange[];
  /** A refused decision: the opinion as typed, and why, under the field. */
  refused?: { error: string; typed: string };
}

/** 审定: the superior's card, with the opinion field and the two decisions (and what changed). */
export function pledgeReviewCard(whole: PledgeView, t: Times, opts: ReviewCardOptions = {}): Card {
  const { previous, sinceReturn, refused } = opts;
  return fitted(whole, false, (v, note) => card(`待审定：${v.orgName} ${v.year}年度公开承诺书`, 'purple', compact([
    markdown(`第 ${v.versionNo} 版${previous ? `（修订，替换第 ${previous.versionNo} 版）` : ''}　提交：${md(v.signedBy ?? '', 30)} ${t.signedAt ?? ''}`),
    previous ? changesBlock(`**修订要点**（与第 ${previous.versionNo} 版相比）：`, `与第 ${previous.versionNo} 版相比，内容没有改动。`, previous.changes) : undefined,
    v.previousReturn
      ? markdown(`**上次退回意见**：${md(v.previousReturn, 500)}\n<font color='grey'>这是退回后重新提交的版本，请核对是否已按意见修改。</font>`)
      : undefined,
    v.previousReturn && sinceReturn ? changesBlock('**退回后的修改**：', '退回后内容没有改动。', sinceReturn) : undefined,
    ...pledgeBody(v),
    ...note,
    form('review_form', compact([
      // A refused opinion comes back as typed (within the field's limit), to be corrected, not retyped.
      input('opinion', '审定意见', { multiline: true, maxLength: LIMITS.opinion, placeholder: '通过时可写审定意见；退回时必须写明修改意见', value: refused ? head(refused.typed, LIMITS.opinion) : undefined }),
      // A toast fades: the refusal also stays under the field it is about.
      refused ? markdown(`<font color='red'>${md(refused.error, 100)}</font>`) : undefined,
      row(
        submitButton('审定通过', { action: 'pledge.approve', pledge: v.versionId, rev: v.revision }, 'approve', 'primary'),
        submitButton('退回修改', { action: 'pledge.return', pledge: v.versionId, rev: v.revision }, 'return', 'danger'),
      ),
    ])),
  ])));
}

/** The review card after a decision (replaces the buttons; shown to every reviewer). */
export function pledgeDecidedCard(whole: PledgeView, t: Times, decision: { approved: boolean; by: string; opinion: string; at: string }): Card {
  return fitted(whole, false, (v, note) => card(`${decision.approved ? '已审定通过' : '已退回'}：${v.orgName} ${v.year}年度公开承诺书`, decision.approved ? 'green' : 'orange', compact([
    markdown(`第 ${v.versionNo} 版　提交：${md(v.signedBy ?? '', 30)} ${t.signedAt ?? ''}`),
    ...pledgeBody(v),
    ...note,
    markdown(`**${decision.approved ? '审定意见' : '退回意见'}**：${md(decision.opinion || '（无）', 500)}\n<font color='grey'>${md(decision.by, 30)}　${decision.at}</font>`),
  ])));
}

/** A publication whose version a revision replaced (PATCHed over it in each group). */
export function pledgeReplacedCard(v: PledgeView, by: { versionNo: number }): Card {
  return card(`公示：${v.orgName} 书记 ${v.year}年度公开承诺（已修订）`, 'grey', [
    markdown(`这是第 ${v.versionNo} 版，已被回头审诺后的第 ${by.versionNo} 版取代；新版已在本群公示，请以新版为准。`),
    button('下载本版承诺书', { action: 'pledge.download', pledge: v.versionId }),
  ]);
}

/** 公示: posted to the organization's group chats; members may give opinions on it. */
export function pledgePublicationCard(whole: PledgeView, t: Times): Card {
  return fitted(whole, true, (v, note) => card(`公示：${v.orgName} 书记 ${v.year}年度公开承诺`, 'red', compact([
    markdown(v.versionNo > 1 ? `回头审诺后的第 ${v.versionNo} 版，现予公示。` : '经上一级党组织审定，现予公示，欢迎党员群众监督。'),
    ...pledgeBody(v),
    ...note,
    signatureLine(v, t.signedAt),
    reviewLine(v, t.reviewedAt),
    form('opinion_form', [
      input('suggestion', '意见和建议', { multiline: true, maxLength: 500, placeholder: '对本承诺的意见和建议（书记和上级可见）' }),
      submitButton('提交意见', { action: 'pledge.comment', pledge: v.versionId }, 'comment', 'default'),
    ]),
    // Outside the form: every button in a form must be a named submit or reset (Feishu's form rules).
    button('下载承诺书', { action: 'pledge.download', pledge: v.versionId }),
  ])));
}

export function pledgeVersionsCard(
  title: string,
  rows: { versionNo: number; status: string; submittedAt?: string; reviewedAt?: string; opinion?: string | null; inForce: boolean; returns?: { at: string; opinion: string }[] }[],
  opinions: { name: string; text: string; at: string }[],
): Card {
  const lines = rows.map(
    (r) =>
      `**第 ${r.versionNo} 版** · ${pledgeStatusLabel(r.status)}${r.inForce ? ' · **现行**' : ''}` +
      // Returns before the version's latest review (it was edited and resubmitted after each).
      (r.returns ?? []).map((x) => `\n<font color='grey'>退回 ${x.at}</font>：${md(x.opinion, 200)}`).join('') +
      `\n<font color='grey'>${r.submittedAt ? `提交 ${r.submittedAt}` : '未提交'}${r.reviewedAt ? `　${wasReturned(r.status) ? '退回' : '审定'} ${r.reviewedAt}` : ''}</font>${r.opinion ? `\n${r.status === 'submitted' ? '上次退回意见' : wasReturned(r.status) ? '退回意见' : '意见'}：${md(r.opinion, 200)}` : ''}`,
  );
  const ops = opinions.map((o) => `· ${md(o.name, 30)}（${o.at}）：${md(o.text, 300)}`);
  const build = (shown: number, total: number) =>
    card(title, 'grey', compact([
      markdown(lines.join('\n\n') || '（暂无版本）'),
      shown ? markdown(`**党员群众意见**${shown < total ? `（最近 ${shown} 条，共 ${total} 条）` : ''}\n${ops.slice(0, shown).join('\n')}`) : undefined,
    ]));
  // Opinions are newest first: while the card is over Feishu's size, show fewer of them.
  let shown = ops.length;
  let built = build(shown, ops.length);
  while (!fitsFeishu(built) && shown > 1) built = build((shown = Math.floor(shown / 2)), ops.length);
  return built;
}

export function chooseOrgCard(orgs: { code: string; name: string }[]): Card {
  return card('选择组织', 'blue', [
    markdown('你是多个组织的书记，请选择要填写承诺书的组织：'),
    row(...orgs.map((o) => button(o.name, { action: 'pledge.open', org: o.code }))),
  ]);
}
