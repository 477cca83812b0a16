import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { BetterSqliteDialect } from './better-sqlite-dialect.js';
import { migrateSqlite } from './migrate-sqlite.js';
import type { Database } from './schema.js';

export interface OpenedSqlite {
  db: Kysely<Database>;
  raw: BetterSqlite3.Database;
  /**
   * The same connection, writes resolving before their commit: take `mark()` before the first
   * write, and `committed(mark)` waits for (or rejects with the failure of) every group since.
   */
  early: { db: Kysely<Database>; mark: () => number; committed: (mark: number) => Promise<void> };
  close: () => Promise<void>;
  /** The migrations this open applied (none when the file was up to date, or `migrate: false`). */
  migrated: string[];
}

/** `DATABASE_URL` may be a plain path or a `file:` URL. */
export function sqlitePath(url: string): string {
  // fileURLToPath decodes escapes (%20, Chinese characters): URL.pathname would keep them.
  if (url.startsWith('file:/')) return fileURLToPath(url);
  if (url.startsWith('file:')) return url.slice('file:'.length);
  return url;
}

/** Opens (creating if needed) the SQLite file in WAL mode and brings it to the latest migration. */
export function openSqlite(url: string, options: { migrate?: boolean } = {}): OpenedSqlite {
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.pragma('synchronous = NORMAL');
  const migrated = options.migrate !== false ? migrateSqlite(raw) : [];
  const dialect = new BetterSqliteDialect(raw);
  const db = new Kysely<Database>({ dialect });
  const early = {
    db: new Kysely<Database>({ dialect: dialect.early() }),
    mark: () => dialect.mark(),
    committed: (mark: number) => dialect.committed(mark),
  };
  // Kysely only closes a driver it has used: a connection no query went through is closed here.
  const close = async () => {
    await db.destroy();
    if (raw.open) raw.close();
  };
  return { db, raw, early, close, migrated };
}
