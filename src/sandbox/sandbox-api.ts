import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { BOT_NAME, chatsOf, listDirectory } from './chat-directory.js';
import { previewOf, toViews } from './message-view.js';
import { createGroup, moveClock, pressCard, sendUserMessage, type Outcome, type SandboxWorld } from './sandbox-actions.js';
import { wallTimeToDate } from './sandbox-clock.js';

/** JSON API behind the chat page, mounted at /sandbox/api. Every input parsed with zod. */
const OpenId = z.string().regex(/^ou_\w{1,80}$/);
const ChatId = z.string().regex(/^oc_\w{1,80}$/);

const SendBody = z.object({ as: OpenId, chatId: ChatId, text: z.string().trim().min(1).max(4000) });
const ActionBody = z.object({
  as: OpenId,
  messageId: z.string().min(1).max(100),
  value: z.record(z.string(), z.unknown()),
  formValue: z.record(z.string(), z.unknown()).optional(),
  name: z.string().max(100).optional(),
});
const ClockBody = z.union([
  z.object({ addMinutes: z.number().int().min(1).max(60 * 24 * 400) }),
  z.object({ to: z.string().min(10).max(20) }),
]);
const GroupBody = z.object({ as: OpenId, name: z.string().trim().min(1).max(60) });

async function names(w: SandboxWorld): Promise<Map<string, string>> {
  const rows = await w.db.selectFrom('people').select(['open_id', 'name']).where('open_id', 'is not', null).execute();
  return new Map(rows.map((r) => [r.open_id!, r.name]));
}

function answer<T extends object>(c: Context, out: Outcome<T>) {
  return out.ok ? c.json(out) : c.json({ ok: false, error: out.error }, out.status);
}

async function body<T extends z.ZodTypeAny>(c: Context, schema: T): Promise<z.infer<T> | undefined> {
  const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Changes come only from the chat page itself. Any site the user visits could otherwise post a
 * form or a `text/plain` body here (the browser runs on this machine, so listening on 127.0.0.1
 * does not stop it) and move the clock or speak as anyone: a JSON content type needs a CORS
 * preflight, which this API never grants, and a cross-origin Origin is refused outright.
 */
function sameOrigin(c: Context): boolean {
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) return false;
  const origin = c.req.header('origin');
  if (!origin) return true; // not sent by a browser page (a script, a test)
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

export function sandboxApi(w: SandboxWorld): Hono {
  const api = new Hono();
  const bad = (c: Context) => c.json({ ok: false, error: '请求格式不对' }, 400);
  api.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameOrigin(c)) return c.json({ ok: false, error: '只接受沙盒页面本身的请求' }, 403);
    await next();
  });

  api.get('/directory', async (c) => c.json({ bot: { openId: w.emu.botOpenId, name: BOT_NAME }, people: await listDirectory(w.db) }));

  api.get('/state', async (c) => {
    const as = OpenId.safeParse(c.req.query('as'));
    if (!as.success) return bad(c);
    const me = (await listDirectory(w.db)).find((p) => p.openId === as.data);
    if (!me) return c.json({ ok: false, error: '名录里没有这个人' }, 404);
    const chats = await chatsOf(w.db, w.store, as.data);
    const last = await w.store.lastMessages(chats.map((ch) => ch.chatId));
    const who = await names(w);
    return c.json({
      ok: true,
      me,
      clock: { now: w.clock.now().toISOString(), offsetMs: w.clock.offsetMs(), timeZone: w.timeZone },
      chats: chats.map((ch) => {
        const m = last.get(ch.chatId);
        return {
          ...ch,
          last: m ? { preview: previewOf(m), at: m.created_at, senderName: m.sender ? (who.get(m.sender) ?? '') : BOT_NAME, rev: m.rev } : undefined,
        };
      }),
    });
  });

  api.get('/messages', async (c) => {
    const as = OpenId.safeParse(c.req.query('as'));
    const chat = ChatId.safeParse(c.req.query('chat'));
    const since = Number(c.req.query('since') ?? 0) || 0;
    if (!as.success || !chat.success) return bad(c);
    const visible = (await chatsOf(w.db, w.store, as.data)).some((ch) => ch.chatId === chat.data);
    if (!visible) return c.json({ ok: false, error: '你不在这个群里' }, 403);
    const rows = await w.store.messagesSince(chat.data, since);
    const messages = await toViews(w.store, rows, await names(w));
    return c.json({ ok: true, rev: Math.max(since, ...rows.map((r) => r.rev)), messages });
  });

  api.post('/messages', async (c) => {
    const b = await body(c, SendBody);
    return b ? answer(c, await sendUserMessage(w, b)) : bad(c);
  });

  api.post('/card-actions', async (c) => {
    const b = await body(c, ActionBody);
    return b ? answer(c, await pressCard(w, b)) : bad(c);
  });

  api.post('/chats', async (c) => {
    const b = await body(c, GroupBody);
    return b ? answer(c, await createGroup(w, b)) : bad(c);
  });

  api.get('/clock', (c) => c.json({ ok: true, now: w.clock.now().toISOString(), offsetMs: w.clock.offsetMs(), timeZone: w.timeZone }));

  api.post('/clock', async (c) => {
    const b = await body(c, ClockBody);
    if (!b) return bad(c);
    const to = 'addMinutes' in b ? new Date(w.clock.now().getTime() + b.addMinutes * 60_000) : wallTimeToDate(b.to, w.timeZone);
    if (!to) return c.json({ ok: false, error: '时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:mm' }, 400);
    return answer(c, await moveClock(w, to));
  });

  api.get('/files/:key', async (c) => {
    const f = await w.store.file(c.req.param('key'));
    if (!f) return c.json({ ok: false, error: '文件不存在' }, 404);
    const ascii = f.name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
    return c.body(Buffer.from(f.data), 200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(f.name)}`,
    });
  });

  return api;
}
