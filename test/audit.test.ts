import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, readAudit } from '../db/repos/audit.js';
import { auditHash, GENESIS_HASH, verifyChain } from '../src/domain/audit-hash.js';
import { parseCsv, tableToRecords } from '../src/domain/csv.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { startHarness, type Harness } from './helpers/harness.js';

const table = (csv: string) => tableToRecords(parseCsv(csv));

describe('the audit log', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    // Five changes: two organizations, one person, one role, one binding.
    const r = await importDirectory(h.deps, {
      orgs: table('code,name,parent_code,kind,chat_id\nU,大学党委,,党委,\nU-A,文学院党委,U,党委,oc_a\n'),
      people: table('open_id,name,org_code,role\nou_admin,王建国,U,admin\n'),
      actor: 'cli:import',
    });
    expect(r.ok).toBe(true);
  });
  afterEach(async () => {
    await h.close();
  });

  const verify = async () => {
    const { rows, head } = await readAudit(h.deps.db);
    return verifyChain(rows, head);
  };
  /** What a tamperer with the database file does: lift the guard, then change the table. */
  const tamper = (sql: string, ...params: unknown[]) => {
    h.sqlite.raw.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    h.sqlite.raw.prepare(sql).run(...params);
  };

  it('each change appends a row chained to the one before, with actor, time and before/after', async () => {
    const { rows, head } = await readAudit(h.deps.db);
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    for (const r of rows) expect(r.hash).toBe(auditHash(r));
    expect(rows.every((r) => r.actor === 'cli:import' && r.at !== '')).toBe(true);
    expect(rows.find((r) => r.action === 'org.create' && r.entity_id === 'U-A')).toMatchObject({ before: null, after: expect.stringContaining('文学院党委') });
    expect(head).toEqual({ count: 5, hash: rows[4]!.hash });
    expect(await verify()).toEqual([]);
  });

  it('appends racing each other still make one intact chain', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => appendAudit(h.deps.db, { actor: `ou_${i}`, action: 'test.race', entity: 'x', entityId: i, after: { i } }, h.clock.now())),
    );
    const { rows } = await readAudit(h.deps.db);
    expect(rows).toHaveLength(17);
    expect(await verify()).toEqual([]);
  });

  it('the table refuses updates and deletes', () => {
    expect(() => h.sqlite.raw.prepare("UPDATE audit_log SET actor = 'x' WHERE id = 2").run()).toThrow(/append-only/);
    expect(() => h.sqlite.raw.prepare('DELETE FROM audit_log WHERE id = 5').run()).toThrow(/append-only/);
  });

  it('detects an edited row', async () => {
    tamper(`UPDATE audit_log SET after = '{"name":"别的"}' WHERE id = 2`);
    expect(await verify()).toEqual([expect.objectContaining({ id: 2 })]);
  });

  it('detects an edited row whose hash was recomputed (the next link breaks)', async () => {
    const row = (await readAudit(h.deps.db)).rows[1]!;
    const forged = { ...row, actor: 'ou_someone_else' };
    tamper('UPDATE audit_log SET actor = ?, hash = ? WHERE id = 2', forged.actor, auditHash(forged));
    expect((await verify()).map((p) => p.id)).toEqual([3]);
  });

  it('detects a deleted row in the middle', async () => {
    tamper('DELETE FROM audit_log WHERE id = 3');
    const problems = await verify();
    expect(problems.map((p) => p.id)).toContain(4);
  });

  it('detects a deleted tail', async () => {
    tamper('DELETE FROM audit_log WHERE id = 5');
    expect(await verify()).toEqual([expect.objectContaining({ problem: expect.stringContaining('tail') })]);
  });

  it('detects a deleted tail when the stored head was deleted too', async () => {
    tamper('DELETE FROM audit_log WHERE id = 5');
    h.sqlite.raw.prepare("DELETE FROM settings WHERE key = 'audit_head'").run();
    expect((await verify()).length).toBeGreaterThan(0);
  });

  it('`npm run admin -- audit verify` exits 1 on a tampered log, naming the row', async () => {
    expect(await verify()).toEqual([]);
    tamper(`UPDATE audit_log SET actor = 'ou_forged' WHERE id = 4`);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/admin.ts', 'audit', 'verify'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: h.dbPath, LOG_LEVEL: 'error' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stderr).toContain('audit chain broken');
    expect(cli.stderr).toContain('#4');
  });
});
