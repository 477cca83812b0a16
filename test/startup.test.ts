import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TSX = resolve('node_modules/.bin/tsx');
const ENTRY = resolve('src/node.ts');
const CLEAN = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LARK_|PORT$|DATABASE_URL$|TZ_NAME$|HOST$)/.test(k)));

/** `npm start` (src/node.ts) as an operator runs it, in a folder of the test's own. */
describe('start-up with bad settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    run(TSX, [ENTRY], { cwd: dir, env: { ...CLEAN, ...env }, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
    );

  it('stops with one message naming every problem, before listening or touching a database', async () => {
    const r = await start({ PORT: 'abc', LARK_APP_ID: 'cli_x', TZ_NAME: 'Asia/Shangai', DATABASE_URL: join(dir, 'db.sqlite') });
    expect(r.code).toBe(1);
    for (const name of ['PORT', 'TZ_NAME', 'LARK_APP_SECRET', 'LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN']) expect(r.stderr).toContain(name);
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
