/**
 * Small builders over the docx package for Chinese printable forms: runs in 宋体/黑体 with the
 * East Asian font hint, paragraphs, and bordered table cells. Sizes are in half-points, lengths in twips.
 */
import {
  AlignmentType,
  BorderStyle,
  Paragraph,
  Tab,
  TabStopType,
  TableCell,
  TextRun,
  VerticalAlignTable,
  WidthType,
  type IBorderOptions,
  type ITableCellBorders,
} from 'docx';

type AlignmentValue = (typeof AlignmentType)[keyof typeof AlignmentType];
type VerticalAlignValue = (typeof VerticalAlignTable)[keyof typeof VerticalAlignTable];

export interface FontSet {
  readonly ascii: string;
  readonly hAnsi: string;
  readonly cs: string;
  readonly eastAsia: string;
  readonly hint: string;
}

/** Body text: 宋体 for Chinese, Times New Roman for Latin letters and digits. */
export const FONT_SONG: FontSet = {
  ascii: 'Times New Roman',
  hAnsi: 'Times New Roman',
  cs: 'Times New Roman',
  eastAsia: '宋体',
  hint: 'eastAsia',
};

/** Headings: 黑体 throughout (SimHei ships with Windows and WPS). */
export const FONT_HEI: FontSet = {
  ascii: '黑体',
  hAnsi: '黑体',
  cs: '黑体',
  eastAsia: '黑体',
  hint: 'eastAsia',
};

/** 小四 (12 pt), the form's body size. */
export const SIZE_BODY = 24;
/** 五号 (10.5 pt), for the note. */
export const SIZE_NOTE = 21;
/** 小五 (9 pt), for the page footer. */
export const SIZE_FOOTER = 18;
/** 二号 (22 pt), for the title. */
export const SIZE_TITLE = 44;

/** One em of body text, for indents measured in characters. */
export const EM = 240;

export interface RunStyle {
  readonly font?: FontSet;
  readonly size?: number;
  readonly bold?: boolean;
  readonly color?: string;
}

/** Runs for text that may hold line breaks: one run per line, joined by soft breaks. */
export function runs(text: string, style: RunStyle = {}): TextRun[] {
  return text.split('\n').map(
    (line, i) =>
      new TextRun({
        text: line,
        break: i > 0 ? 1 : undefined,
        font: style.font ?? FONT_SONG,
        size: style.size ?? SIZE_BODY,
        bold: style.bold,
        color: style.color,
      }),
  );
}

/** A tab character, styled like the text around it. */
export function tab(style: RunStyle = {}): TextRun {
  return new TextRun({ children: [new Tab()], font: style.font ?? FONT_SONG, size: style.size ?? SIZE_BODY });
}

export interface ParaStyle {
  readonly align?: AlignmentValue;
  /** left indent, twips */
  readonly left?: number;
  /** right indent, twips */
  readonly right?: number;
  /** hanging indent of the first line, twips */
  readonly hanging?: number;
  /** first-line indent, twips */
  readonly firstLine?: number;
  readonly before?: number;
  readonly after?: number;
  readonly keepNext?: boolean;
  /** a left tab stop, twips */
  readonly tabAt?: number;
}

export function para(children: TextRun[], style: ParaStyle = {}): Paragraph {
  return new Paragraph({
    children,
    alignment: style.align,
    indent: {
      left: style.left,
      right: style.right,
      hanging: style.hanging,
      firstLine: style.firstLine,
    },
    spacing: { before: style.before ?? 0, after: style.after ?? 0 },
    keepNext: style.keepNext,
    tabStops: style.tabAt === undefined ? undefined : [{ type: TabStopType.LEFT, position: style.tabAt }],
  });
}

/** An empty line of body height, for space to write by hand. */
export function blankLine(): Paragraph {
  return para(runs(''));
}

const THIN: IBorderOptions = { style: BorderStyle.SINGLE, size: 4, color: '000000' };
const NO_BORDER: IBorderOptions = { style: BorderStyle.NIL, size: 0, color: 'auto' };

/** Table borders: a 1.5 pt frame, 0.5 pt lines inside. */
export const FORM_BORDERS = {
  top: { style: BorderStyle.SINGLE, size: 12, color: '000000' },
  bottom: { style: BorderStyle.SINGLE, size: 12, color: '000000' },
  left: { style: BorderStyle.SINGLE, size: 12, color: '000000' },
  right: { style: BorderStyle.SINGLE, size: 12, color: '000000' },
  insideHorizontal: THIN,
  insideVertical: THIN,
} as const;

export interface CellStyle {
  readonly width: number;
  readonly columnSpan?: number;
  readonly rowSpan?: number;
  readonly vAlign?: VerticalAlignValue;
  /** drop the line above / below the cell, to make several rows read as one box */
  readonly openTop?: boolean;
  readonly openBottom?: boolean;
}

export function cell(children: Paragraph[], style: CellStyle): TableCell {
  const borders: ITableCellBorders = {
    ...(style.openTop ? { top: NO_BORDER } : {}),
    ...(style.openBottom ? { bottom: NO_BORDER } : {}),
  };
  return new TableCell({
    children: children.length > 0 ? children : [blankLine()],
    width: { size: style.width, type: WidthType.DXA },
    columnSpan: style.columnSpan,
    rowSpan: style.rowSpan,
    verticalAlign: style.vAlign ?? VerticalAlignTable.CENTER,
    borders: style.openTop || style.openBottom ? borders : undefined,
  });
}

/** A centred label cell, its text broken into the given lines. */
export function labelCell(lines: readonly string[], style: CellStyle): TableCell {
  return cell([para(runs(lines.join('\n')), { align: AlignmentType.CENTER })], style);
}

/** Rough width in twips at body size: CJK and full-width characters one em, others half. */
export function textWidth(text: string): number {
  return Array.from(text).reduce((w, ch) => w + ((ch.codePointAt(0) ?? 0) < 0x2e80 ? EM / 2 : EM), 0);
}
