import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import cron from 'node-cron';
import { openSqlite } from '../../db/open-sqlite.js';
import { releaseInboundLeases } from '../../db/repos/inbound.js';
import { releaseOutboxLeases } from '../../db/repos/outbox.js';
import { createCardAnswerer } from '../answer-card.js';
import { createBotApp, createDeps, oneCommitDeps, ROUTES } from '../compose.js';
import { createDoorGate } from '../door-gate.js';
import { feishuLimits } from '../domain/rate-limiter.js';
import { createInboxQueue } from '../inbox-queue.js';
import { drainSoon } from '../lark/drain-soon.js';
import { rememberFeishuApp } from '../sandbox/sandbox-credentials.js';
import { tick } from '../tick.js';
import { createJournalIngest } from './journal-ingest.js';
import { journalSignal } from './journal-signal.js';
import { nodeLogger } from './node-logger.js';
import type { BotThreadData, ForwardedRequest, FromBot, ToBot } from './thread-messages.js';

/**
 * The bot on Node, on its own thread: the database, the journal's way into it, handling, the
 * outbox, the minute's scheduler pass, the sandbox. The door thread (src/node.ts) acknowledges
 * Feishu's events in front of it and hands it card presses and every other request.
 */
const port = parentPort;
if (!port) throw new Error('bot-thread.ts runs as a worker thread (see src/node/start-bot-thread.ts)');
const data = workerData as BotThreadData;
const { config } = data;
const send = (m: FromBot, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

// On one core, below the door thread: under load the kernel gives the acknowledgements the CPU
// first (botNiceness in start-node-bot.ts).
try {
  setPriority(0, data.niceness);
} catch {
  // not allowed here (some containers): the door still runs on its own thread
}
const logger = nodeLogger(config.logLevel);
const { db, early, close } = openSqlite(config.databaseUrl);
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
// A database a Feishu app has used is never taken for a sandbox (sandbox-credentials.ts).
if (lark) await rememberFeishuApp(db, lark.appId);
else {
  // No Feishu credentials: run the local sandbox (a built-in Feishu emulator) instead.
  const { createSandbox } = await import('../sandbox/create-sandbox.js');
  // Moving the sandbox clock runs this thread's own pass (below), not one with an outbox of its own;
  // recovery is left to the inbox queue, as in the minute's pass (a clock jump makes every lease
  // look expired, and recovery could take a message the queue is handling).
  const sandbox = await createSandbox({ db, port: config.port, logger, timeZone: config.timeZone, tick: () => tick(deps, { recover: false }) });
  lark = sandbox.credentials;
  mount = sandbox.mount;
  onListening = sandbox.onListening;
  now = sandbox.now; // the sandbox clock, which the chat page can move forward
}
const clockOffset = new Float64Array(data.clockOffset);
const shareClock = () => {
  if (now) clockOffset[0] = now().getTime() - Date.now();
};
shareClock();

const appLimit = data.appSendsPerSecond;
// The door is on the other thread; this gate reads how busy it is from shared memory.
const gate = createDoorGate({ door: new Float64Array(data.doorLoad), busyRate: data.busyRate });
const deps = createDeps({
  db,
  lark,
  logger,
  timeZone: config.timeZone,
  now,
  gate,
  limits: appLimit ? (key) => (key === 'app' ? { perSecond: appLimit, burst: Math.max(1, appLimit / 10) } : feishuLimits(key)) : undefined,
});
// Handling (a card press, a stored message) writes through `early`: one commit to wait for each.
const oneCommit = oneCommitDeps(deps, early);
const kick = drainSoon(deps.outbox, defer);
// The one queue on this database: a chat's later messages are in its memory, not only stored.
const inbox = createInboxQueue({ deps, routes: ROUTES, gate, defer, afterHandled: kick, oneCommit, followChats: 0 });
const app = createBotApp(deps, lark, defer, mount, { gate, inbox });
const answerCard = createCardAnswerer(deps, {
  actions: ROUTES.actions,
  defer,
  afterHandled: kick,
  oneCommit,
});
const signal = journalSignal(data.journalSignal);
const ingest = createJournalIngest({ dir: data.journalDir, position: signal.read, asleep: signal.sleep, deps, inbox, gate });

async function forward(r: ForwardedRequest) {
  const res = await app.fetch(new Request(r.url, { method: r.method, headers: r.headers, body: r.body }));
  const body = await res.arrayBuffer();
  shareClock(); // the chat page may have moved the sandbox clock
  return { status: res.status, headers: [...res.headers.entries()], body };
}

const fail = (id: number) => (err: unknown) => {
  logger.error({ err: err instanceof Error ? err.message : String(err) }, 'bot thread: request failed');
  send({ type: 'failed', id, error: err instanceof Error ? err.message : String(err) });
};

// This process is the only one on its database (README): what its previous run held when it
// stopped or died is taken back now rather than when the leases run out.
{
  const inbound = await releaseInboundLeases(db, deps.now());
  const sends = await releaseOutboxLeases(db, deps.now());
  if (inbound || sends) logger.info({ inbound, sends }, 'taken back what the previous run held');
}

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

async function stop(): Promise<void> {
  await minute.stop();
  clearInterval(drainer);
  // What the door wrote goes into the database first, unless that is stuck (it then waits in
  // the journal for the next start).
  await Promise.race([ingest.idle(), new Promise((r) => setTimeout(r, 5000))]);
  ingest.stop();
  await ingest.idle();
  // Work that finishes may start more (a handled message asks for a drain): wait for that too,
  // for a while; what is left is in the database and goes on at the next start.
  const until = Date.now() + 10_000;
  while (pending.size > 0 && Date.now() < until) {
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, until - Date.now()))]);
  }
  await close();
  send({ type: 'stopped' });
}

port.on('message', (m: ToBot) => {
  switch (m.type) {
    case 'fetch':
      forward(m.request).then((response) => send({ type: 'response', id: m.id, response }, [response.body]), fail(m.id));
      break;
    case 'card':
      gate.first(() => answerCard(m.eventId, m.event, m.payload)).then((answer) => send({ type: 'card-answer', id: m.id, answer }), fail(m.id));
      break;
    case 'wake':
      ingest.wake();
      break;
    case 'listening':
      void onListening?.(m.port);
      break;
    case 'stop':
      void stop();
      break;
  }
});
send({ type: 'ready', secrets: { encryptKey: lark.encryptKey, verificationToken: lark.verificationToken } });
