import { existsSync, rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { sqlitePath } from '../../db/open-sqlite.js';
import { lockPathFor, takeInstanceLock } from '../../db/instance-lock.js';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { journalDirFor } from '../node/start-node-bot.js';
import { isSandboxDatabase } from '../sandbox/sandbox-credentials.js';

export const SANDBOX_USAGE = `  sandbox reset [--force]                  清空本地沙盒，下次 npm start 重新导入演示数据 (start the sandbox over)`;

/**
 * `npm run admin -- sandbox reset`: deletes the sandbox's database file (and its -wal/-shm) and
 * the door's journal beside it (else the next start would store and handle the old run's events
 * again in the fresh database), so the next `npm start` migrates a fresh one and seeds the demo
 * university again. Refuses when Feishu credentials are configured, while a bot runs on the
 * database (whatever its port: it holds `<database>.lock`, db/instance-lock.ts), and (without
 * --force) when the sandbox did not make the database, or a Feishu app has used it.
 */
export async function sandboxCommand(
  args: string[],
  ctx: { config: Config; db: Kysely<Database>; close: () => Promise<void> },
): Promise<number> {
  const [sub, ...flags] = args;
  if (sub !== 'reset') {
    console.log(`用法 (usage): npm run admin -- sandbox reset [--force]\n${SANDBOX_USAGE}`);
    return sub ? 2 : 0;
  }
  const { config } = ctx;
  if (config.lark) {
    console.error('已设置 LARK_APP_ID：这是连接飞书的正式数据库，不能用 sandbox reset 清空 (refused: Feishu credentials are set).');
    return 1;
  }
  const path = sqlitePath(config.databaseUrl);
  if (path === ':memory:') return 0;
  // Held while deleting: a bot starting meanwhile waits for nothing, it is refused.
  const lock = takeInstanceLock(path);
  if (!lock) {
    console.error(`数据库 ${path} 上的 pledge-bot 还在运行：请先停止 npm start（Ctrl-C），再重置沙盒 (stop the server first).`);
    return 1;
  }
  try {
    const empty = !(await ctx.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst());
    if (!(await isSandboxDatabase(ctx.db)) && !empty && !flags.includes('--force')) {
      console.error('这个数据库不是本地沙盒建的（或连接过飞书应用）。确认要清空请加 --force (not a sandbox database; add --force).');
      return 1;
    }
    await ctx.close();
    const removed = [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, journalDirFor(path), lockPathFor(path)].filter((p) => existsSync(p));
    for (const p of removed) rmSync(p, { force: true, recursive: true });
    console.log(`沙盒已重置 (sandbox reset)：已删除 ${removed.join('、') || path}。下次 npm start 会重新建库并导入演示名录。`);
    return 0;
  } finally {
    lock.release();
  }
}
