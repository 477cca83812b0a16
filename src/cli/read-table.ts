import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import { parseCsvWithLines, tableToRecords } from '../domain/csv.js';

/** A directory file (.csv UTF-8, or .xlsx first sheet) as header + records with line numbers. */
export async function readTable(path: string) {
  if (/\.xlsx$/i.test(path)) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    const sheet = wb.worksheets[0];
    const rows: string[][] = [];
    sheet?.eachRow({ includeEmpty: true }, (row, n) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => {
        cells[col - 1] = cell.text ?? '';
      });
      rows[n - 1] = Array.from(cells, (c) => c ?? '');
    });
    return tableToRecords(Array.from(rows, (r) => r ?? []));
  }
  const { rows, lines } = parseCsvWithLines(await readFile(path, 'utf8'));
  return tableToRecords(rows, lines);
}
