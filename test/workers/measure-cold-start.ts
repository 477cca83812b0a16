/**
 * Cold start of the Workers entry under `wrangler dev --local` (workerd on this machine):
 * time from spawning wrangler to the first /healthz 200, then the latency of the first and of
 * later signed events (the reply goes out after the response, in waitUntil), then one tick. Not a test (timings vary by machine); the README quotes its output.
 *   npx tsx test/workers/measure-cold-start.ts
 */
import { serve } from '@hono/node-server';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope, messageEvent, sealEvent } from '../../src/sandbox/feishu-events.js';
import { createOpenApiEmulator } from '../../src/sandbox/open-api-emulator.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

const creds = { appId: 'cli_cold_start', appSecret: 'cold-secret', encryptKey: 'cold-encrypt-key', verificationToken: 'cold-token' };
const emu = createOpenApiEmulator({ appId: creds.appId, appSecret: creds.appSecret });
const emuPort = await freePort();
const emuServer = serve({ fetch: emu.app.fetch, port: emuPort, hostname: '127.0.0.1' });
const port = await freePort();

const vars = {
  LARK_APP_ID: creds.appId,
  LARK_APP_SECRET: creds.appSecret,
  LARK_ENCRYPT_KEY: creds.encryptKey,
  LARK_VERIFICATION_TOKEN: creds.verificationToken,
  LARK_DOMAIN: `http://127.0.0.1:${emuPort}`,
  LOG_LEVEL: 'warn',
};
// A fresh local D1 with db/migrations applied, as `wrangler d1 migrations apply` does it.
const persist = mkdtempSync(join(tmpdir(), 'pledge-bot-cold-'));
const quiet = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
execFileSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], { env: quiet, stdio: 'ignore' });
const t0 = performance.now();
const dev = spawn(
  'npx',
  ['wrangler', 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persist, '--test-scheduled', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
  { stdio: ['ignore', 'pipe', 'pipe'], env: quiet, detached: true },
);
let log = '';
dev.stdout.on('data', (d: Buffer) => (log += d.toString()));
dev.stderr.on('data', (d: Buffer) => (log += d.toString()));

const base = `http://127.0.0.1:${port}`;
let ready = 0;
let firstHealthzMs = 0;
for (let i = 0; i < 600 && !ready; i++) {
  try {
    const t = performance.now();
    const r = await fetch(`${base}/healthz`);
    if (r.status === 200) {
      ready = performance.now();
      firstHealthzMs = ready - t;
    }
    else await new Promise((r) => setTimeout(r, 100));
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
if (!ready) {
  console.error(log);
  throw new Error('wrangler dev never answered /healthz');
}

async function timedEvent(text: string): Promise<number> {
  const { body, headers } = sealEvent(creds, envelope(creds, 'im.message.receive_v1', messageEvent({ openId: 'ou_cold', chatId: 'oc_p2p_cold', chatType: 'p2p', text })));
  const t = performance.now();
  const r = await fetch(`${base}/lark/events`, { method: 'POST', headers, body });
  if (r.status !== 200) throw new Error(`event answered ${r.status}`);
  return performance.now() - t;
}
const first = await timedEvent('帮助');
const later: number[] = [];
for (let i = 0; i < 10; i++) later.push(await timedEvent('帮助'));
for (let i = 0; i < 50 && emu.messages.length < 11; i++) await new Promise((r) => setTimeout(r, 100));
later.sort((a, b) => a - b);
const afterEvents = emu.messages.length;
// A reply queued while the one before it to the same chat was still in flight is held (chats
// get their messages in order) until the next drain: on Workers, the next Cron Trigger.
const cron = await fetch(`${base}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
if (cron.status !== 200) throw new Error(`scheduled answered ${cron.status}`);

console.log(
  JSON.stringify({
    startToFirstHealthzMs: Math.round(ready - t0),
    firstHealthzMs: Math.round(firstHealthzMs),
    firstEventMs: Math.round(first),
    laterEventMedianMs: Math.round(later[5] ?? 0),
    repliesAfterEvents: `${afterEvents}/11`,
    repliesAfterOneTick: `${emu.messages.length}/11`,
  }),
);
process.kill(-(dev.pid ?? 0), 'SIGTERM');
emuServer.close();
await new Promise((r) => setTimeout(r, 500));
rmSync(persist, { recursive: true, force: true });
