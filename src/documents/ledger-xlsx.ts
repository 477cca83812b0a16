import ExcelJS from 'exceljs';
import { PassThrough, type Writable } from 'node:stream';
import { localDate } from '../domain/dates.js';
import { pledgeStatusLabel } from '../domain/pledge-status.js';
import type { LedgerRow } from '../usecases/ledger/ledger-rows.js';

const COLUMNS = [
  { header: '组织编码', key: 'orgCode', width: 16 },
  { header: '党组织名称', key: 'orgName', width: 28 },
  { header: '年度', key: 'year', width: 8 },
  { header: '版本', key: 'versionNo', width: 6 },
  { header: '状态', key: 'status', width: 14 },
  { header: '书记', key: 'secretary', width: 10 },
  { header: '序号', key: 'n', width: 6 },
  { header: '承诺事项', key: 'content', width: 40 },
  { header: '标准/目标', key: 'standard', width: 36 },
  { header: '完成时限', key: 'due', width: 12 },
  { header: '是否完成', key: 'done', width: 9 },
  { header: '完成日期', key: 'doneAt', width: 12 },
  { header: '再承诺', key: 'follows', width: 7 },
  { header: '审定人', key: 'reviewer', width: 10 },
  { header: '审定日期', key: 'reviewedAt', width: 12 },
];

/** The 台账 as an .xlsx, written row by row (exceljs' streaming writer) to `stream`. */
export async function writeLedgerXlsx(rows: AsyncIterable<LedgerRow>, stream: Writable, timeZone: string): Promise<number> {
  const day = (iso: string | null) => (iso ? localDate(new Date(iso), timeZone) : '');
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useSharedStrings: false, useStyles: true });
  const sheet = wb.addWorksheet('承诺台账', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = COLUMNS;
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  let count = 0;
  for await (const r of rows) {
    sheet
      .addRow({
        ...r,
        status: pledgeStatusLabel(r.status),
        done: r.done ? '是' : '否',
        doneAt: day(r.doneAt),
        follows: r.follows ? '是' : '',
        reviewedAt: day(r.reviewedAt),
      })
      .commit();
    count++;
  }
  sheet.commit();
  await wb.commit();
  return count;
}

/** The same, in memory (to send as a chat file; Feishu caps files at 30 MB). */
export async function ledgerXlsxBytes(rows: AsyncIterable<LedgerRow>, timeZone: string): Promise<{ data: Uint8Array; count: number }> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const count = await writeLedgerXlsx(rows, stream, timeZone);
  return { data: new Uint8Array(Buffer.concat(chunks)), count };
}
