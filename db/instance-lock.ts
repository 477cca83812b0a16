import BetterSqlite3 from 'better-sqlite3';

/** Held by the bot for as long as it runs on a database file. */
export interface InstanceLock {
  release(): void;
}

/** The file beside the database that the running bot holds locked. */
export const lockPathFor = (dbPath: string): string => `${dbPath}.lock`;

/**
 * One bot per database file: `<database>.lock`, a small SQLite file the bot writes once in
 * exclusive locking mode, which keeps it locked until the bot closes it — or dies: the lock is
 * the kernel's (fcntl), dropped with the process, so a crash leaves nothing to clean up. Another
 * process (a second `npm start`, `sandbox reset`) cannot take it meanwhile, and neither can another
 * connection in the same process. The admin CLI does not take it: it runs beside the bot.
 * Undefined when another holds it.
 */
export function takeInstanceLock(dbPath: string): InstanceLock | undefined {
  const raw = new BetterSqlite3(lockPathFor(dbPath), { timeout: 0 });
  try {
    raw.pragma('locking_mode = EXCLUSIVE');
    // A write: from here the connection keeps its exclusive lock until closed.
    raw.pragma(`user_version = ${process.pid}`);
  } catch (err) {
    raw.close();
    if (err instanceof Error && 'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')) return undefined;
    throw err;
  }
  return { release: () => void (raw.open && raw.close()) };
}
