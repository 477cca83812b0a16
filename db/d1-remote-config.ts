import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * getPlatformProxy() connects a binding to the deployed resource only when the config marks it
 * `remote = true`, and it takes its bindings from a config file, never from an object. So for
 * --remote the admin CLI writes a copy of wrangler.toml's essentials, with the DB binding marked
 * remote, into a temporary directory (wrangler.toml itself is left alone).
 */

const D1Entry = z.looseObject({
  binding: z.string(),
  database_name: z.string().optional(),
  database_id: z.string().optional(),
  migrations_dir: z.string().optional(),
});

const RawConfig = z.looseObject({
  name: z.string().optional(),
  account_id: z.string().optional(),
  compatibility_date: z.string().optional(),
  compatibility_flags: z.array(z.string()).optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  d1_databases: z.array(D1Entry).optional(),
});

/** The one function of the wrangler module used here. */
interface ReadsRawConfig {
  experimental_readRawConfig(args: { config?: string }): { rawConfig: unknown; configPath?: string };
}

const PLACEHOLDER_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

export class RemoteConfigProblem extends Error {}

export async function remoteWranglerConfig(wrangler: ReadsRawConfig): Promise<{ path: string; cleanup: () => void }> {
  const { rawConfig, configPath } = wrangler.experimental_readRawConfig({});
  if (!configPath) throw new RemoteConfigProblem('找不到 wrangler.toml：请在项目目录下运行 (run from the project directory).');
  const parsed = RawConfig.safeParse(rawConfig);
  if (!parsed.success) throw new RemoteConfigProblem(`wrangler.toml 读不懂 (unreadable): ${parsed.error.message}`);
  const raw = parsed.data;
  const db = raw.d1_databases?.find((d) => d.binding === 'DB');
  if (!db) throw new RemoteConfigProblem('wrangler.toml 里没有 binding = "DB" 的 [[d1_databases]] (no D1 binding named DB).');
  if (!db.database_id || PLACEHOLDER_ID.test(db.database_id)) {
    throw new RemoteConfigProblem(
      'wrangler.toml 的 database_id 还是占位值：先运行 npx wrangler d1 create pledge-bot，把打印的 id 填进去 ' +
        '(database_id is still the placeholder; create the database and put its id in wrangler.toml).',
    );
  }
  const base = dirname(resolve(configPath));
  const config = {
    name: raw.name,
    account_id: raw.account_id,
    compatibility_date: raw.compatibility_date,
    compatibility_flags: raw.compatibility_flags,
    vars: raw.vars,
    d1_databases: [{ ...db, remote: true, migrations_dir: resolve(base, db.migrations_dir ?? 'migrations') }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'pledge-bot-d1-remote-'));
  const path = join(dir, 'wrangler.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
