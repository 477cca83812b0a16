/** RFC 4180 CSV: quotes, doubled quotes, CRLF, a UTF-8 BOM. Returns rows of cells. */
export function parseCsv(text: string): string[][] {
  return parseCsvWithLines(text).rows;
}

/**
 * parseCsv, and the file line each row starts on (1-based): a quoted cell may hold line breaks,
 * so row n is not always line n, and problems are reported by the line an editor shows.
 */
export function parseCsvWithLines(text: string): { rows: string[][]; lines: number[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) line++;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') {
        i++;
        line++;
      }
      row.push(cell);
      rows.push(row);
      lines.push(rowLine);
      rowLine = line;
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
    lines.push(rowLine);
  }
  return { rows, lines };
}

/**
 * Header row → objects keyed by header name; keeps each row's 1-based line number (`lines`:
 * where each row starts, when that is not simply its index, as parseCsvWithLines gives).
 */
export function tableToRecords(rows: string[][], lines?: number[]): { header: string[]; records: { line: number; values: Record<string, string> }[] } {
  const [header = [], ...body] = rows;
  const names = header.map((h) => h.trim().toLowerCase());
  const records = body
    .map((cells, i) => ({
      line: lines?.[i + 1] ?? i + 2,
      values: Object.fromEntries(names.map((n, j) => [n, (cells[j] ?? '').trim()])),
    }))
    .filter((r) => Object.values(r.values).some((v) => v !== ''));
  return { header: names, records };
}
