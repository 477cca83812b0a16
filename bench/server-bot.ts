import { serve } from '@hono/node-server';
import pino from 'pino';
import { openSqlite } from '../db/open-sqlite.js';
import { createBotApp, createDeps, ROUTES } from '../src/compose.js';
import { createDoorGate } from '../src/door-gate.js';
import { createInboxQueue } from '../src/inbox-queue.js';
import { drainSoon } from '../src/lark/drain-soon.js';
import { feishuLimits } from '../src/domain/rate-limiter.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { announce, openIdOf, readServerConfig } from './config.js';
import { installDiagnostics } from './diagnostics.js';

/**
 * The real bot, wired as src/node.ts wires it (SQLite file, createDeps, createBotApp, one door
 * gate for the inbox queue and the outbox, @hono/node-server, deferred work as floating
 * promises, the inbox polled and the outbox drained every 2 s too),
 * talking to the Open API emulator over loopback.
 *
 * One difference, on purpose: the per-app send limit (Feishu's 50/s and 1,000/min) is lifted,
 * because the emulator is not Feishu and at that limit a 10 s run at 1,000 events/s would need
 * ten minutes to send its replies. The 5/s per chat and per user limits stay.
 */
const cfg = readServerConfig();
if (!cfg.dbPath || !cfg.larkDomain) throw new Error('bench bot: dbPath and larkDomain are required');
const logger = pino({ level: 'warn', base: undefined }, pino.destination(2));
const { db, raw, close } = openSqlite(cfg.dbPath);
const lark = { appId: cfg.appId, appSecret: cfg.appSecret, encryptKey: cfg.encryptKey, verificationToken: cfg.verificationToken, domain: cfg.larkDomain };
const pending = new Set<Promise<unknown>>();
installDiagnostics(raw, () => pending.size);
const gate = createDoorGate({ busyRate: cfg.busyRate });
const deps = createDeps({
  db,
  lark,
  logger,
  timeZone: 'Asia/Shanghai',
  limits: (key) => (key === 'app' ? { perSecond: 100_000, burst: 100 } : feishuLimits(key)),
  gate,
});

// A small directory: one committee, ten branches, each with a secretary and members.
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

const defer = (task: () => Promise<unknown>) => {
  const p = task()
    .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'deferred task failed'))
    .finally(() => pending.delete(p));
  pending.add(p);
};
const inbox = createInboxQueue({ deps, routes: ROUTES, gate, defer, afterHandled: drainSoon(deps.outbox, defer) });
const app = createBotApp(deps, lark, defer, undefined, { gate, inbox });
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => announce(info.port));
const drainer = setInterval(() => {
  inbox.poll();
  defer(() => deps.outbox.drain({ maxMs: 10_000 }));
}, 2000);

process.once('SIGTERM', () => {
  clearInterval(drainer);
  server.close();
  void Promise.allSettled([...pending]).then(async () => {
    await close();
    process.exit(0);
  });
});
