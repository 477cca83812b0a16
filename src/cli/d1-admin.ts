import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { migrationsApplyArgs, type D1Target } from '../../db/open-d1-proxy.js';
import { ConfigError } from '../config.js';

/**
 * The admin CLI's global database options, given before the command:
 *   --d1                     the Workers deployment's D1 (local state, as `wrangler dev --local`)
 *   --d1 --remote            the deployed D1 database
 *   --d1 --persist-to <dir>  local D1 state kept in <dir> (as wrangler's --persist-to)
 */
export const D1_USAGE = `  全局选项 (before the command), Workers + D1 部署用:
  --d1                                     改用 wrangler.toml 的 D1 (本地 .wrangler/state，同 wrangler dev --local)
  --d1 --remote                            改用已部署的 D1 (需 wrangler login)
  --d1 --persist-to <dir>                  本地 D1 数据目录 (同 wrangler --persist-to)`;

export type DbFlags = { ok: true; d1: D1Target | undefined; args: string[] } | { ok: false; problem: string };

export function parseDbFlags(argv: string[]): DbFlags {
  let d1 = false;
  let remote = false;
  let persistTo: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--d1') d1 = true;
    else if (a === '--remote') remote = true;
    else if (a === '--persist-to' || a.startsWith('--persist-to=')) {
      persistTo = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!persistTo || persistTo.startsWith('--')) return { ok: false, problem: '--persist-to 后面要给一个目录 (needs a directory).' };
    } else break;
  }
  if ((remote || persistTo !== undefined) && !d1) return { ok: false, problem: '--remote 和 --persist-to 只能与 --d1 一起用 (only with --d1).' };
  if (remote && persistTo !== undefined) return { ok: false, problem: '--remote 与 --persist-to 不能同时用 (--persist-to is for the local D1).' };
  return { ok: true, d1: d1 ? { remote, persistTo } : undefined, args: argv.slice(i) };
}

/**
 * The settings a command on D1 runs with: the Worker's vars ([vars], .dev.vars), overridden by
 * whatever the environment (or .env) sets to a non-blank value.
 */
export function d1Env(workerVars: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const set = Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '');
  return { ...workerVars, ...Object.fromEntries(set) };
}

/** There is no sandbox on Workers: commands that build the bot's deps need the real app's credentials. */
export function noD1Credentials(): never {
  throw new ConfigError([
    '--d1 需要飞书应用凭据（与 Worker 相同）：在 .dev.vars、.env 或环境变量中设置 LARK_APP_ID、LARK_APP_SECRET、LARK_ENCRYPT_KEY、LARK_VERIFICATION_TOKEN；' +
      'D1 上没有本地沙盒 (Feishu credentials are required with --d1).',
  ]);
}

/**
 * `migrate` and `sandbox` on D1. migrate runs wrangler's own `d1 migrations apply` (which keeps
 * d1_migrations and asks before touching the remote database); the sandbox is Node + SQLite only.
 */
export async function d1OnlyCommand(cmd: 'migrate' | 'sandbox', target: D1Target): Promise<number> {
  if (cmd === 'sandbox') {
    console.error('沙盒只用本机 SQLite，不能与 --d1 一起用 (the sandbox is Node + SQLite only).');
    return 2;
  }
  const args = migrationsApplyArgs(target);
  console.log(`运行 (running): npx wrangler ${args.join(' ')}`);
  const bin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
