import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../db/open-sqlite.js';
import { setSetting } from '../db/repos/settings.js';
import { takeInstanceLock } from '../db/instance-lock.js';
import { openSandboxStore } from '../src/sandbox/sandbox-store.js';

const run = promisify(execFile);

describe('npm run admin -- sandbox reset', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-reset-'));
    db = join(dir, 'sandbox.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const admin = (...args: string[]) =>
    run('npx', ['tsx', 'src/admin.ts', ...args], {
      env: { ...process.env, DATABASE_URL: db, LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '', PORT: '1' },
    });
  const reset = (...flags: string[]) => admin('sandbox', 'reset', ...flags);

  it('deletes the database and the journal beside it, so the old run is not replayed', async () => {
    const s = openSqlite(db);
    await setSetting(s.db, 'sandbox_credentials', '{}');
    await openSandboxStore(s.db); // the sandbox server's own tables
    await s.close();
    mkdirSync(`${db}.inbox`);
    writeFileSync(join(`${db}.inbox`, '000000000001.jsonl'), '["ev_old"]\t{}\n');
    const { stdout } = await reset();
    expect(stdout).toContain('沙盒已重置');
    expect(existsSync(db)).toBe(false);
    expect(existsSync(`${db}.inbox`)).toBe(false);
  });

  it('refuses a database that is not a sandbox one without --force, and deletes nothing', async () => {
    const s = openSqlite(db);
    await s.db.insertInto('organizations').values({ code: 'X', name: '某党委', kind: 'committee', parent_id: null, path: '/1/', depth: 0, updated_at: new Date().toISOString() }).execute();
    await s.close();
    mkdirSync(`${db}.inbox`);
    await expect(reset()).rejects.toMatchObject({ code: 1 });
    expect(existsSync(db)).toBe(true);
    expect(existsSync(`${db}.inbox`)).toBe(true);
  });

  it('a real database the admin CLI was run on without credentials is not taken for a sandbox', async () => {
    // Before: `import` without LARK_* stored sandbox credentials, and reset then deleted the real directory.
    await admin('migrate');
    await admin('import', 'examples/orgs.csv', 'examples/people.csv');
    await expect(reset()).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('不是本地沙盒建的') });
    expect(existsSync(db)).toBe(true);
    // One an earlier version of the CLI marked (its credentials, without the sandbox's tables) is not one either.
    const s = openSqlite(db);
    await setSetting(s.db, 'sandbox_credentials', '{}');
    await s.close();
    await expect(reset()).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('不是本地沙盒建的') });
    expect(existsSync(db)).toBe(true);
  });

  it('refuses while a bot runs on the database, whatever port it listens on', async () => {
    const s = openSqlite(db);
    await setSetting(s.db, 'sandbox_credentials', '{}');
    await openSandboxStore(s.db);
    await s.close();
    const running = takeInstanceLock(db)!; // as npm start holds it
    try {
      await expect(reset()).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('还在运行') });
      expect(existsSync(db)).toBe(true);
    } finally {
      running.release();
    }
    expect((await reset()).stdout).toContain('沙盒已重置');
    expect(existsSync(db)).toBe(false);
  });
});
