import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  url: string;
  port: number;
  dir: string;
  dbPath: string;
  logs: string[];
  /** Stops the process (SIGTERM, as Ctrl-C would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL: a crash, nothing finished) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same database and port (after stop or kill). */
  start(): Promise<void>;
  /** Stops and starts again on the same database and port. */
  restart(): Promise<void>;
  /** Stops and removes the temp folder. */
  dispose(): Promise<void>;
}

/**
 * The real server as `npm start` runs it (src/node.ts: the door thread, the bot thread), on a temp
 * database and a free port, with `env` on top (.env values cannot leak in: every LARK_ variable
 * is set, empty if not given).
 */
export async function startNodeProcess(opts: { env: Record<string, string>; ready: RegExp; readyTimeoutMs?: number }): Promise<NodeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pledge-node-'));
  const dbPath = join(dir, 'bot.sqlite');
  const port = await freePort();
  const logs: string[] = [];
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: dbPath,
        PORT: String(port),
        LOG_LEVEL: 'info',
        LARK_APP_ID: '',
        LARK_APP_SECRET: '',
        LARK_ENCRYPT_KEY: '',
        LARK_VERIFICATION_TOKEN: '',
        LARK_DOMAIN: 'feishu',
        ...opts.env,
      };
      const proc = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const timer = setTimeout(() => reject(new Error(`server did not get ready in time:\n${logs.join('')}`)), opts.readyTimeoutMs ?? 30_000);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        logs.push(text);
        if (opts.ready.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}) before it was ready:\n${logs.join('')}`));
      });
    });

  const end = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    dbPath,
    logs,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start,
    async restart() {
      await end('SIGTERM');
      await start();
    },
    async dispose() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
