import { serve, type ServerType } from '@hono/node-server';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../db/migrate-sqlite.js';
import { openD1Proxy } from '../db/open-d1-proxy.js';
import { appendAudit } from '../db/repos/audit.js';
import { claimDelivery, finishDelivery } from '../db/repos/inbound.js';
import { d1Env, parseDbFlags } from '../src/cli/d1-admin.js';
import { createDeps } from '../src/compose.js';
import type { LarkCredentials } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { createOpenApiEmulator } from '../src/sandbox/open-api-emulator.js';
import { openPledge } from '../src/usecases/pledge/open-pledge.js';
import { submitPledge } from '../src/usecases/pledge/file-pledge.js';
import { reviewPledge } from '../src/usecases/pledge/review-pledge.js';
import { P2P } from './helpers/directory.js';
import { FORM, LEADER, NOW, SEC } from './helpers/pledge.js';

/**
 * The admin CLI on the Workers deployment's D1 (`--d1`): a local D1 in a temp --persist-to
 * directory, opened by each CLI process through wrangler's getPlatformProxy, migrated by
 * wrangler itself. The bot's Open API calls (tick) go to the emulator over 127.0.0.1.
 */


describe('npm run admin -- --d1 (Workers + D1)', () => {
  let dir: string;
  let server: ServerType;
  let creds: LarkCredentials;
  const emu = createOpenApiEmulator({ appId: `cli_d1_${process.pid}`, appSecret: 'secret' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-d1-cli-'));
    const url = await new Promise<string>((resolve) => {
      server = serve({ fetch: emu.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    });
    creds = { appId: `cli_d1_${process.pid}`, appSecret: 'secret', encryptKey: 'd1-encrypt-key', verificationToken: 'd1-token', domain: url };
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI as a user runs it, in its own process (async: the emulator answers from this one). */
  const admin = (...args: string[]) => adminRun(args, true);
  /** Without the LARK_* values: for commands that only touch the database. */
  const adminNoFeishu = (...args: string[]) => adminRun(args, false);
  const adminRun = (args: string[], feishu: boolean) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/admin.ts', '--d1', '--persist-to', dir, ...args], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          WRANGLER_SEND_METRICS: 'false',
          CI: 'true',
          LOG_LEVEL: 'error',
          ...(feishu
            ? {
                LARK_APP_ID: creds.appId,
                LARK_APP_SECRET: creds.appSecret,
                LARK_ENCRYPT_KEY: creds.encryptKey,
                LARK_VERIFICATION_TOKEN: creds.verificationToken,
                LARK_DOMAIN: creds.domain,
              }
            : {}),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  /** The same D1, from this process, between CLI runs. */
  const withD1 = async <T>(fn: (d: Awaited<ReturnType<typeof openD1Proxy>>) => Promise<T>): Promise<T> => {
    const d1 = await openD1Proxy({ remote: false, persistTo: dir });
    try {
      return await fn(d1);
    } finally {
      await d1.close();
    }
  };

  it('parses the global flags before the command, and nothing after it', () => {
    expect(parseDbFlags(['--d1', '--persist-to', '/x', 'import', 'a', 'b'])).toEqual({ ok: true, d1: { remote: false, persistTo: '/x' }, args: ['import', 'a', 'b'] });
    expect(parseDbFlags(['--d1', '--remote', 'audit', 'verify'])).toEqual({ ok: true, d1: { remote: true, persistTo: undefined }, args: ['audit', 'verify'] });
    expect(parseDbFlags(['export', '--remote'])).toEqual({ ok: true, d1: undefined, args: ['export', '--remote'] });
    expect(parseDbFlags(['--remote', 'tick'])).toMatchObject({ ok: false });
    expect(parseDbFlags(['--d1', '--remote', '--persist-to=/x', 'tick'])).toMatchObject({ ok: false });
    expect(parseDbFlags(['--d1', '--persist-to'])).toMatchObject({ ok: false });
    // The Worker's vars, overridden by what the environment sets (blank is unset).
    expect(d1Env({ TZ_NAME: 'Asia/Shanghai', LARK_APP_ID: 'cli_w' }, { LARK_APP_ID: '', LOG_LEVEL: 'warn' })).toEqual({ TZ_NAME: 'Asia/Shanghai', LARK_APP_ID: 'cli_w', LOG_LEVEL: 'warn' });
  });

  it('refuses a D1 without the tables, pointing at wrangler; `--d1 migrate` applies them with wrangler', async () => {
    const refused = await admin('import', 'examples/orgs.csv', 'examples/people.csv');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('还没有应用迁移 0001_spine.sql');
    expect(refused.stderr).toContain(`npx wrangler d1 migrations apply DB --local --persist-to ${dir}`);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    const migrated = await admin('migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain('0002_pledge.sql');
    const applied = await withD1(async ({ db }) => (await sql<{ name: string }>`SELECT name FROM d1_migrations ORDER BY id`.execute(db)).rows.map((r) => r.name));
    expect(applied).toEqual(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort());
    expect(applied.slice(0, 2)).toEqual(['0001_spine.sql', '0002_pledge.sql']);
  }, 60_000);

  it('imports the directory, sets deadlines and imports the work calendar on D1', async () => {
    const imported = await admin('import', 'examples/orgs.csv', 'examples/people.csv');
    expect(imported.code, imported.stderr).toBe(0);
    const orgLines = readFileSync('examples/orgs.csv', 'utf8').trim().split('\n').length - 1;
    expect(imported.stdout).toContain(`组织 新增 ${orgLines}`);

    const set = await admin('deadline', 'set', '--org', 'HENU', '--kind', 'pledge', '--date', '2027-01-25', '--year', '2027');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('已设置');
    const later = await admin('deadline', 'set', '--org', 'HENU-WXY', '--kind', 'pledge', '--date', '2027-01-28', '--year', '2027');
    expect(later.code).toBe(1);
    expect(later.stderr).toContain('不能晚于');

    // The work calendar needs no Feishu credentials.
    const calendar = await adminNoFeishu('calendar', 'import', 'examples/calendar.csv');
    expect(calendar.code, calendar.stderr).toBe(0);
    expect(calendar.stdout).toContain('新增 33 天');
    expect((await adminNoFeishu('calendar', 'show', '--year', '2025')).stdout).toContain('2025-10-11\t周六\t班\t国庆节调休上班');

    await withD1(async ({ db }) => {
      expect(await db.selectFrom('organizations').select('code').execute()).toHaveLength(orgLines);
      expect(await db.selectFrom('cycle_deadlines').selectAll().execute()).toEqual([expect.objectContaining({ year: 2027, kind: 'pledge', due_date: '2027-01-25' })]);
    });
  }, 60_000);

  it('reads D1\'s conditional writes correctly: ON CONFLICT DO NOTHING and the audit append', async () => {
    await withD1(async ({ db }) => {
      const at = new Date('2027-01-05T01:00:00Z');
      expect(await claimDelivery(db, ['ev_1', 'msg:om_1'], 'im.message.receive_v1', '{}', at)).toBe(true);
      expect(await claimDelivery(db, ['ev_1', 'msg:om_1'], 'im.message.receive_v1', '{}', at)).toBe(false);
      // A new event id for a message already seen: a duplicate.
      expect(await claimDelivery(db, ['ev_2', 'msg:om_1'], 'im.message.receive_v1', '{}', at)).toBe(false);
      const rows = await db.selectFrom('inbound_events').select(['key', 'status']).orderBy('key').execute();
      expect(rows).toEqual([{ key: 'ev_1', status: 'pending' }, { key: 'ev_2', status: 'duplicate' }, { key: 'msg:om_1', status: 'duplicate' }]);
      await finishDelivery(db, 'ev_1', 'done', at); // (else tick would try to handle this empty event)

      const before = (await db.selectFrom('audit_log').select('id').execute()).length;
      await appendAudit(db, { actor: 'test', action: 'test.d1', entity: 'test', entityId: 1 }, at);
      const ids = (await db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => r.id);
      expect(ids).toHaveLength(before + 1);
      expect(ids.at(-1)).toBe(before + 1); // gapless: no id burned
    });
  }, 30_000);

  it('exports a pledge filed and approved on D1 (docx and the ledger), and tick sends its messages', async () => {
    await withD1(async ({ db }) => {
      const deps = createDeps({ db, lark: creds, logger: silentLogger, timeZone: 'Asia/Shanghai', now: () => NOW });
      const opened = await openPledge(deps, { openId: SEC });
      if (opened.kind !== 'form') throw new Error(`expected a form, got ${opened.kind}`);
      expect(opened.form.deadline).toEqual({ set: '2027-01-25', due: '2027-01-25' });
      const submitted = await submitPledge(deps, { openId: SEC, versionId: opened.form.versionId, rev: opened.form.revision, form: FORM });
      expect(submitted.kind).toBe('submitted');
      const review = await reviewPledge(deps, { openId: LEADER, versionId: opened.form.versionId, approve: true, opinion: '同意' });
      expect(review).toMatchObject({ kind: 'decided', approved: true });
      // A second press of a stale review card does nothing (compare-and-set read on D1).
      expect((await reviewPledge(deps, { openId: LEADER, versionId: opened.form.versionId, approve: false, opinion: '再改' })).kind).toBe('refused');
    });

    const docx = join(dir, 'pledge.docx');
    const xlsx = join(dir, 'ledger.xlsx');
    const [pledge, ledger] = [
      await admin('export-pledge', '--org', 'HENU-WXY-ZW', '--year', '2027', '--out', docx),
      await admin('export', '--out', xlsx, '--org', 'HENU', '--year', '2027'),
    ];
    expect(pledge.code, pledge.stderr).toBe(0);
    const xml = await (await JSZip.loadAsync(readFileSync(docx))).file('word/document.xml')!.async('string');
    expect(xml).toContain('每月组织一次主题党日');
    expect(xml).toContain('文学院中文系党支部');
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(ledger.stdout).toContain('1 项承诺');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    expect(wb.worksheets[0]!.rowCount).toBe(2);

    expect(emu.messages).toHaveLength(0);
    const ticked = await admin('tick', '--at', '2027-01-05T10:05:00+08:00');
    expect(ticked.code, ticked.stderr).toBe(0);
    const report = JSON.parse(ticked.stdout.slice(ticked.stdout.indexOf('{\n'))) as { sent: number; failed: number; recovered: number };
    expect(report).toMatchObject({ failed: 0, recovered: 0 });
    expect(report.sent).toBeGreaterThan(0);
    expect(emu.messages).toHaveLength(report.sent);
    expect(emu.inChat(P2P(SEC)).length).toBeGreaterThan(0); // told of the approval
    expect(emu.inChat('oc_demo_wxy_zw').length).toBe(1); // 公示 in the branch's group
    await withD1(async ({ db }) => {
      expect(await db.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute()).toEqual([]);
    });
  }, 90_000);

  it('audit verify reads the chain on D1 and catches a tampered row', async () => {
    const ok = await admin('audit', 'verify');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/审计日志完好.*: [1-9]\d* 条记录/);

    await withD1(async ({ db }) => {
      await sql`DROP TRIGGER audit_log_no_update`.execute(db);
      await sql`UPDATE audit_log SET actor = 'someone-else' WHERE id = 2`.execute(db);
    });
    const broken = await admin('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('审计日志被篡改');
    expect(broken.stderr).toContain('#2');
  }, 60_000);
});
