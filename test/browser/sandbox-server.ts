import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

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

/** The real server as `npm start` runs it with no Feishu credentials: the sandbox. */
export type SandboxServer = NodeProcess;

export function startSandboxServer(opts: { readyTimeoutMs?: number } = {}): Promise<SandboxServer> {
  return startNodeProcess({ env: {}, ready: /sandbox ready/, readyTimeoutMs: opts.readyTimeoutMs });
}
