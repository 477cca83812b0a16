import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { lockPathFor, takeInstanceLock, type InstanceLock } from '../../db/instance-lock.js';
import { sqlitePath } from '../../db/open-sqlite.js';
import { createDoorGate, DOOR_LOAD_BYTES } from '../door-gate.js';
import { createDoorApp } from './door-app.js';
import { JOURNAL_SIGNAL_BYTES, journalSignal } from './journal-signal.js';
import { openJournalWriter } from './journal-writer.js';
import { startBotThread } from './start-bot-thread.js';
import { usableCores } from './usable-cores.js';

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
 * Under a burst the door thread comes first: while the door is busy the bot thread takes 25
 * background steps a second (handling one message, sending one, moving one chunk of the journal
 * into the database); card presses are not held back. Work done during the burst is CPU the
 * acknowledgements lack (Feishu re-sends what is not acknowledged in 3 s, adding to the burst),
 * and what waits is stored: it goes at full speed 50 ms after the door is no longer busy. At 25
 * rather than 100 the bench's bot used 0.98–1.00× the SDK adapter's CPU per event instead of
 * 1.00–1.08×, handling 12 messages a second during the burst instead of 39.
 *
 * On one core the bot thread also runs at nice 5, so that the kernel gives the door the CPU
 * first (bench on one core: 14,700/s at nice 5, 12,900/s at 0). With two or more it runs at 0:
 * it has a core to wake on, and a card press waits less for it (two cores: 0.43–0.44× the echo's
 * throughput at 0 against 0.41× at 5; card presses 2.2 against 2.4 ms at the median, 17 against
 * 50 ms at most). `npm run bench -- --nice N --busy-rate R` shows the trade-off.
 */
export const botNiceness = (cores: number): number => (cores > 1 ? 0 : 5);
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
  const lock = lockDatabase(opts.config.databaseUrl);
  try {
    return await startOnLockedDatabase(opts, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** Start-up stopped for a reason the operator can act on; the message says which. */
export class StartupError extends Error {}

function lockDatabase(databaseUrl: string): InstanceLock | undefined {
  const path = sqlitePath(databaseUrl);
  if (path === ':memory:') return undefined;
  let lock: InstanceLock | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    lock = takeInstanceLock(path);
  } catch (err) {
    // A folder it may not write in (permissions, a read-only mount): say where, not just "unable to open".
    throw new StartupError(`无法在 ${dirname(path)} 中创建数据库的锁文件 ${lockPathFor(path)}（${err instanceof Error ? err.message : String(err)}）：请检查该目录的写权限，或换一个 DATABASE_URL (cannot create the lock file).`);
  }
  if (!lock) {
    throw new StartupError(
      `数据库 ${path} 已经有一个 pledge-bot 在运行：一个数据库文件只能由一个进程运行（可用 fuser ${lockPathFor(path)} 查看是哪个进程）。先停止它，或换一个 DATABASE_URL (another pledge-bot is running on this database).`,
    );
  }
  return lock;
}

function listenProblem(err: unknown, host: string | undefined, port: number): Error {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  const where = `${host ?? '所有网卡'}:${port}`;
  if (code === 'EADDRINUSE') return new StartupError(`端口 ${port} 已被占用（${where}）：换一个 PORT，或先停止占用它的程序 (port in use).`);
  if (code === 'EACCES') return new StartupError(`没有权限监听 ${where}：1024 以下的端口需要 root，换一个 PORT (permission denied).`);
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') return new StartupError(`HOST 无法监听（${where}）：本机没有这个地址，请检查 HOST (cannot listen on this address).`);
  return err instanceof Error ? err : new Error(String(err));
}

async function startOnLockedDatabase(opts: NodeBotOptions, lock: InstanceLock | undefined): Promise<NodeBot> {
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
    { config, journalDir, journalSignal: signalBuffer, clockOffset, doorLoad, busyRate: opts.busyRate ?? BOT_BUSY_RATE, niceness: opts.niceness ?? botNiceness(usableCores()), appSendsPerSecond: opts.appSendsPerSecond },
    logger,
  );
  let secrets: Awaited<typeof bot.ready>;
  try {
    secrets = await bot.ready; // rejected: the thread has exited (a bad database, NotASandbox)
  } catch (err) {
    journal.close();
    throw err;
  }
  const host = opts.hostname ?? config.host;
  const listener = createDoorApp({ secrets, journal, bot, logger, now: () => new Date(Date.now() + offset[0]!), knock: () => meter.knock(), hostname: host });
  const wanted = opts.port ?? config.port;
  let listening: { server: Server; port: number };
  try {
    listening = await new Promise((resolve, reject) => {
      const s = createServer(listener);
      s.once('error', (err) => reject(listenProblem(err, host, wanted)));
      s.listen(wanted, host, () => resolve({ server: s, port: (s.address() as AddressInfo).port }));
    });
  } catch (err) {
    journal.close();
    await bot.stop();
    throw err;
  }
  const { server, port } = listening;
  bot.listening(port);
  return {
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      journal.close();
      await bot.stop();
      lock?.release();
    },
  };
}
