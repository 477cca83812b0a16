import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { sqlitePath } from '../../db/open-sqlite.js';
import { createDoorGate, DOOR_LOAD_BYTES } from '../door-gate.js';
import { createDoorApp } from './door-app.js';
import { JOURNAL_SIGNAL_BYTES, journalSignal } from './journal-signal.js';
import { openJournalWriter } from './journal-writer.js';
import { startBotThread } from './start-bot-thread.js';

export interface NodeBotOptions {
  config: Config;
  logger: Logger;
  /** Listen on this port instead of config.port (0: any free one; the bench). */
  port?: number;
  hostname?: string;
  niceness?: number;
  /** The bot thread's background steps a second while the door is busy (door-gate.ts). */
  busyRate?: number;
  appSendsPerSecond?: number;
}

export interface NodeBot {
  port: number;
  stop(): Promise<void>;
}

/**
 * Under a burst the door thread comes first: the bot thread runs at nice 5 (the kernel gives the
 * door the CPU first) and, while the door is busy, takes 25 background steps a second (handling
 * one message, sending one, moving one chunk of the journal into the database); card presses are
 * not held back. Work done during the burst is CPU the acknowledgements lack (Feishu re-sends
 * what is not acknowledged in 3 s, adding to the burst), and what waits is stored: it goes at
 * full speed 50 ms after the door is no longer busy. At 25 rather than 100 the bench's bot used
 * 0.98–1.00× the SDK adapter's CPU per event instead of 1.00–1.08×, handling 12 messages a second
 * during the burst instead of 39. `npm run bench -- --nice N --busy-rate R` shows the trade-off.
 */
export const BOT_NICENESS = 5;
export const BOT_BUSY_RATE = 25;

/** The door's journal sits beside the database file: `<database>.inbox/`. */
export function journalDirFor(databaseUrl: string): string {
  const path = sqlitePath(databaseUrl);
  return path === ':memory:' ? mkdtempSync(join(tmpdir(), 'pledge-inbox-')) : `${path}.inbox`;
}

/**
 * The bot on Node, two threads: this one runs the door (checks, the journal, the 200) and the
 * HTTP server; the bot thread (bot-thread.ts) everything behind it. The door never waits for the
 * database or for handling, so work after the response cannot slow the acknowledgements.
 */
export async function startNodeBot(opts: NodeBotOptions): Promise<NodeBot> {
  const { config, logger } = opts;
  const journalDir = journalDirFor(config.databaseUrl);
  const clockOffset = new SharedArrayBuffer(8);
  const doorLoad = new SharedArrayBuffer(DOOR_LOAD_BYTES);
  const meter = createDoorGate({ publish: new Float64Array(doorLoad) });
  const offset = new Float64Array(clockOffset);
  const signalBuffer = new SharedArrayBuffer(JOURNAL_SIGNAL_BYTES);
  const signal = journalSignal(signalBuffer);
  let bot: ReturnType<typeof startBotThread> | undefined;
  const journal = openJournalWriter({
    dir: journalDir,
    onWritten: (p) => {
      if (signal.publish(p)) bot?.wake();
    },
  });
  signal.publish(journal.position());
  bot = startBotThread(
    { config, journalDir, journalSignal: signalBuffer, clockOffset, doorLoad, busyRate: opts.busyRate ?? BOT_BUSY_RATE, niceness: opts.niceness ?? BOT_NICENESS, appSendsPerSecond: opts.appSendsPerSecond },
    logger,
  );
  const secrets = await bot.ready;
  const app = createDoorApp({ secrets, journal, bot, logger, now: () => new Date(Date.now() + offset[0]!), knock: () => meter.knock() });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? config.port, hostname: opts.hostname ?? config.host }, (info) => resolve({ server: s, port: info.port }));
  });
  bot.listening(port);
  return {
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      journal.close();
      await bot.stop();
    },
  };
}
