import { getRequestListener } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import { createOpenApiEmulator, type EmulatorUser, type OpenApiEmulator } from '../../src/sandbox/open-api-emulator.js';

export interface EmulatorServer {
  emu: OpenApiEmulator;
  /** Base URL to give the bot as LARK_DOMAIN. */
  url: string;
  /** When the emulator answered each request (after its latency), in order. */
  answered: { path: string; at: number }[];
  /** A message a person sent (it exists in Feishu, not in the emulator): replies to it land in `chatId`. */
  saidIn(messageId: string, chatId: string): void;
  /** The next `times` requests whose URL contains `path` die without a response. */
  dropConnections(path: string, times?: number): void;
  close(): void;
}

/** The fake Feishu Open API on 127.0.0.1, recording what it receives. */
export async function startEmulatorServer(opts: { appId: string; appSecret: string; users?: EmulatorUser[]; latencyMs?: number }): Promise<EmulatorServer> {
  const emu = createOpenApiEmulator({ appId: opts.appId, appSecret: opts.appSecret, users: opts.users, latencyMs: opts.latencyMs });
  const answered: { path: string; at: number }[] = [];
  const answer = async (req: Request) => {
    const res = await emu.app.fetch(req);
    answered.push({ path: new URL(req.url).pathname, at: Date.now() });
    return res;
  };
  // Replies are told their chat through the emulator's x-emulator-chat-id hook.
  const userMessages = new Map<string, string>();
  const drops: { path: string; times: number }[] = [];
  const listener = getRequestListener((req) => {
    const reply = /\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(new URL(req.url).pathname);
    const chatId = reply ? userMessages.get(reply[1]!) : undefined;
    if (!chatId) return answer(req);
    const headers = new Headers(req.headers);
    headers.set('x-emulator-chat-id', chatId);
    return answer(new Request(req, { headers }));
  });
  const server = await new Promise<{ server: Server; url: string }>((resolve) => {
    const s = createServer((req, res) => {
      const drop = drops.find((d) => d.times > 0 && (req.url ?? '').includes(d.path));
      if (drop) {
        // A network failure: the connection dies before any response.
        drop.times--;
        emu.requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, query: {}, body: 'dropped', at: Date.now() });
        req.socket.destroy();
        return;
      }
      void listener(req, res);
    });
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      resolve({ server: s, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
    });
  });
  return {
    emu,
    url: server.url,
    answered,
    saidIn: (messageId, chatId) => userMessages.set(messageId, chatId),
    dropConnections: (path, times = 1) => drops.push({ path, times }),
    close() {
      server.server.closeAllConnections();
      server.server.close();
    },
  };
}
