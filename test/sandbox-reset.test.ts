import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../db/open-sqlite.js';
import { setSetting } from '../db/repos/settings.js';

const run = promisify(execFile);

describe('npm run admin -- sandbox reset', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-reset-'));
    db = join(dir, 'sandbox.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const reset = (...flags: string[]) =>
    run('npx', ['tsx', 'src/admin.ts', 'sandbox', 'reset', ...flags], {
      // A port nothing listens on: "the server is still running" must not trip.
      env: { ...process.env, DATABASE_URL: db, LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '', PORT: '1' },
    });

  it('deletes the database and the journal beside it, so the old run is not replayed', async () => {
    const s = openSqlite(db);
    await setSetting(s.db, 'sandbox_credentials', '{}');
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
});
