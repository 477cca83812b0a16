import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';

/**
 * A Feishu Open API emulator: the calls the bot makes, answered as Feishu answers them, with
 * everything recorded. The sandbox runs the bot against it; tests point the real node-sdk
 * client at it (LARK_DOMAIN) and can make it answer 429s or errors.
 */
/** Feishu's message `uuid`: at most 50 characters, deduplicating sends for one hour. */
const MAX_UUID = 50;
const UUID_WINDOW_MS = 3_600_000;

export interface EmulatedMessage {
  messageId: string;
  chatId: string;
  /** For private chats: the user's open_id. */
  receiveId: string;
  receiveIdType: string;
  msgType: string;
  content: string;
  uuid: string | undefined;
  replyTo: string | undefined;
  createdAt: number;
  updatedAt: number;
  /** Bumped by each PATCH. */
  version: number;
  /** Set on messages a user typed (the sandbox adds them); undefined for the bot's own. */
  senderOpenId?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  at: number;
}

export interface Fault {
  /** Applies to requests whose path contains this. */
  path: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many requests it applies to (default 1). */
  times?: number;
}

export interface EmulatorUser {
  openId: string;
  mobile?: string;
  email?: string;
}

export interface EmulatorOptions {
  appId: string;
  appSecret: string;
  botOpenId?: string;
  users?: EmulatorUser[];
  /** Private chat id for a user (p2p chat with the bot). */
  p2pChatId?: (openId: string) => string;
  /** Called (and awaited) before the API answers: the sandbox persists messages here. */
  onMessage?: (m: EmulatedMessage, kind: 'created' | 'patched') => void | Promise<void>;
  /** Called (and awaited) when a file is uploaded. */
  onFile?: (fileKey: string, file: { name: string; data: Uint8Array }) => void | Promise<void>;
  /** Contact lookups of mobiles/emails not in `users` (the sandbox makes everyone exist). */
  resolveUnknown?: (q: { mobile?: string; email?: string }) => string | undefined;
  /** The emulator's clock in ms (message create/update times); default Date.now. */
  now?: () => number;
  latencyMs?: number;
  /** Path prefix the API is served under (the sandbox mounts it inside the bot's server). */
  basePath?: string;
}

export interface OpenApiEmulator {
  app: Hono;
  requests: RecordedRequest[];
  messages: EmulatedMessage[];
  files: Map<string, { name: string; data: Uint8Array }>;
  faults: Fault[];
  users: EmulatorUser[];
  botOpenId: string;
  p2pChatId: (openId: string) => string;
  /** Messages the bot sent to one chat (a p2p chat id or a group chat id). */
  inChat(chatId: string): EmulatedMessage[];
  reset(): void;
}

export const defaultP2pChatId = (openId: string): string => `oc_p2p_${openId.replace(/^ou_/, '')}`;

export function createOpenApiEmulator(opts: EmulatorOptions): OpenApiEmulator {
  const app = new Hono();
  const base = opts.basePath ?? '';
  const emu: OpenApiEmulator = {
    app,
    requests: [],
    messages: [],
    files: new Map(),
    faults: [],
    users: opts.users ?? [],
    botOpenId: opts.botOpenId ?? 'ou_sandbox_bot',
    p2pChatId: opts.p2pChatId ?? defaultP2pChatId,
    inChat: (chatId) => emu.messages.filter((m) => m.chatId === chatId),
    reset() {
      emu.requests.length = 0;
      emu.messages.length = 0;
      emu.faults.length = 0;
      emu.files.clear();
    },
  };
  const tokens = new Set<string>();
  const clock = opts.now ?? Date.now;
  let seq = 0;

  app.use('*', async (c, next) => {
    const path = c.req.path.replace(/^.*?(\/open-apis\/)/, '$1');
    let body: unknown = undefined;
    const type = c.req.header('content-type') ?? '';
    if (type.includes('application/json')) body = await c.req.raw.clone().json().catch(() => undefined);
    emu.requests.push({ method: c.req.method, path, query: c.req.query(), body, at: Date.now() });
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const fault = emu.faults.find((f) => path.includes(f.path));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) emu.faults.splice(emu.faults.indexOf(fault), 1);
      return c.json((fault.body ?? { code: 1, msg: 'injected fault' }) as object, fault.status as 400, fault.headers);
    }
    if (!path.startsWith('/open-apis/auth/')) {
      const auth = c.req.header('authorization') ?? '';
      if (!tokens.has(auth.replace(/^Bearer\s+/, ''))) return c.json({ code: 99991663, msg: 'invalid access token' }, 400);
    }
    await next();
  });

  const issueToken = async (c: import('hono').Context) => {
    const b = (await c.req.json().catch(() => ({}))) as { app_id?: string; app_secret?: string };
    if (b.app_id !== opts.appId || b.app_secret !== opts.appSecret) return c.json({ code: 10014, msg: 'app secret invalid' });
    const token = `t-${randomUUID()}`;
    tokens.add(token);
    return c.json({ code: 0, msg: 'ok', tenant_access_token: token, app_access_token: token, expire: 7200 });
  };
  app.post(`${base}/open-apis/auth/v3/tenant_access_token/internal`, issueToken);
  app.post(`${base}/open-apis/auth/v3/app_access_token/internal`, issueToken);

  const store = async (m: Omit<EmulatedMessage, 'messageId' | 'createdAt' | 'updatedAt' | 'version'>) => {
    const now = clock();
    if (m.uuid) {
      // uuid makes a send idempotent for an hour (Feishu's window), not forever.
      const same = emu.messages.find((x) => x.uuid === m.uuid && !x.senderOpenId && now - x.createdAt < UUID_WINDOW_MS);
      if (same) return same;
    }
    const msg: EmulatedMessage = { ...m, messageId: `om_emu_${++seq}_${randomUUID().slice(0, 8)}`, createdAt: now, updatedAt: now, version: 1 };
    emu.messages.push(msg);
    await opts.onMessage?.(msg, 'created');
    return msg;
  };
  const messageData = (m: EmulatedMessage) => ({
    code: 0,
    msg: 'success',
    data: { message_id: m.messageId, chat_id: m.chatId, msg_type: m.msgType, create_time: String(m.createdAt), body: { content: m.content } },
  });

  app.post(`${base}/open-apis/im/v1/messages`, async (c) => {
    const idType = c.req.query('receive_id_type') ?? '';
    const b = (await c.req.json()) as { receive_id?: string; msg_type?: string; content?: string; uuid?: string };
    if (!b.receive_id || !b.msg_type || typeof b.content !== 'string') return c.json({ code: 230001, msg: 'invalid param' }, 400);
    if (b.uuid && b.uuid.length > MAX_UUID) return c.json({ code: 99992402, msg: 'field validation failed: uuid longer than 50' }, 400);
    if (!['open_id', 'chat_id', 'user_id', 'union_id', 'email'].includes(idType)) return c.json({ code: 99992402, msg: 'receive_id_type invalid' }, 400);
    try {
      JSON.parse(b.content);
    } catch {
      return c.json({ code: 230001, msg: 'content is not JSON' }, 400);
    }
    // Feishu's limit is on the request body in bytes (230025: 请求体最大不能超过30KB), not characters.
    if (b.msg_type === 'interactive' && new TextEncoder().encode(JSON.stringify(b)).length > 30 * 1024) return c.json({ code: 230025, msg: 'card content too large' }, 400);
    const chatId = idType === 'open_id' ? emu.p2pChatId(b.receive_id) : b.receive_id;
    return c.json(messageData(await store({ chatId, receiveId: b.receive_id, receiveIdType: idType, msgType: b.msg_type, content: b.content, uuid: b.uuid, replyTo: undefined })));
  });

  app.post(`${base}/open-apis/im/v1/messages/:id/reply`, async (c) => {
    const parent = emu.messages.find((m) => m.messageId === c.req.param('id'));
    const b = (await c.req.json()) as { msg_type?: string; content?: string; uuid?: string };
    if (b.uuid && b.uuid.length > MAX_UUID) return c.json({ code: 99992402, msg: 'field validation failed: uuid longer than 50' }, 400);
    const chatId = parent?.chatId ?? c.req.header('x-emulator-chat-id');
    if (!chatId || !b.msg_type || typeof b.content !== 'string') return c.json({ code: 230002, msg: 'message not found' }, 400);
    return c.json(messageData(await store({ chatId, receiveId: chatId, receiveIdType: 'chat_id', msgType: b.msg_type, content: b.content, uuid: b.uuid, replyTo: c.req.param('id') })));
  });

  app.patch(`${base}/open-apis/im/v1/messages/:id`, async (c) => {
    const m = emu.messages.find((x) => x.messageId === c.req.param('id'));
    const b = (await c.req.json()) as { content?: string };
    if (!m) return c.json({ code: 230002, msg: 'message not found' }, 400);
    if (typeof b.content !== 'string') return c.json({ code: 230001, msg: 'invalid param' }, 400);
    m.content = b.content;
    m.updatedAt = clock();
    m.version++;
    await opts.onMessage?.(m, 'patched');
    return c.json({ code: 0, msg: 'success', data: {} });
  });

  app.post(`${base}/open-apis/im/v1/files`, async (c) => {
    // The SDK sends the file part without a filename, so FormData parsers turn it into a
    // (UTF-8 mangled) string: read the parts from the raw bytes instead.
    const parts = parseMultipart(new Uint8Array(await c.req.arrayBuffer()), c.req.header('content-type') ?? '');
    const file = parts.get('file');
    const name = parts.get('file_name');
    if (!file || file.length === 0) return c.json({ code: 234001, msg: 'file is empty' }, 400);
    const key = `file_emu_${++seq}_${randomUUID().slice(0, 8)}`;
    const stored = { name: name ? new TextDecoder().decode(name) : 'file', data: file };
    emu.files.set(key, stored);
    await opts.onFile?.(key, stored);
    return c.json({ code: 0, msg: 'success', data: { file_key: key } });
  });

  app.post(`${base}/open-apis/contact/v3/users/batch_get_id`, async (c) => {
    const b = (await c.req.json()) as { mobiles?: string[]; emails?: string[] };
    const list = [
      ...(b.mobiles ?? []).map((mobile) => ({ mobile, user_id: emu.users.find((u) => u.mobile === mobile)?.openId ?? opts.resolveUnknown?.({ mobile }) })),
      ...(b.emails ?? []).map((email) => ({ email, user_id: emu.users.find((u) => u.email === email)?.openId ?? opts.resolveUnknown?.({ email }) })),
    ];
    return c.json({ code: 0, msg: 'success', data: { user_list: list } });
  });

  app.get(`${base}/open-apis/bot/v3/info`, (c) =>
    c.json({ code: 0, msg: 'ok', bot: { open_id: emu.botOpenId, app_name: '践诺助手', activate_status: 2 } }),
  );

  app.get(`${base}/open-apis/im/v1/chats/:chat_id/members`, (c) =>
    c.json({ code: 0, msg: 'success', data: { items: [], has_more: false, member_total: 0 } }),
  );

  app.all('*', (c) => c.json({ code: 99991672, msg: `emulator: no such API ${c.req.method} ${c.req.path}` }, 404));
  return emu;
}

/** multipart/form-data → field name → raw bytes. */
export function parseMultipart(body: Uint8Array, contentType: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return out;
  const delim = new TextEncoder().encode(`--${boundary[1] ?? boundary[2]}`);
  const indexOf = (hay: Uint8Array, needle: Uint8Array, from: number): number => {
    outer: for (let i = from; i <= hay.length - needle.length; i++) {
      for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  };
  const headerEnd = new TextEncoder().encode('\r\n\r\n');
  let pos = indexOf(body, delim, 0);
  while (pos >= 0) {
    const start = pos + delim.length + 2; // skip CRLF after the delimiter
    const next = indexOf(body, delim, start);
    if (next < 0) break;
    const hEnd = indexOf(body, headerEnd, start);
    if (hEnd > 0 && hEnd < next) {
      const headers = new TextDecoder().decode(body.subarray(start, hEnd));
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      if (name) out.set(name, body.slice(hEnd + 4, next - 2)); // drop the CRLF before the delimiter
    }
    pos = next;
  }
  return out;
}
