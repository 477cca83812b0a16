import 'dotenv/config';
import { serve } from '@hono/node-server';
import cron from 'node-cron';
import pino from 'pino';
import { openSqlite } from '../db/open-sqlite.js';
import { createBotApp, createDeps, ROUTES } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDoorGate } from './door-gate.js';
import { createInboxQueue } from './inbox-queue.js';
import { drainSoon } from './lark/drain-soon.js';
import { tick } from './tick.js';

/** Node entry: better-sqlite3, node-cron, @hono/node-server. */
async function main(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, base: undefined, redact: ['*.encryptKey', '*.appSecret', '*.token'] });
  const { db, close } = openSqlite(config.databaseUrl);
  const pending = new Set<Promise<unknown>>();
  const defer = (task: () => Promise<unknown>) => {
    const p = task()
      .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'deferred task failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  let lark = config.lark;
  let mount: Parameters<typeof createBotApp>[3];
  let onListening: ((port: number) => Promise<void>) | undefined;
  let now: (() => Date) | undefined;
  if (!lark) {
    // No Feishu credentials: run the local sandbox (a built-in Feishu emulator) instead.
    const { createSandbox } = await import('./sandbox/create-sandbox.js');
    const sandbox = await createSandbox({ db, port: config.port, logger, timeZone: config.timeZone });
    lark = sandbox.credentials;
    mount = sandbox.mount;
    onListening = sandbox.onListening;
    now = sandbox.now; // the sandbox clock, which the chat page can move forward
  }
  // Work after the response (handling stored messages, the outbox) yields to the door.
  const gate = createDoorGate();
  const deps = createDeps({ db, lark, logger, timeZone: config.timeZone, now, gate });
  const inbox = createInboxQueue({ deps, routes: ROUTES, gate, defer, afterHandled: drainSoon(deps.outbox, defer) });
  const app = createBotApp(deps, lark, defer, mount, { gate, inbox });
  const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
    logger.info({ port: info.port, mode: config.lark ? 'feishu' : 'sandbox' }, 'pledge-bot listening');
    void onListening?.(info.port);
  });

  // Every 2 s the inbox queue looks for stored messages nobody holds (left by a restart, or due
  // for another try) and the outbox is drained: that is crash recovery here, so the scheduler
  // pass (on start, then every minute) leaves it to the queue, which keeps each chat in order.
  inbox.poll();
  defer(() => tick(deps, { recover: false }));
  const minute = cron.schedule('* * * * *', () => defer(() => tick(deps, { recover: false })), { timezone: config.timeZone });
  const drainer = setInterval(() => {
    inbox.poll();
    defer(() => deps.outbox.drain({ maxMs: 10_000 }));
  }, 2000);

  const stop = async () => {
    logger.info({}, 'shutting down');
    await minute.stop();
    clearInterval(drainer);
    server.close();
    await Promise.allSettled([...pending]);
    await close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

try {
  await main(loadConfig(process.env));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
