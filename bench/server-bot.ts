import pino from 'pino';
import { openSqlite } from '../db/open-sqlite.js';
import { createDeps } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { startNodeBot } from '../src/node/start-node-bot.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { announce, openIdOf, readServerConfig } from './config.js';
import { installDiagnostics } from './diagnostics.js';

/**
 * The real bot as `npm start` runs it on Node (startNodeBot: the door and its journal on this
 * thread, the bot on a worker thread), on a temp SQLite file, talking to the Open API emulator
 * over loopback.
 *
 * One difference, on purpose: the per-app send limit (Feishu's 50/s and 1,000/min) is lifted,
 * because the emulator is not Feishu and at that limit a 10 s run at 1,000 events/s would need
 * ten minutes to send its replies. The 5/s per chat and per user limits stay.
 */
const cfg = readServerConfig();
if (!cfg.dbPath || !cfg.larkDomain) throw new Error('bench bot: dbPath and larkDomain are required');
const logger = pino({ level: 'warn', base: undefined }, pino.destination(2));
const config = loadConfig({
  LARK_APP_ID: cfg.appId,
  LARK_APP_SECRET: cfg.appSecret,
  LARK_ENCRYPT_KEY: cfg.encryptKey,
  LARK_VERIFICATION_TOKEN: cfg.verificationToken,
  LARK_DOMAIN: cfg.larkDomain,
  DATABASE_URL: cfg.dbPath,
  LOG_LEVEL: 'warn',
});

// A small directory, seeded before the bot starts: one committee, ten branches, each with a
// secretary and members.
{
  const { db, close } = openSqlite(cfg.dbPath);
  const deps = createDeps({ db, lark: config.lark!, logger, timeZone: config.timeZone });
  const people = cfg.directoryPeople ?? 200;
  const orgs = [{ code: 'C0', name: '机关党委', parent_code: '', kind: '党委' }];
  for (let b = 1; b <= 10; b++) orgs.push({ code: `B${b}`, name: `第${b}党支部`, parent_code: 'C0', kind: '党支部' });
  const rows = Array.from({ length: people }, (_, i) => ({
    open_id: openIdOf(i),
    name: `测试${i}`,
    org_code: i === 0 ? 'C0' : `B${(i % 10) + 1}`,
    role: i === 0 ? 'admin' : i <= 10 ? 'secretary' : 'member',
  }));
  const table = <T extends Record<string, string>>(list: T[]) => ({
    header: Object.keys(list[0] ?? {}),
    records: list.map((values, i) => ({ line: i + 2, values })),
  });
  const seeded = await importDirectory(deps, { orgs: table(orgs), people: table(rows), actor: 'bench' });
  if (!seeded.ok) throw new Error(`bench seed failed: ${JSON.stringify(seeded.problems.slice(0, 3))}`);
  await close();
}

installDiagnostics();
const bot = await startNodeBot({ config, logger, port: 0, hostname: '127.0.0.1', niceness: cfg.niceness, busyRate: cfg.busyRate, appSendsPerSecond: 100_000 });
announce(bot.port);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
