import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { sqlitePath } from '../../db/open-sqlite.js';
import { createDoorApp } from './door-app.js';
import { openJournalWriter } from './journal-writer.js';
import { startBotThread } from './start-bot-thread.js';

export interface NodeBotOptions {
  config: Config;
  logger: Logger;
  /** Listen on this port instead of config.port (0: any free one; the bench). */
  port?: number;
  hostname?: string;
  niceness?: number;
  appSendsPerSecond?: number;
}

export interface NodeBot {
  port: number;
  stop(): Promise<void>;
}

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
  const offset = new Float64Array(clockOffset);
  let bot: ReturnType<typeof startBotThread> | undefined;
  const journal = openJournalWriter({ dir: journalDir, onWritten: (p) => bot?.written(p) });
  bot = startBotThread({ config, journalDir, clockOffset, niceness: opts.niceness ?? 10, appSendsPerSecond: opts.appSendsPerSecond }, logger, () => journal.position());
  const secrets = await bot.ready;
  const app = createDoorApp({ secrets, journal, bot, logger, now: () => new Date(Date.now() + offset[0]!) });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? config.port, hostname: opts.hostname }, (info) => resolve({ server: s, port: info.port }));
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
