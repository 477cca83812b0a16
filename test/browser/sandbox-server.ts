import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * The real server as `npm start` runs it with no Feishu credentials (the sandbox), on a temp
 * database and a free port, and Debian's chromium to drive its page.
 */
export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. The browser tests drive Debian's chromium (never a downloaded browser): run \`apt-get install -y chromium\` (.ci/run does).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function freePort(): Promise<number> {
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

export interface SandboxServer {
  url: string;
  port: number;
  dir: string;
  dbPath: string;
  logs: string[];
  /** Stops the process (SIGTERM, as Ctrl-C would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops and starts again on the same database and port. */
  restart(): Promise<void>;
  /** Stops and removes the temp folder. */
  dispose(): Promise<void>;
}

const READY = /sandbox ready/;

export async function startSandboxServer(opts: { readyTimeoutMs?: number } = {}): Promise<SandboxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pledge-sandbox-'));
  const dbPath = join(dir, 'sandbox.sqlite');
  const port = await freePort();
  const logs: string[] = [];
  let child: ChildProcess | undefined;

  const boot = () =>
    new Promise<void>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: dbPath,
        PORT: String(port),
        LOG_LEVEL: 'info',
        // Empty, so a developer's .env cannot point the test at a real Feishu app.
        LARK_APP_ID: '',
        LARK_APP_SECRET: '',
        LARK_ENCRYPT_KEY: '',
        LARK_VERIFICATION_TOKEN: '',
        LARK_DOMAIN: 'feishu',
      };
      const proc = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const timer = setTimeout(() => reject(new Error(`sandbox server did not get ready in time:\n${logs.join('')}`)), opts.readyTimeoutMs ?? 30_000);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        logs.push(text);
        if (READY.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sandbox server exited (${code}) before it was ready:\n${logs.join('')}`));
      });
    });

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await boot();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    dbPath,
    logs,
    stop,
    async restart() {
      await stop();
      await boot();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
