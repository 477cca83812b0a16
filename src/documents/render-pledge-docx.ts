/**
 * The printable 公开承诺书, laid out like the seed's 附件2: title, then one bordered table
 * (姓名 性别 出生年月 / 职务 任职时间 联系方式 / 党组织名称 / 公开承诺事项 with the 承诺人签字 and date /
 * 上一级党组织审定意见 with 盖章 and date), then the note on 一式四份. A pure renderer: view model in, bytes out.
 */
import {
  AlignmentType,
  Document,
  Footer,
  HeightRule,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableLayoutType,
  TableRow,
  TextRun,
  VerticalAlignTable,
  WidthType,
} from 'docx';
import { CHINESE_FONT_TABLE } from './chinese-font-table.js';
import { isPublished } from '../domain/pledge-rules.js';
import { PLEDGE_STATUS_LABEL } from '../domain/pledge-status.js';
import type { PledgeDocument } from './pledge-document.js';
import {
  chineseDate,
  chineseDateInZone,
  chineseMonth,
  cleanLine,
  cleanText,
  isTimeZone,
  textLines,
} from './document-text.js';
import {
  EM,
  FONT_HEI,
  FONT_SONG,
  FORM_BORDERS,
  SIZE_BODY,
  SIZE_FOOTER,
  SIZE_NOTE,
  SIZE_TITLE,
  blankLine,
  cell,
  labelCell,
  para,
  runs,
  tab,
  textWidth,
} from './docx-kit.js';

export { pledgeFileName } from './pledge-file-name.js';

/** Caps on user text, in characters: the form stays a form whatever was typed. */
export const PLEDGE_DOC_LIMITS = {
  short: 40, // 姓名, 性别, dates given as text
  position: 60,
  contact: 60,
  orgName: 100,
  content: 500,
  standard: 500,
  opinion: 1000,
  items: 50,
} as const;

export const PLEDGE_NOTE = '注：本承诺书一式四份，本级组织留存一份，公示一份，报送上级两份。';
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

// A4 in twips, with 2.54 cm top, 2.2 cm bottom and 2.4 cm side margins.
const PAGE = { width: 11906, height: 16838, top: 1440, bottom: 1247, side: 1361 } as const;
const COLUMNS = [1450, 1650, 1200, 2100, 1200, 1584] as const;
const TABLE_WIDTH = COLUMNS.reduce((a, b) => a + b, 0);
const VALUE_SPAN_WIDTH = TABLE_WIDTH - COLUMNS[0];
/** The 公开承诺事项 box is at least this tall, so a short pledge still looks like the form. */
const ITEMS_BOX_MIN = 5200;
const ITEM_ROW_MIN = 700;
const CELL_SIDE_MARGIN = 100;
const PROFILE_ROW_MIN = 640;
const REVIEW_ROW_MIN = 2600;
const BLANK_DATE = '　　　　年　　月　　日';
/** Where the signature and stamp lines start inside their box: the right half, as on the paper form. */
const SIGN_INDENT = 3800;
/** Item text starts here; the number ('12.') sits in the hanging part before a tab. */
const ITEM_INDENT = 440;

const col = (i: number): number => COLUMNS[i] ?? 0;

export async function renderPledgeDocx(doc: PledgeDocument): Promise<Uint8Array> {
  const timeZone = isTimeZone(doc.timeZone) ? doc.timeZone : DEFAULT_TIME_ZONE;
  const title = `${doc.year}年度党组织书记公开承诺书`;
  const document = new Document({
    title,
    creator: '践诺助手',
    description: `${cleanLine(doc.orgName, PLEDGE_DOC_LIMITS.orgName)} 第${doc.version}版`,
    styles: {
      default: {
        document: {
          run: {
            font: FONT_SONG,
            size: SIZE_BODY,
            language: { value: 'en-US', eastAsia: 'zh-CN' },
          },
          paragraph: { spacing: { line: 300 } },
        },
      },
    },
    sections: [
      {
        properties: {
          page: {
            size: { width: PAGE.width, height: PAGE.height },
            margin: {
              top: PAGE.top,
              bottom: PAGE.bottom,
              left: PAGE.side,
              right: PAGE.side,
              header: 720,
              footer: 600,
            },
          },
        },
        footers: { default: footer(doc) },
        children: [
          para(runs(title, { font: FONT_HEI, size: SIZE_TITLE }), { align: AlignmentType.CENTER, after: isPublished(doc.status) ? 360 : 120 }),
          // Not approved: printed to check, never to post; said where nobody can miss it.
          ...(isPublished(doc.status) ? [] : [para(runs(`（${PLEDGE_STATUS_LABEL[doc.status]}，未经上级审定，仅供核对，不作公示）`, { font: FONT_HEI, size: SIZE_NOTE }), { align: AlignmentType.CENTER, after: 240 })]),
          formTable(doc, timeZone),
          para(runs(PLEDGE_NOTE, { size: SIZE_NOTE }), { before: 120, left: EM / 2 }),
        ],
      },
    ],
  });
  return Packer.pack(document, 'uint8array', false, [CHINESE_FONT_TABLE]);
}

function formTable(doc: PledgeDocument, timeZone: string): Table {
  const p = doc.profile;
  const L = PLEDGE_DOC_LIMITS;
  const value = (text: string, i: number): ReturnType<typeof cell> =>
    cell([para(runs(text), { align: AlignmentType.CENTER })], { width: col(i) });
  const profileRow = (cells: ReturnType<typeof cell>[]): TableRow =>
    new TableRow({ children: cells, cantSplit: true, height: { value: PROFILE_ROW_MIN, rule: HeightRule.ATLEAST } });

  return new Table({
    width: { size: TABLE_WIDTH, type: WidthType.DXA },
    columnWidths: [...COLUMNS],
    layout: TableLayoutType.FIXED,
    alignment: AlignmentType.CENTER,
    borders: FORM_BORDERS,
    margins: { left: CELL_SIDE_MARGIN, right: CELL_SIDE_MARGIN, top: 40, bottom: 40 },
    rows: [
      profileRow([
        labelCell(['姓名'], { width: col(0) }),
        value(cleanLine(p.name, L.short), 1),
        labelCell(['性别'], { width: col(2) }),
        value(cleanLine(p.gender, L.short), 3),
        labelCell(['出生年月'], { width: col(4) }),
        value(chineseMonth(cleanLine(p.birthMonth, L.short)), 5),
      ]),
      profileRow([
        labelCell(['职务'], { width: col(0) }),
        value(cleanLine(p.position, L.position), 1),
        labelCell(['任职时间'], { width: col(2) }),
        value(chineseDate(cleanLine(p.termStart, L.short)), 3),
        labelCell(['联系方式'], { width: col(4) }),
        value(cleanLine(p.contact, L.contact), 5),
      ]),
      profileRow([
        labelCell(['党组织名称'], { width: col(0) }),
        cell([para(runs(cleanLine(doc.orgName, L.orgName)), { left: EM / 2 })], {
          width: VALUE_SPAN_WIDTH,
          columnSpan: 5,
        }),
      ]),
      ...itemRows(doc),
      signatureRow(doc, timeZone),
      reviewRow(doc, timeZone),
    ],
  });
}

/** One row per item, so that a long pledge breaks between items; the rows read as one box. */
function itemRows(doc: PledgeDocument): TableRow[] {
  const items = [...doc.items].sort((a, b) => a.n - b.n).slice(0, PLEDGE_DOC_LIMITS.items);
  const blocks: Paragraph[][] =
    items.length > 0
      ? items.map((item) => itemParagraphs(item))
      : [[para(runs('（暂无承诺事项）'), { left: EM / 2, before: 120 })]];
  const rowMin = Math.max(ITEM_ROW_MIN, Math.floor(ITEMS_BOX_MIN / blocks.length));
  const label = labelCell(['公', '开', '承', '诺', '事', '项'], {
    width: col(0),
    rowSpan: blocks.length + 1, // the items and the signature line
  });
  return blocks.map(
    (children, i) =>
      new TableRow({
        children: [
          ...(i === 0 ? [label] : []),
          cell(children, {
            width: VALUE_SPAN_WIDTH,
            columnSpan: 5,
            vAlign: VerticalAlignTable.TOP,
            openTop: i > 0,
            openBottom: true,
          }),
        ],
        cantSplit: true,
        // keep the last item on the page of the signature
        keepNext: i === blocks.length - 1,
        height: { value: rowMin, rule: HeightRule.ATLEAST },
      }),
  );
}

function itemParagraphs(item: PledgeDocument['items'][number]): Paragraph[] {
  const L = PLEDGE_DOC_LIMITS;
  const lead: TextRun[] = [...runs(`${item.n}.`), tab()];
  if (item.followsN !== undefined) lead.push(...runs(`（再承诺，接第${item.followsN}项）`, { font: FONT_HEI }));
  return [
    para([...lead, ...runs(textLines(cleanText(item.content, L.content)).join('\n'))], {
      left: ITEM_INDENT,
      hanging: ITEM_INDENT,
      tabAt: ITEM_INDENT,
      before: 120,
    }),
    para([...runs('标准/目标：'), ...runs(textLines(cleanText(item.standard, L.standard)).join('\n'))], {
      left: ITEM_INDENT,
    }),
    para(runs(`完成时限：${chineseDate(cleanLine(item.due, L.short))}`), { left: ITEM_INDENT, after: 80 }),
  ];
}

function signatureRow(doc: PledgeDocument, timeZone: string): TableRow {
  const signer = doc.signedBy === null ? '' : cleanLine(doc.signedBy, PLEDGE_DOC_LIMITS.short);
  const signedOn = doc.signedAt === null ? null : chineseDateInZone(doc.signedAt, timeZone);
  const signature = signer === '' ? '承诺人签字：　　　　　　　　' : `承诺人签字：（电子签名）${signer}`;
  const signBlock = signBlockStyle([signature]);
  return new TableRow({
    children: [
      cell(
        [
          blankLine(),
          para(runs(signature), { ...signBlock, after: 120 }),
          para(runs(signer !== '' && signedOn !== null ? signedOn : BLANK_DATE), { ...signBlock, after: 120 }),
        ],
        { width: VALUE_SPAN_WIDTH, columnSpan: 5, vAlign: VerticalAlignTable.BOTTOM, openTop: true },
      ),
    ],
    cantSplit: true,
  });
}

function reviewRow(doc: PledgeDocument, timeZone: string): TableRow {
  const L = PLEDGE_DOC_LIMITS;
  const review = doc.review;
  const stamped = review !== null && isPublished(doc.status);
  const opinion = review === null ? '' : cleanText(review.opinion, L.opinion);
  const children: Paragraph[] = textLines(opinion).map((line) =>
    para(runs(line), { firstLine: EM * 2, before: 60 }),
  );
  if (stamped) {
    const org = cleanLine(review.reviewOrgName, L.orgName);
    const reviewer = cleanLine(review.reviewerName, L.short);
    const on = chineseDateInZone(review.reviewedAt, timeZone) ?? BLANK_DATE;
    const signBlock = signBlockStyle([`（盖章）${org}`, `审定人：${reviewer}`]);
    children.push(
      blankLine(),
      para(runs(`（盖章）${org}`), signBlock),
      para(runs(`审定人：${reviewer}`), signBlock),
      para(runs(on), { ...signBlock, after: 120 }),
    );
  } else {
    const signBlock = signBlockStyle([]);
    children.push(
      blankLine(),
      blankLine(),
      para(runs('（盖章）'), signBlock),
      para(runs(BLANK_DATE), { ...signBlock, after: 120 }),
    );
  }
  return new TableRow({
    children: [
      labelCell(['上一级', '党组织', '审定意见'], { width: col(0) }),
      cell(children, {
        width: VALUE_SPAN_WIDTH,
        columnSpan: 5,
        vAlign: stamped || opinion !== '' ? VerticalAlignTable.TOP : VerticalAlignTable.BOTTOM,
      }),
    ],
    cantSplit: true,
    height: { value: REVIEW_ROW_MIN, rule: HeightRule.ATLEAST },
  });
}

/**
 * The signature and stamp lines start in the right half of their box, like the paper form, and
 * move left as far as needed for the longest of them to stay on one line.
 */
function signBlockStyle(lines: readonly string[]): { left: number; right: number } {
  const room = VALUE_SPAN_WIDTH - CELL_SIDE_MARGIN * 2 - EM;
  const widest = Math.max(0, ...lines.map((line) => textWidth(line)));
  return { left: Math.max(EM * 2, Math.min(SIGN_INDENT, room - widest)), right: EM };
}

function footer(doc: PledgeDocument): Footer {
  const style = { font: FONT_SONG, size: SIZE_FOOTER, color: '666666' } as const;
  const text = `第${doc.version}版 · ${PLEDGE_STATUS_LABEL[doc.status]} · 由践诺助手生成 · `;
  return new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [
          new TextRun({ ...style, text }),
          new TextRun({ ...style, children: ['第 ', PageNumber.CURRENT, ' 页，共 ', PageNumber.TOTAL_PAGES, ' 页'] }),
        ],
      }),
    ],
  });
}
