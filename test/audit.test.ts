import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely, KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, readAudit } from '../db/repos/audit.js';
import { openSqlite } from '../db/open-sqlite.js';
import type { Database } from '../db/schema.js';
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
    const { rows, head, audited } = await readAudit(h.deps.db);
    return verifyChain(rows, head, audited);
  };
  const adminVerify = () =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/admin.ts', 'audit', 'verify'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: h.dbPath, LOG_LEVEL: 'error' },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  /**
   * Appends `n` rows through a second connection to the same file (the bot, while someone runs
   * `audit verify`) and verifies from `reader` at every event-loop turn until it is done. Every
   * better-sqlite3 statement runs whole and synchronously and the writer's commits happen at turn
   * ends, so this looks at each moment between two of its commits: deterministic, no timing.
   */
  const verifyWhileAppending = async (reader: Kysely<Database>, n: number) => {
    const writer = openSqlite(h.dbPath);
    let done = false;
    const writing = (async () => {
      try {
        for (let i = 0; i < n; i++) await appendAudit(writer.db, { actor: 'ou_bot', action: 'test.busy', entity: 'x', entityId: i }, h.clock.now());
      } finally {
        done = true;
      }
    })();
    const seen: { problems: ReturnType<typeof verifyChain>; rows: number; head: number | undefined }[] = [];
    try {
      while (!done) {
        await nextTurn();
        const { rows, head, audited } = await readAudit(reader);
        seen.push({ problems: verifyChain(rows, head, audited), rows: rows.length, head: head?.count });
      }
      await writing;
    } finally {
      await writer.close();
    }
    expect((await readAudit(h.deps.db)).rows).toHaveLength(5 + n);
    // It did look while the writer was busy: many different lengths of the log.
    expect(new Set(seen.map((s) => s.rows)).size).toBeGreaterThan(n / 4);
    return seen;
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

  it('a step logged `once` is written by one of several finishes racing each other, and bounded by `since`', async () => {
    const step = { actor: 'ou_sec', action: 'test.once', entity: 'pledge_version', entityId: 7, after: { status: 'withdrawn' } };
    const at = h.clock.now();
    const wrote = await Promise.all(Array.from({ length: 6 }, () => appendAudit(h.deps.db, step, at, { once: { since: '' } })));
    expect(wrote.filter(Boolean)).toHaveLength(1);
    const logged = async () => (await readAudit(h.deps.db)).rows.filter((r) => r.action === 'test.once');
    expect(await logged()).toHaveLength(1);
    // The same action logged before `since` does not count (a pledge returned, resubmitted, returned again).
    const later = new Date(at.getTime() + 60_000).toISOString();
    expect(await appendAudit(h.deps.db, step, new Date(later), { once: { since: later } })).toBe(true);
    expect(await appendAudit(h.deps.db, step, new Date(later), { once: { since: later } })).toBe(false);
    // Another entity is another step.
    expect(await appendAudit(h.deps.db, { ...step, entityId: 8 }, at, { once: { since: '' } })).toBe(true);
    expect(await logged()).toHaveLength(3);
    expect(await verify()).toEqual([]);
  });

  it('verify from another connection while a writer appends never sees a row without its head', async () => {
    const seen = await verifyWhileAppending(h.deps.db, 40);
    expect(seen.filter((s) => s.problems.length > 0)).toEqual([]);
    // Not merely tolerated (verifyChain accepts a head behind the rows, for D1): the row and its
    // head are committed together, so the head is exact at every moment.
    expect(seen.filter((s) => s.head !== s.rows)).toEqual([]);
  });

  it('verify whose reads are spread over several turns still sees one moment', async () => {
    // Waits three turns after every query it makes: the writer appends (row and head) meanwhile.
    const slow: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        for (let i = 0; i < 3; i++) await nextTurn();
        return args.result;
      },
    };
    const seen = await verifyWhileAppending(h.deps.db.withPlugin(slow), 40);
    expect(seen.filter((s) => s.problems.length > 0 || s.head !== s.rows)).toEqual([]);
  });

  it('a head behind the rows is an append not finished (D1 writes the two apart), not tampering', async () => {
    const { rows } = await readAudit(h.deps.db);
    const f = { at: h.clock.now().toISOString(), actor: 'ou_bot', action: 'test.late_head', entity: 'x', entity_id: '1', before: null, after: null, prev_hash: rows[4]!.hash };
    h.sqlite.raw
      .prepare('INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.at, f.actor, f.action, f.entity, f.entity_id, f.before, f.after, f.prev_hash, auditHash(f));
    expect((await readAudit(h.deps.db)).head).toEqual({ count: 5, hash: rows[4]!.hash });
    expect(await verify()).toEqual([]);
    // A head that names a row it does not match is still caught.
    h.sqlite.raw.prepare("UPDATE settings SET value = json_object('count', 5, 'hash', ?) WHERE key = 'audit_head'").run(rows[3]!.hash);
    expect(await verify()).toEqual([expect.objectContaining({ problem: expect.stringContaining('tail') })]);
  });

  it('the table refuses updates and deletes', () => {
    expect(() => h.sqlite.raw.prepare("UPDATE audit_log SET actor = 'x' WHERE id = 2").run()).toThrow(/append-only/);
    expect(() => h.sqlite.raw.prepare('DELETE FROM audit_log WHERE id = 5').run()).toThrow(/append-only/);
  });

  it('detects an edited row', async () => {
    tamper(`UPDATE audit_log SET after = '{"name":"别的"}' WHERE id = 2`);
    expect(await verify()).toEqual([expect.objectContaining({ id: 2 })]);
  });

  // Row 2 is org.create of U-A: every field the hash covers, edited alone, is caught.
  it.each([
    ['at', '2020-01-01T00:00:00.000Z'],
    ['actor', 'ou_forged'],
    ['action', 'org.delete'],
    ['entity', 'person'],
    ['entity_id', 'U-B'],
    ['before', '{"name":"文学院党委"}'],
    ['after', '{"name":"别的"}'],
  ])('detects an edit of the %s column alone', async (column, value) => {
    const row = (await readAudit(h.deps.db)).rows[1]!;
    expect(row.id).toBe(2);
    expect(row[column as keyof typeof row]).not.toBe(value);
    tamper(`UPDATE audit_log SET ${column} = ? WHERE id = 2`, value);
    const edited = (await readAudit(h.deps.db)).rows[1]!;
    expect(edited).toEqual({ ...row, [column]: value }); // that one column, nothing else
    expect(await verify()).toEqual([{ id: 2, problem: expect.stringContaining('row edited') }]);
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
    // The gap and the broken link at the next row; the tail (which is intact) is not reported too.
    expect(problems).toEqual([
      { id: 4, problem: expect.stringContaining('第 3–3 条记录缺失') },
      { id: 4, problem: expect.stringContaining('chain broken') },
    ]);
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

  it('detects a log deleted whole, head and all, from the directory it should have recorded', async () => {
    tamper('DELETE FROM audit_log');
    h.sqlite.raw.prepare("DELETE FROM settings WHERE key = 'audit_head'").run();
    expect(await verify()).toEqual([{ id: 0, problem: expect.stringContaining('appears to have been deleted') }]);
    const cli = adminVerify();
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stderr).toContain('审计日志似乎已被整体删除');
  });

  it('a new database, with nothing to audit yet, is intact', async () => {
    const fresh = openSqlite(join(mkdtempSync(join(tmpdir(), 'pledge-bot-')), 'fresh.sqlite'));
    try {
      const { rows, head, audited } = await readAudit(fresh.db);
      expect({ rows, head, audited }).toEqual({ rows: [], head: undefined, audited: 0 });
      expect(verifyChain(rows, head, audited)).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('`npm run admin -- audit verify` exits 1 on a tampered log, naming the row', async () => {
    expect(await verify()).toEqual([]);
    tamper(`UPDATE audit_log SET actor = 'ou_forged' WHERE id = 4`);
    const cli = adminVerify();
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stderr).toContain('audit chain broken');
    expect(cli.stderr).toContain('#4');
  });
});
