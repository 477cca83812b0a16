import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { createDeps } from '../compose.js';
import type { LarkCredentials } from '../config.js';
import type { Logger } from '../logger.js';
import type { TickReport } from '../tick.js';
import { DEMO_CHATS, seedDemoDirectory } from './demo-directory.js';
import { createEventDelivery } from './event-delivery.js';
import { createOpenApiEmulator, type EmulatedMessage } from './open-api-emulator.js';
import { mountPage } from './page-assets.js';
import { greetDemoGroups, type SandboxWorld } from './sandbox-actions.js';
import { sandboxApi } from './sandbox-api.js';
import { createSandboxClock } from './sandbox-clock.js';
import { SANDBOX_API_BASE, sandboxCredentials } from './sandbox-credentials.js';
import { openSandboxStore, type StoredMessage } from './sandbox-store.js';

export interface SandboxOptions {
  db: Kysely<Database>;
  port: number;
  logger: Logger;
  timeZone?: string;
  /**
   * The bot's own scheduler pass (with its outbox: one drain at a time, one rate limiter), run
   * when the clock is moved. A pass over an outbox of the sandbox's own would drain beside the
   * bot's, and after the jump take the rows the bot has in flight for expired ones.
   */
  tick: () => Promise<TickReport>;
}

export interface Sandbox {
  /** The bot's Feishu credentials; their domain is the emulator inside the bot's own server. */
  credentials: LarkCredentials;
  /** The sandbox clock: give it to createDeps so the bot lives in sandbox time. */
  now: () => Date;
  /** Adds the emulator (/sandbox/feishu), the chat page (/sandbox) and its API to the bot's app. */
  mount: (app: Hono) => void;
  /** Once the server listens: greets the demo groups on a first start, prints the address. */
  onListening: (port: number) => Promise<void>;
}

const toEmulated = (m: StoredMessage): EmulatedMessage => ({
  messageId: m.message_id,
  chatId: m.chat_id,
  receiveId: m.receive_id,
  receiveIdType: m.receive_id_type,
  msgType: m.msg_type,
  content: m.content,
  uuid: m.uuid ?? undefined,
  replyTo: m.reply_to ?? undefined,
  createdAt: m.created_at,
  updatedAt: m.updated_at,
  version: m.version,
  ...(m.sender ? { senderOpenId: m.sender } : {}),
});

/** In the sandbox every phone number and e-mail belongs to someone: a stable made-up open_id. */
function sandboxOpenId(q: { mobile?: string; email?: string }): string {
  if (q.mobile) return `ou_sbx_m${q.mobile.replace(/\D/g, '')}`;
  return `ou_sbx_e${createHash('sha256').update(q.email ?? '').digest('hex').slice(0, 16)}`;
}

/**
 * The local sandbox: the real bot talking to a built-in Feishu. The emulator answers the bot's
 * Open API calls under /sandbox/feishu and keeps every chat in sandbox_* tables; people on the
 * chat page reach the bot only as sealed events POSTed to /lark/events.
 */
export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const { db, logger } = opts;
  const timeZone = opts.timeZone ?? 'Asia/Shanghai';
  const store = await openSandboxStore(db);
  const clock = await createSandboxClock(store);
  const credentials = await sandboxCredentials(db, opts.port);
  const emu = createOpenApiEmulator({
    appId: credentials.appId,
    appSecret: credentials.appSecret,
    basePath: SANDBOX_API_BASE,
    now: () => clock.now().getTime(),
    onMessage: (m, kind) => (kind === 'created' ? store.insertMessage(m) : store.updateMessage(m)),
    onFile: (key, file) => store.saveFile(key, file, clock.now().getTime()),
    resolveUnknown: sandboxOpenId,
  });
  for (const m of await store.allMessages()) emu.messages.push(toEmulated(m));

  // The sandbox's own handle on the bot's parts, for seeding the demo university.
  const deps = createDeps({ db, lark: credentials, logger, timeZone, now: clock.now });
  const seeded = await seedDemoDirectory(deps, store);
  if (seeded) logger.info({ chats: DEMO_CHATS.length }, 'sandbox: demo university seeded');

  let port = opts.port;
  const delivery = createEventDelivery({
    secrets: { appId: credentials.appId, encryptKey: credentials.encryptKey, verificationToken: credentials.verificationToken },
    url: () => `http://127.0.0.1:${port}/lark/events`,
    now: clock.now,
  });
  const world: SandboxWorld = { db, store, emu, delivery, clock, timeZone, logger, tick: opts.tick };

  return {
    credentials,
    now: clock.now,
    mount(app) {
      app.all(`${SANDBOX_API_BASE}/*`, (c) => emu.app.fetch(c.req.raw));
      app.route('/sandbox/api', sandboxApi(world));
      mountPage(app);
    },
    async onListening(listeningPort) {
      port = listeningPort;
      if (seeded) {
        try {
          await greetDemoGroups(world, DEMO_CHATS, 'ou_sbx_wangjianguo');
        } catch (err) {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'sandbox: could not greet the demo groups');
        }
      }
      logger.info({ url: `http://localhost:${port}/sandbox` }, `沙盒已就绪 sandbox ready: open http://localhost:${port}/sandbox`);
    },
  };
}
