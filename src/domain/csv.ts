/** RFC 4180 CSV: quotes, doubled quotes, CRLF, a UTF-8 BOM. Returns rows of cells. */
export function parseCsv(text: string): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
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
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Header row → objects keyed by header name; keeps each row's 1-based line number. */
export function tableToRecords(rows: string[][]): { header: string[]; records: { line: number; values: Record<string, string> }[] } {
  const [header = [], ...body] = rows;
  const names = header.map((h) => h.trim().toLowerCase());
  const records = body
    .map((cells, i) => ({
      line: i + 2,
      values: Object.fromEntries(names.map((n, j) => [n, (cells[j] ?? '').trim()])),
    }))
    .filter((r) => Object.values(r.values).some((v) => v !== ''));
  return { header: names, records };
}
