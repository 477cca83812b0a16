import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Applies db/migrations/*.sql in name order, each once. Bookkeeping uses the same table as
 * `wrangler d1 migrations apply` (d1_migrations), so one migration set serves SQLite and D1.
 */
export function migrateSqlite(db: BetterSqlite3.Database, dir = MIGRATIONS_DIR): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS d1_migrations(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT name FROM d1_migrations').all() as { name: string }[]).map((r) => r.name),
  );
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    db.transaction(() => {
      db.exec(text);
      db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(file);
    })();
    done.push(file);
  }
  return done;
}

/** Migrations not yet applied to `db`, read only (a dry run must not write, even a migration). */
export function pendingMigrations(db: BetterSqlite3.Database, dir = MIGRATIONS_DIR): string[] {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'").get() !== undefined;
  const applied = new Set(hasTable ? (db.prepare('SELECT name FROM d1_migrations').all() as { name: string }[]).map((r) => r.name) : []);
  return readdirSync(dir).filter((f) => f.endsWith('.sql') && !applied.has(f)).sort();
}
