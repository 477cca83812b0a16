import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startNodeProcess } from '../helpers/node-process.js';

/** Debian's chromium drives the sandbox page (never a downloaded browser). */
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

/** The real server as `npm start` runs it with no Feishu credentials: the sandbox. */
export async function startSandboxServer(opts: { readyTimeoutMs?: number } = {}): Promise<SandboxServer> {
  const p = await startNodeProcess({ env: {}, ready: /sandbox ready/, readyTimeoutMs: opts.readyTimeoutMs });
  return {
    url: p.url,
    port: p.port,
    dir: p.dir,
    dbPath: p.dbPath,
    logs: p.logs,
    stop: p.stop,
    async restart() {
      await p.stop();
      await p.start();
    },
    dispose: p.dispose,
  };
}
