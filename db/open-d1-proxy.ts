import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, sql } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import { RemoteConfigProblem, remoteWranglerConfig } from './d1-remote-config.js';
import { MIGRATIONS_DIR } from './migrate-sqlite.js';
import type { Database } from './schema.js';

/**
 * The Workers deployment's D1 database, opened from Node through wrangler's getPlatformProxy()
 * (the `DB` binding of wrangler.toml) and wrapped in kysely with kysely-d1, exactly as
 * src/worker.ts wraps env.DB. Used by the admin CLI's --d1 option.
 */

export interface D1Target {
  /** The deployed database (a remote-bindings session; needs `wrangler login` or CLOUDFLARE_API_TOKEN). */
  remote: boolean;
  /** Local state directory, as `wrangler … --persist-to`; default .wrangler/state like `wrangler dev --local`. */
  persistTo?: string;
}

export interface OpenedD1 {
  db: Kysely<Database>;
  /** The Worker's string vars as `wrangler dev` sees them: [vars], and locally .dev.vars (or .env). */
  vars: Record<string, string>;
  close: () => Promise<void>;
}

/** The D1 database cannot be used: the message says what to do (Chinese, then English). */
export class D1Unavailable extends Error {}

/** `wrangler d1 migrations apply` arguments for this target. */
export function migrationsApplyArgs(t: D1Target): string[] {
  const where = t.remote ? ['--remote'] : ['--local', ...(t.persistTo ? ['--persist-to', t.persistTo] : [])];
  return ['d1', 'migrations', 'apply', 'DB', ...where];
}

const describe = (t: D1Target) => (t.remote ? '远程 D1 (remote)' : `本地 D1 (local, ${t.persistTo ?? '.wrangler/state'})`);

/** db/migrations files not recorded in the database's d1_migrations table (all of them if it has none). */
async function missingMigrations(db: Kysely<Database>): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  let applied: Set<string>;
  try {
    const r = await sql<{ name: string }>`SELECT name FROM d1_migrations`.execute(db);
    applied = new Set(r.rows.map((row) => row.name));
  } catch (err) {
    if (err instanceof Error && /no such table/i.test(err.message)) return files;
    throw err;
  }
  return files.filter((f) => !applied.has(f));
}

interface D1Like {
  prepare(query: string): unknown;
}
const isD1 = (v: unknown): v is D1Like => typeof v === 'object' && v !== null && typeof (v as { prepare?: unknown }).prepare === 'function';

async function loadWrangler(): Promise<typeof import('wrangler')> {
  try {
    return await import('wrangler');
  } catch (err) {
    throw new D1Unavailable(`--d1 需要 wrangler（npm install，含 devDependencies）(wrangler is not installed): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Opens the `DB` binding of ./wrangler.toml (searched from the working directory, as wrangler
 * does) and refuses, before any command runs, if db/migrations is not fully applied to it.
 */
export async function openD1Proxy(target: D1Target): Promise<OpenedD1> {
  const wrangler = await loadWrangler();
  let remote: Awaited<ReturnType<typeof remoteWranglerConfig>> | undefined;
  try {
    remote = target.remote ? await remoteWranglerConfig(wrangler) : undefined;
  } catch (err) {
    throw err instanceof RemoteConfigProblem ? new D1Unavailable(err.message) : err;
  }
  let proxy: { env: Record<string, unknown>; dispose: () => Promise<void> };
  try {
    proxy = await wrangler.getPlatformProxy<Record<string, unknown>>(
      remote
        ? { configPath: remote.path, remoteBindings: true, persist: false }
        : { remoteBindings: false, persist: target.persistTo ? { path: join(resolve(target.persistTo), 'v3') } : true },
    );
  } catch (err) {
    remote?.cleanup();
    const hint = target.remote ? '：请确认已 npx wrangler login（或设置了 CLOUDFLARE_API_TOKEN 和 CLOUDFLARE_ACCOUNT_ID）、能访问 api.cloudflare.com、database_id 正确' : '';
    throw new D1Unavailable(`无法打开${describe(target)}${hint} (could not open D1): ${err instanceof Error ? err.message : String(err)}`);
  }
  const close = async () => {
    await proxy.dispose();
    remote?.cleanup();
  };
  const binding = proxy.env.DB;
  if (!isD1(binding)) {
    await close();
    throw new D1Unavailable('wrangler.toml 里没有 binding = "DB" 的 [[d1_databases]] (no D1 binding named DB in wrangler.toml).');
  }
  const db = new Kysely<Database>({ dialect: new D1Dialect({ database: binding }) });
  try {
    const missing = await missingMigrations(db);
    if (missing.length) {
      throw new D1Unavailable(
        `${describe(target)} 还没有应用迁移 ${missing.join('、')}。请先运行：\n` +
          `  npx wrangler ${migrationsApplyArgs(target).join(' ')}\n` +
          `（或 npm run admin -- --d1${target.remote ? ' --remote' : target.persistTo ? ` --persist-to ${target.persistTo}` : ''} migrate）\n` +
          `(D1 migrations not applied: ${missing.join(', ')}; apply them with the command above.)`,
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(proxy.env)) if (typeof v === 'string') vars[k] = v;
  return { db, vars, close: async () => { await db.destroy(); await close(); } };
}
