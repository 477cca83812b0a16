import type * as lark from '@larksuiteoapi/node-sdk';
import { z } from 'zod';

/** Which of Feishu's limits a throttled answer names: the whole app's, or one chat's / user's. */
export type Throttle = 'app' | 'recipient';

/** A failed Open API call, classified for the outbox's retry policy. */
export class LarkCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | undefined,
    readonly httpStatus: number | undefined,
    readonly code: number | undefined,
    /** Set when Feishu throttled the call: not a failure, a wait (then the same call again). */
    readonly throttled: Throttle | undefined = undefined,
  ) {
    super(message);
  }
}

// https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
// 99991400 is the app-wide limit whatever the HTTP status (429, or 400 from older APIs);
// 230020 is the per-chat / per-user message limit (HTTP 400). A bare 429 is app-wide too.
const APP_RATE_LIMIT_CODE = 99991400;
const RECIPIENT_RATE_LIMIT_CODE = 230020;

function throttleOf(status: number | undefined, code: number | undefined): Throttle | undefined {
  if (code === RECIPIENT_RATE_LIMIT_CODE) return 'recipient';
  if (code === APP_RATE_LIMIT_CODE || status === 429) return 'app';
  return undefined;
}

// Token not yet valid / expired / internal errors that a later try fixes.
const TRANSIENT_CODES = new Set([99991663, 99991661, 99991671, 1500, 2200, 99991672]);

const ApiBody = z.object({ code: z.number(), msg: z.string().optional(), data: z.unknown().optional() }).passthrough();

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const v = typeof h.get === 'function' ? h.get(name) : h[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function classify(status: number | undefined, code: number | undefined, msg: string, resetHeader?: string): LarkCallError {
  const reset = resetHeader !== undefined ? Number(resetHeader) : NaN;
  const retryAfterMs = Number.isFinite(reset) && reset >= 0 ? reset * 1000 : undefined;
  const throttled = throttleOf(status, code);
  const transient =
    throttled !== undefined || status === undefined || status >= 500 || (code !== undefined && TRANSIENT_CODES.has(code));
  return new LarkCallError(
    `Open API ${status ?? 'network'} code=${code ?? '-'} ${msg}`.trim(),
    transient,
    retryAfterMs,
    status,
    code,
    throttled,
  );
}

/** Turns whatever the SDK threw (axios error or plain error) into a LarkCallError. */
export function toLarkError(err: unknown): LarkCallError {
  if (err instanceof LarkCallError) return err;
  const e = err as { response?: { status?: number; data?: unknown; headers?: unknown }; message?: string };
  if (e && typeof e === 'object' && e.response) {
    const parsed = ApiBody.safeParse(e.response.data);
    return classify(
      e.response.status,
      parsed.success ? parsed.data.code : undefined,
      parsed.success ? (parsed.data.msg ?? '') : '',
      headerValue(e.response.headers, 'x-ogw-ratelimit-reset'),
    );
  }
  return classify(undefined, undefined, e?.message ?? String(err));
}

/** The SDK resolves HTTP 200 bodies whose code is not 0: always check it. */
function checked<T extends z.ZodTypeAny>(body: unknown, dataSchema: T): z.infer<T> {
  const parsed = ApiBody.safeParse(body);
  if (!parsed.success) throw classify(200, undefined, 'unexpected response body');
  if (parsed.data.code !== 0) throw classify(200, parsed.data.code, parsed.data.msg ?? '');
  const data = dataSchema.safeParse(parsed.data.data ?? {});
  if (!data.success) throw classify(200, 0, 'unexpected response data');
  return data.data;
}

async function call<T extends z.ZodTypeAny>(fn: () => Promise<unknown>, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = await fn();
  } catch (err) {
    throw toLarkError(err);
  }
  return checked(body, schema);
}

const MessageData = z.object({ message_id: z.string() }).passthrough();
export type ReceiveIdType = 'open_id' | 'chat_id' | 'user_id' | 'union_id' | 'email';

/** The Open API calls the bot makes, over the node-sdk client. */
export interface LarkApi {
  sendMessage(input: { receiveIdType: ReceiveIdType; receiveId: string; msgType: string; content: string; uuid: string }): Promise<{ messageId: string }>;
  replyMessage(input: { messageId: string; msgType: string; content: string; uuid: string }): Promise<{ messageId: string }>;
  patchMessage(input: { messageId: string; content: string }): Promise<void>;
  uploadFile(input: { fileName: string; data: Uint8Array }): Promise<{ fileKey: string }>;
  resolveUserIds(input: { mobiles: string[]; emails: string[] }): Promise<{ mobile?: string; email?: string; openId?: string }[]>;
  botOpenId(): Promise<string>;
}

export function createLarkApi(client: lark.Client): LarkApi {
  return {
    async sendMessage(i) {
      const d = await call(
        () =>
          client.im.v1.message.create({
            params: { receive_id_type: i.receiveIdType },
            data: { receive_id: i.receiveId, msg_type: i.msgType, content: i.content, uuid: i.uuid },
          }),
        MessageData,
      );
      return { messageId: d.message_id };
    },
    async replyMessage(i) {
      const d = await call(
        () =>
          client.im.v1.message.reply({
            path: { message_id: i.messageId },
            data: { msg_type: i.msgType, content: i.content, uuid: i.uuid },
          }),
        MessageData,
      );
      return { messageId: d.message_id };
    },
    async patchMessage(i) {
      await call(() => client.im.v1.message.patch({ path: { message_id: i.messageId }, data: { content: i.content } }), z.unknown());
    },
    async uploadFile(i) {
      // Not the typed `im.v1.file.create`: it returns `body.data || null`, so an HTTP 200 with a
      // non-zero code loses its code (and could never be retried). The generic `request` sends
      // the same multipart body through the same token and axios instance, and returns the body.
      const d = await call(
        () =>
          client.request({
            method: 'POST',
            url: '/open-apis/im/v1/files',
            headers: { 'Content-Type': 'multipart/form-data' },
            data: { file_type: 'stream', file_name: i.fileName, file: Buffer.from(i.data) },
          }),
        z.object({ file_key: z.string().min(1) }),
      );
      return { fileKey: d.file_key };
    },
    async resolveUserIds(i) {
      const d = await call(
        () =>
          client.contact.v3.user.batchGetId({
            params: { user_id_type: 'open_id' },
            data: { mobiles: i.mobiles, emails: i.emails, include_resigned: false },
          }),
        z.object({
          user_list: z
            .array(z.object({ user_id: z.string().optional(), mobile: z.string().optional(), email: z.string().optional() }))
            .default([]),
        }),
      );
      return d.user_list.map((u) => ({ mobile: u.mobile, email: u.email, openId: u.user_id }));
    },
    async botOpenId() {
      const body = await (async () => {
        try {
          return await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
        } catch (err) {
          throw toLarkError(err);
        }
      })();
      const parsed = z.object({ code: z.literal(0), bot: z.object({ open_id: z.string().min(1) }) }).safeParse(body);
      if (!parsed.success) throw classify(200, undefined, 'bot info unavailable');
      return parsed.data.bot.open_id;
    },
  };
}
