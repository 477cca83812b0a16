import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../db/open-sqlite.js';
import { insertOutbox } from '../db/repos/outbox.js';
import { getSetting } from '../db/repos/settings.js';
import { freePort } from './helpers/node-process.js';

const run = promisify(execFile);

/** The admin CLI as an operator runs it, against a database of the test's own. */
describe('npm run admin -- tick / export, as the contract has them', () => {
  let dir: string;
  let db: string;
  const admin = (...args: string[]) =>
    run('npx', ['tsx', 'src/admin.ts', ...args], { env: { ...process.env, DATABASE_URL: db, LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '', TZ_NAME: 'Asia/Shanghai' } });
  const fails = async (args: string[], code: number) => {
    const err = (await admin(...args).then(() => undefined, (e: unknown) => e)) as { code?: number; stderr?: string } | undefined;
    expect(err?.code, args.join(' ')).toBe(code);
    return err?.stderr ?? '';
  };
  const digest = () => createHash('sha256').update(readFileSync(db)).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-admin-'));
    db = join(dir, 'bot.sqlite');
    const s = openSqlite(db);
    const at = '2027-01-19T00:00:00.000Z';
    await insertOutbox(s.db, { msg_key: 'k1', uuid: 'k1', op: 'send', receive_id_type: 'chat_id', receive_id: 'oc_due', target_message_id: null, msg_type: 'text', content: '{"text":"hi"}', file_name: null, file_data: null, status: 'pending', next_attempt_at: at, lease_until: null, last_error: null, result_message_id: null, created_at: at, sent_at: null, tried_at: null });
    await insertOutbox(s.db, { msg_key: 'k2', uuid: 'k2', op: 'send', receive_id_type: 'chat_id', receive_id: 'oc_gone', target_message_id: null, msg_type: 'text', content: '{"text":"lost"}', file_name: null, file_data: null, status: 'failed', next_attempt_at: at, lease_until: null, last_error: 'Open API 400 code=230002 chat not found', result_message_id: null, created_at: at, sent_at: null, tried_at: null });
    await s.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tick --dry-run lists what is due and changes nothing; --at without an offset is TZ_NAME time', async () => {
    const before = digest();
    const { stdout } = await admin('tick', '--at', '2027-01-19T09:00:00', '--dry-run');
    const report = JSON.parse(stdout) as { at: string; sent: number; planned: string[] };
    expect(report.at.startsWith('2027-01-19T01:00:00')).toBe(true); // 09:00 in Shanghai
    expect(report.sent).toBe(0);
    expect(report.planned).toEqual([expect.stringContaining('→ oc_due')]);
    expect(digest()).toBe(before);
  });

  it('tick --at refuses an impossible date, and --dry-run a database that is not there (creating nothing)', async () => {
    expect(await fails(['tick', '--at', '2027-02-30T09:00:00+08:00'], 2)).toContain('不是有效的时间');
    expect(await fails(['tick', '--at'], 1)).toContain('参数有误');
    const missing = join(dir, 'typo', 'nope.sqlite');
    const err = (await run('npx', ['tsx', 'src/admin.ts', 'tick', '--dry-run'], { env: { ...process.env, DATABASE_URL: missing, LARK_APP_ID: '' } }).then(() => undefined, (e: unknown) => e)) as { code?: number; stderr?: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('数据库文件不存在');
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('help names every command the README shows (npm run admin -- …)', async () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const shown = new Set([...readme.matchAll(/npm run admin -- (?:--d1 (?:\[[^\]]*\] |--remote |--persist-to \S+ )?)?([a-z][a-z-]*)/g)].map((m) => m[1]!));
    expect([...shown].sort()).toEqual(['audit', 'calendar', 'deadline', 'export', 'export-pledge', 'import', 'migrate', 'outbox', 'sandbox', 'tick']);
    const { stdout } = await admin('help');
    for (const command of shown) expect(stdout, command).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('calendar import checks every row first (nothing written on a problem) and updates on a re-run; calendar show lists a year', async () => {
    const bad = join(dir, 'calendar-bad.csv');
    writeFileSync(bad, 'date,kind,name\n2025-10-01,休,国庆节\n2025-10-32,休,国庆节\n2025-10-11,上,\n');
    const err = await fails(['calendar', 'import', bad], 1);
    expect(err).toContain('导入失败，未写入任何数据。共 2 处问题');
    expect(err).toContain('第 3 行: date「2025-10-32」不是有效日期');
    expect(err).toContain('第 4 行: kind「上」无效');
    expect((await admin('calendar', 'show', '--year', '2025')).stdout).toContain('2025 年还没有导入节假日安排');
    expect((await admin('calendar', 'import', 'examples/calendar.csv')).stdout).toContain('导入完成 (imported): 2025-01-01 至 2025-10-11，新增 33 天');
    const shown = (await admin('calendar', 'show', '--year', '2025')).stdout;
    expect(shown).toContain('2025-01-26\t周日\t班\t春节调休上班');
    expect(shown).toContain('2025-10-08\t周三\t休\t国庆节、中秋节');
    expect((await admin('calendar', 'import', 'examples/calendar.csv')).stdout).toContain('新增 0 天，更新 0 天，未变 33 天');
  });

  it('deadline set takes the year from the date as the chat does, and may record a date already past (an operator entering a cycle)', async () => {
    expect((await admin('import', 'examples/orgs.csv', 'examples/people.csv')).stdout).toContain('组织');
    // 2 November 2026: past once this runs, and a date of the 2027 pledge's filing (from 1 November).
    const { stdout } = await admin('deadline', 'set', '--org', 'HENU', '--kind', 'pledge', '--date', '2026-11-02');
    expect(stdout).toContain('已设置 (set): 河南大学党委 2027 公开承诺书 截止 2026-11-02');
    expect(await fails(['deadline', 'set', '--org', 'HENU', '--kind', 'q1', '--date', '2027-04-20'], 1)).toContain('2027年1月1日 至 2027年3月31日');
    expect(await fails(['deadline', 'set', '--org', 'HENU', '--kind', 'q5', '--date', '2027-04-20'], 2)).toContain('--kind「q5」无效，应为 pledge（公开承诺书）、q1');
  });

  it('outbox failed lists what could not be sent, with why; audit verify passes an intact log', async () => {
    const { stdout } = await admin('outbox', 'failed');
    expect(stdout).toContain('oc_gone');
    expect(stdout).toContain('230002');
    expect(stdout).not.toContain('oc_due');
    expect((await admin('audit', 'verify')).stdout).toContain('审计日志完好');
  });

  it('without credentials and no sandbox running, a mobile-only import says so (not "check the scope"), imports nothing, and marks nothing', async () => {
    const people = join(dir, 'by-mobile.csv');
    writeFileSync(people, 'open_id,name,org_code,role,mobile,email\n,孙一,HENU,member,13800000001,\n');
    const port = await freePort(); // nothing listens there
    const err = (await run('npx', ['tsx', 'src/admin.ts', 'import', 'examples/orgs.csv', people], {
      env: { ...process.env, DATABASE_URL: db, LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '', PORT: String(port) },
    }).then(() => undefined, (e: unknown) => e)) as { code?: number; stderr?: string } | undefined;
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`第 2 行: 无法通过飞书通讯录按手机号/邮箱查找人员：本地沙盒没有在运行（http://127.0.0.1:${port}）`);
    expect(err?.stderr).not.toContain('contact:user.id:readonly');
    const s = openSqlite(db);
    expect(await s.db.selectFrom('people').select('id').where('name', '=', '孙一').execute()).toEqual([]);
    expect(await getSetting(s.db, 'sandbox_credentials')).toBeUndefined();
    await s.close();
  });

  it('migrate says which migrations it applied to a new file, and then that there is nothing to apply', async () => {
    const env = { ...process.env, DATABASE_URL: join(dir, 'fresh.sqlite'), LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '' };
    const files = readdirSync('db/migrations').filter((f) => f.endsWith('.sql'));
    const first = (await run('npx', ['tsx', 'src/admin.ts', 'migrate'], { env })).stdout;
    expect(first).toContain(`已应用 ${files.length} 个迁移`);
    expect(first).toContain(files[0]!);
    expect((await run('npx', ['tsx', 'src/admin.ts', 'migrate'], { env })).stdout).toContain('没有要应用的迁移');
  });

  it('export --out makes the folder it names, and writes the file whole', async () => {
    const out = join(dir, 'new', 'folder', 'ledger.xlsx');
    const { stdout } = await admin('export', '--out', out);
    expect(stdout).toContain('已导出');
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK'); // a zip: the .xlsx
    expect(readdirSync(join(dir, 'new', 'folder'))).toEqual(['ledger.xlsx']); // no temporary file left
  });

  it('files named on the command line are found from the folder it was typed in (npm runs scripts in the project folder)', async () => {
    const here = join(dir, 'hr');
    mkdirSync(here);
    copyFileSync('examples/orgs.csv', join(here, 'orgs.csv'));
    copyFileSync('examples/people.csv', join(here, 'people.csv'));
    // npm sets INIT_CWD to where `npm run admin -- …` was typed; the script itself runs in the project folder.
    const env = { ...process.env, DATABASE_URL: db, LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '', INIT_CWD: here };
    // (tsx directly: npx would set INIT_CWD to its own folder, as npm does.)
    const tsx = (...args: string[]) => run('node_modules/.bin/tsx', ['src/admin.ts', ...args], { env });
    expect((await tsx('import', 'orgs.csv', 'people.csv')).stdout).toContain('导入完成');
    const { stdout } = await tsx('export', '--out', 'out/ledger.xlsx');
    expect(stdout).toContain(`已导出 (written): ${join(here, 'out', 'ledger.xlsx')}`);
    expect(existsSync(join(here, 'out', 'ledger.xlsx'))).toBe(true);
  });
});
