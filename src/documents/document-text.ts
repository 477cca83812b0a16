/**
 * Text helpers for printable documents: make user text safe for WordprocessingML (which the docx
 * package escapes, but cannot make legal when it holds control characters), cap it, and show dates
 * the Chinese way. Pure functions.
 */

/** Characters XML 1.0 forbids (C0 controls except tab/newline, lone surrogates, U+FFFE/U+FFFF). */
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes what XML cannot hold, normalises line ends and tabs, trims, caps at `max` code points. */
export function cleanText(text: string, max: number): string {
  const cleaned = text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(XML_ILLEGAL, '')
    .trim();
  const chars = Array.from(cleaned);
  if (chars.length <= max) return cleaned;
  return chars.slice(0, Math.max(0, max - 1)).join('').trimEnd() + '…';
}

/** A single-line field: line breaks become spaces. */
export function cleanLine(text: string, max: number): string {
  return cleanText(text.replace(/\s*[\r\n]+\s*/g, ' '), max);
}

/** Splits cleaned multi-line text into lines, dropping runs of blank lines to one. */
export function textLines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
}

/** 'YYYY-MM-DD' → '2027年1月15日'; anything else is shown as given. */
export function chineseDate(ymd: string): string {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(ymd.trim());
  if (!m) return ymd.trim();
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/** 'YYYY-MM' (or 'YYYY-MM-DD') → '1980年5月'; anything else is shown as given. */
export function chineseMonth(ym: string): string {
  const m = /^(\d{4})-(\d{1,2})(?:-\d{1,2})?$/.exec(ym.trim());
  if (!m) return ym.trim();
  return `${m[1]}年${Number(m[2])}月`;
}

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** An ISO instant → '2027年1月15日' as the calendar reads in `timeZone`; null when it is not a time. */
export function chineseDateInZone(iso: string, timeZone: string): string | null {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return null;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}年${Number(part('month'))}月${Number(part('day'))}日`;
}
