import { serve } from '@hono/node-server';
import { createOpenApiEmulator } from '../src/sandbox/open-api-emulator.js';
import { announce, readServerConfig } from './config.js';

/**
 * The Open API emulator in its own process, so the bot's replies really go over HTTP. It counts
 * what the bot sends (GET /__bench/stats). Its request log and message list are emptied every
 * second: the emulator looks a uuid up by scanning its messages, which at tens of thousands of
 * messages would make it, not the bot, the bottleneck. The price is that it no longer dedupes
 * a uuid sent again later, so a send repeated by the bot shows up here as created > distinct
 * uuids (the bench reports both).
 */
const cfg = readServerConfig();
const uuids = new Set<string>();
let created = 0;
let sendRequests = 0;
const emu = createOpenApiEmulator({
  appId: cfg.appId,
  appSecret: cfg.appSecret,
  onMessage(m, kind) {
    if (kind !== 'created') return;
    created++;
    if (m.uuid) uuids.add(m.uuid);
  },
});

const fetch = (req: Request) => {
  const path = new URL(req.url).pathname;
  if (path === '/__bench/stats') return Response.json({ created, uniqueUuids: uuids.size, sendRequests });
  if (req.method === 'POST' && /\/im\/v1\/messages(\/[^/]+\/reply)?$/.test(path)) sendRequests++;
  return emu.app.fetch(req);
};
const trim = setInterval(() => {
  emu.requests.length = 0;
  emu.messages.length = 0;
}, 1000);

const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => announce(info.port));
process.once('SIGTERM', () => {
  clearInterval(trim);
  server.close(() => process.exit(0));
});
