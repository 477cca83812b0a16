import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../db/open-sqlite.js';
import { getSetting } from '../db/repos/settings.js';
import { rememberFeishuApp } from '../src/sandbox/sandbox-credentials.js';
import { freePort, startNodeProcess } from './helpers/node-process.js';

const run = promisify(execFile);
const TSX = resolve('node_modules/.bin/tsx');
const ENTRY = resolve('src/node.ts');
const CLEAN = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LARK_|PORT$|DATABASE_URL$|TZ_NAME$|HOST$)/.test(k)));

/** `npm start` in `dir` with `env`; how it ended (it is expected to stop by itself). */
const startIn = (dir: string, env: Record<string, string>) =>
  run(TSX, [ENTRY], { cwd: dir, env: { ...CLEAN, ...env }, timeout: 30_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
  );

/** `npm start` (src/node.ts) as an operator runs it, in a folder of the test's own. */
describe('start-up with bad settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) => startIn(dir, env);

  it('stops with one message naming every problem, before listening or touching a database', async () => {
    const r = await start({ PORT: 'abc', LARK_APP_ID: 'cli_x', TZ_NAME: 'Asia/Shangai', DATABASE_URL: join(dir, 'db.sqlite'), HOST: 'not..a..host', LOG_LEVEL: 'loud' });
    expect(r.code).toBe(1);
    for (const name of ['PORT', 'TZ_NAME', 'LARK_APP_SECRET', 'LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN', 'HOST', 'LOG_LEVEL']) expect(r.stderr).toContain(name);
    expect(r.stderr).toContain('HOST: HOST 须为 IP 地址或主机名');
    expect(r.stderr).toContain('LOG_LEVEL 须为 fatal、error、warn、info、debug、trace、silent 之一');
    expect(r.stderr.match(/配置有误/g)).toHaveLength(1);
    expect(existsSync(join(dir, 'db.sqlite'))).toBe(false);
  });

  it('reads a .env file in the folder it starts in', async () => {
    writeFileSync(join(dir, '.env'), 'PORT=not-a-port\n');
    const r = await start({});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PORT');
  });
});

/** What is already there when `npm start` runs: another bot, a busy port, a real database. */
describe('start-up refused by what it finds, with a sentence instead of a stack trace', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) => startIn(dir, { LOG_LEVEL: 'warn', ...env });

  it('a second bot on the same database file is refused, whatever its port; the first keeps serving', async () => {
    const first = await startNodeProcess({ env: {}, ready: /pledge-bot listening/ });
    try {
      const r = await start({ DATABASE_URL: first.dbPath, PORT: String(await freePort()) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`数据库 ${first.dbPath} 已经有一个 pledge-bot 在运行`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      // Stopped, it lets the next one start (and a killed one too: the lock dies with its process).
      await first.kill();
      await first.start();
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      await first.dispose();
    }
  });

  it('a port in use is named, and the database is left for the next start', async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as AddressInfo).port)));
    try {
      const db = join(dir, 'busy.sqlite');
      const r = await start({ DATABASE_URL: db, PORT: String(port) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`端口 ${port} 已被占用`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      busy.close();
      const again = await startNodeProcess({ env: { DATABASE_URL: db }, ready: /pledge-bot listening/ });
      await again.dispose();
    } finally {
      busy.close();
    }
  });

  it('a database folder it cannot write in is named', async () => {
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    const r = await start({ DATABASE_URL: join(dir, 'a-file', 'db.sqlite'), PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`无法在 ${join(dir, 'a-file')} 中创建数据库的锁文件`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the sandbox does not start on a database a Feishu app has used (a forgotten .env), and leaves it as it was', async () => {
    const db = join(dir, 'real.sqlite');
    const s = openSqlite(db);
    await rememberFeishuApp(s.db, 'cli_real_app');
    await s.close();
    const r = await start({ DATABASE_URL: db, PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('这个数据库连接过飞书应用 cli_real_app');
    const after = openSqlite(db);
    expect(await getSetting(after.db, 'sandbox_credentials')).toBeUndefined();
    expect(await after.db.selectFrom('organizations').select('id').execute()).toEqual([]); // no demo university seeded
    await after.close();
  });
});
