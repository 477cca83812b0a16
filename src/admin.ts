import 'dotenv/config';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { readAudit } from '../db/repos/audit.js';
import { failedOutbox } from '../db/repos/outbox.js';
import { D1Unavailable, openD1Proxy } from '../db/open-d1-proxy.js';
import { existsSync } from 'node:fs';
import { pendingMigrations } from '../db/migrate-sqlite.js';
import { openSqlite, sqlitePath } from '../db/open-sqlite.js';
import { deadlineCommand, exportLedgerCommand, exportPledgeCommand, PLEDGE_USAGE } from './cli/pledge-commands.js';
import { D1_USAGE, d1Env, d1OnlyCommand, noD1Credentials, parseDbFlags } from './cli/d1-admin.js';
import { fromCaller } from './cli/caller-path.js';
import { readTable } from './cli/read-table.js';
import { cliSandboxLark } from './cli/cli-sandbox-lark.js';
import { CALENDAR_USAGE, calendarCommand } from './cli/calendar-command.js';
import { SANDBOX_USAGE, sandboxCommand } from './cli/sandbox-command.js';
import { createDeps } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { verifyChain } from './domain/audit-hash.js';
import { parseInstant } from './domain/dates.js';
import { tick } from './tick.js';
import { importDirectory } from './usecases/import-directory.js';

const USAGE = `用法 (usage): npm run admin -- [--d1 [--remote | --persist-to <dir>]] <command>
  migrate                                  应用数据库迁移 (apply migrations)
  import <orgs.csv|xlsx> <people.csv|xlsx> 导入组织和人员 (import the directory)
  audit verify                             校验审计日志哈希链 (verify the audit chain)
  tick --at <ISO time> [--dry-run]         以该时刻运行一次调度 (run the scheduler as of a moment)
  outbox failed                            列出发送失败的消息 (list permanently failed sends)
${PLEDGE_USAGE}
${CALENDAR_USAGE}
${SANDBOX_USAGE}
${D1_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const flags = parseDbFlags(argv);
  if (!flags.ok) {
    console.error(`${flags.problem}\n${USAGE}`);
    return 2;
  }
  let config = loadConfig(process.env);
  const [cmd, ...rest] = flags.args;
  if (!cmd || cmd === 'help' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (flags.d1 && (cmd === 'migrate' || cmd === 'sandbox')) return await d1OnlyCommand(cmd, flags.d1);
  // A dry run writes nothing: not a new database where DATABASE_URL is mistyped, not a migration.
  const dryRun = cmd === 'tick' && rest.includes('--dry-run');
  if (dryRun && !flags.d1) {
    const path = sqlitePath(config.databaseUrl);
    if (path !== ':memory:' && !existsSync(path)) {
      console.error(`数据库文件不存在 (no database): ${path}。请检查 DATABASE_URL。`);
      return 1;
    }
  }
  const opened = flags.d1 ? undefined : openSqlite(config.databaseUrl, { migrate: !dryRun });
  const { db, close, vars } = opened ? { ...opened, vars: undefined } : await openD1Proxy(flags.d1!);
  try {
    if (vars) config = loadConfig(d1Env(vars, process.env));
    if (dryRun && opened && pendingMigrations(opened.raw).length > 0) {
      console.error('数据库还未迁移到最新 (migrations pending)：先运行 npm run admin -- migrate，再试运行。');
      return 1;
    }
    const logger = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
    // A dry run sends nothing, so it needs no credentials (the sandbox's would be stored on first use).
    const dryRunLark = { appId: 'dry-run', appSecret: 'dry-run', encryptKey: 'dry-run', verificationToken: 'dry-run', domain: config.larkDomain };
    const makeDeps = async (now?: () => Date) => {
      if (config.lark || dryRun || flags.d1) {
        return createDeps({ db, lark: config.lark ?? (dryRun ? dryRunLark : noD1Credentials()), logger, timeZone: config.timeZone, now });
      }
      const sandbox = await cliSandboxLark(db, config.port);
      return createDeps({ db, lark: sandbox.credentials, larkApi: sandbox.api, logger, timeZone: config.timeZone, now });
    };
    switch (cmd) {
      case 'migrate': {
        const applied = opened?.migrated ?? [];
        console.log(applied.length > 0 ? `已应用 ${applied.length} 个迁移 (applied): ${applied.join('、')}。数据库已是最新。` : '数据库已是最新，没有要应用的迁移 (up to date).');
        return 0;
      }
      case 'import': {
        const [orgsPath, peoplePath] = rest;
        if (!orgsPath || !peoplePath) {
          console.error('请给出两个文件：npm run admin -- import orgs.csv people.csv');
          return 2;
        }
        const [orgs, people] = await Promise.all([readTable(fromCaller(orgsPath)), readTable(fromCaller(peoplePath))]);
        const result = await importDirectory(await makeDeps(), { orgs, people, actor: 'cli:import' });
        if (!result.ok) {
          console.error(`导入失败，未写入任何数据。共 ${result.problems.length} 处问题 (nothing imported):`);
          for (const p of result.problems) console.error(`  ${p.file === 'orgs' ? orgsPath : peoplePath} 第 ${p.line} 行: ${p.message}`);
          return 1;
        }
        const s = result.summary;
        console.log(`导入完成 (imported): 组织 新增 ${s.orgsCreated} 更新 ${s.orgsUpdated}；人员 新增 ${s.peopleCreated} 更新 ${s.peopleUpdated}；角色 新增 ${s.rolesAdded} 移除 ${s.rolesRemoved}；绑定群 ${s.chatsBound}`);
        for (const line of result.removed) console.log(`  移除角色 (removed): ${line}`);
        if (result.reviewCardsSent > 0) console.log(`  审定人有变动：已向新的审定人发出 ${result.reviewCardsSent} 张待审定承诺书的审定卡片。`);
        for (const org of result.unreviewed) console.log(`  注意 (no reviewer)：${org} 有待审定的承诺书，但现在没有可以审定它的上级领导或管理员，请在名录中补上。`);
        return 0;
      }
      case 'audit': {
        if (rest[0] !== 'verify') break;
        // One snapshot: rows, head and the audited tables' count read by one statement.
        const { rows, head, audited } = await readAudit(db);
        const problems = verifyChain(rows, head, audited);
        if (problems.length === 0) {
          const pending = head ? rows.length - head.count : 0;
          console.log(`审计日志完好 (audit chain intact): ${rows.length} 条记录${pending > 0 ? `（最后 ${pending} 条的头部尚未写入 / ${pending} newest not yet in the head: an append in progress）` : ''}`);
          return 0;
        }
        console.error(`审计日志被篡改 (audit chain broken): ${problems.length} 处`);
        for (const p of problems) console.error(`  #${p.id}: ${p.problem}`);
        return 1;
      }
      case 'tick': {
        const { values } = parseArgs({ args: rest, options: { at: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
        const at = values.at !== undefined ? parseInstant(values.at, config.timeZone) : new Date();
        if (!at) {
          console.error(`--at 不是有效的时间: ${values.at}（ISO 8601，例如 2027-01-19T09:00:00+08:00；不带时区按 ${config.timeZone} 理解）`);
          return 2;
        }
        const started = Date.now();
        const report = await tick(await makeDeps(() => new Date(at.getTime() + (Date.now() - started))), { dryRun: values['dry-run'] });
        console.log(JSON.stringify(report, null, 2));
        return 0;
      }
      case 'deadline':
        return await deadlineCommand(await makeDeps(), rest);
      case 'calendar':
        return await calendarCommand({ db, now: () => new Date(), timeZone: config.timeZone }, rest);
      case 'export':
        return await exportLedgerCommand(await makeDeps(), rest);
      case 'export-pledge':
        return await exportPledgeCommand(await makeDeps(), rest);
      case 'sandbox': return await sandboxCommand(rest, { config, db, close });
      case 'outbox': {
        if (rest[0] !== 'failed') break;
        const rows = await failedOutbox(db, 100);
        if (rows.length === 0) console.log('没有发送失败的消息 (no failed sends).');
        // An update of an earlier card mostly fails because Feishu edits messages only within 14 days of sending them.
        const why = (op: string) => (op === 'patch' ? '（更新已发出的卡片：飞书只允许更新 14 天内发送的消息，旧卡片保持原样，无需处理）' : '');
        for (const r of rows) console.log(`#${r.id} ${r.created_at} ${r.op} → ${r.receive_id} (${r.attempts} 次): ${r.last_error}${why(r.op)}`);
        return 0;
      }
    }
    console.error(`未知命令 (unknown command): ${argv.join(' ')}\n${USAGE}`);
    return 2;
  } finally {
    await close();
  }
}

/** What went wrong, for the operator: a known kind in a sentence, anything else by its message. */
function explain(err: unknown): string {
  if (err instanceof ConfigError || err instanceof D1Unavailable) return err.message;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('ERR_PARSE_ARGS')) return `参数有误 (bad arguments): ${message}\n${USAGE}`;
  if (code === 'ENOENT') return `找不到文件或目录 (not found): ${message}`;
  if (code === 'SQLITE_BUSY') return `数据库正忙 (database busy)：${message}。稍后重试；若 npm start 正在大量写入，可等它空闲。`;
  return `出错了 (error): ${message}`;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(explain(err));
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  process.exitCode = 1;
  // A remote D1 session that failed to start can leave wrangler's proxy running: don't wait on it.
  if (err instanceof D1Unavailable) process.exit();
}
