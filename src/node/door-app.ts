import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { RequestListener } from 'node:http';
import { toast } from '../../cards/card-kit.js';
import { createDoorCheck } from '../door.js';
import type { DoorSecrets } from '../lark/verify-request.js';
import type { Logger } from '../logger.js';
import type { JournalWriter } from './journal-writer.js';
import { doorListener } from './door-listener.js';
import { BotThreadSlow, type BotThread } from './start-bot-thread.js';

export interface DoorAppOptions {
  secrets: DoorSecrets;
  journal: JournalWriter;
  bot: BotThread;
  logger: Logger;
  now: () => Date;
  /** Told of every request (the door gate that measures how busy the door is). */
  knock?: () => void;
  /** The address listened on: Hono's URL for a request without a Host header (HTTP/1.0), as `serve` gave it. */
  hostname?: string;
}

/** Longest a forwarded request (the sandbox's pages and files, /healthz) may take. */
const FORWARD_TIMEOUT_MS = 60_000;
/** The bot thread answers a card press within 2.5 s itself; this only catches a dead thread. */
const CARD_TIMEOUT_MS = 2_900;
const MAX_FORWARD_BYTES = 20 * 1024 * 1024;

/**
 * The door thread's request listener on Node: Feishu's events are checked here and written to the
 * journal before the 200 (journal-writer.ts), without waiting for the bot thread; card presses and
 * every other request go to the bot thread, which runs the whole app (src/app.ts) on the database.
 */
export function createDoorApp(opts: DoorAppOptions): RequestListener {
  const { bot, logger } = opts;
  const app = new Hono();
  const door = createDoorCheck({
    secrets: opts.secrets,
    logger,
    now: opts.now,
    knock: opts.knock,
    intake: {
      store: (d) => opts.journal.append(d),
      card: (eventId, event, payload) =>
        bot.card(eventId, event, payload, CARD_TIMEOUT_MS).catch(async (err: unknown) => {
          logger.error({ eventId, err: err instanceof Error ? err.message : String(err) }, 'card press not answered');
          if (!(err instanceof BotThreadSlow)) return toast('error', '暂时无法处理，请稍后再点一次。');
          // A slow bot thread still has the press and finishes it — unless it dies first. Said to
          // be in hand, it must not be lost: journalled like a message, it is stored and handled
          // by whichever thread reads it (a press already claimed is only claimed once).
          try {
            await opts.journal.append({ keys: [eventId], type: 'card.action.trigger', payload, chatId: null, receivedAt: opts.now() });
          } catch {
            return toast('error', '暂时无法处理，请稍后再点一次。');
          }
          return toast('info', '已收到，正在处理…');
        }),
    },
  });
  app.all('*', async (c) => {
    const req = c.req.raw;
    if (Number(req.headers.get('content-length') ?? 0) > MAX_FORWARD_BYTES) return c.json({ error: 'body too large' }, 413);
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : await req.arrayBuffer();
    try {
      const res = await bot.fetch({ method: req.method, url: req.url, headers: [...req.headers.entries()], body }, FORWARD_TIMEOUT_MS);
      return new Response(res.status === 204 || res.status === 304 ? null : res.body, { status: res.status, headers: res.headers });
    } catch (err) {
      logger.error({ path: c.req.path, err: err instanceof Error ? err.message : String(err) }, 'bot thread did not answer');
      return c.json({ error: 'bot unavailable' }, 503);
    }
  });
  return doorListener(door, getRequestListener(app.fetch, { hostname: opts.hostname }), logger);
}
