import { z } from 'zod';
import { constantTimeEqual, decryptEvent, signBody } from './crypto.js';

export const MAX_SKEW_MS = 5 * 60 * 1000;

export interface DoorSecrets {
  encryptKey: string;
  verificationToken: string;
  /** eventDecrypter(encryptKey), when the caller keeps it (made per call otherwise). */
  decrypt?: (encrypted: string) => string;
}

export type DoorResult =
  | { ok: true; kind: 'challenge'; challenge: string }
  /** `text` is the event's JSON as received (decrypted): what the inbox stores. */
  | { ok: true; kind: 'event'; body: unknown; text: string }
  | { ok: false; status: 400 | 401; reason: string };

const Encrypted = z.object({ encrypt: z.string().min(1) });
const UrlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string(), token: z.string() });
const TokenCarrier = z.object({
  header: z.object({ token: z.string() }).optional(),
  token: z.string().optional(),
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Everything that happens at the door, as a pure function of the raw body, the headers and the
 * clock (like bolt's verifyRequest). The SDK's own check hashes re-serialized JSON and skips the
 * token and the timestamp, so we do it here on the raw bytes. See PLATFORM.md.
 */
export function verifyRequest(
  rawBody: string,
  headers: (name: string) => string | undefined,
  secrets: DoorSecrets,
  nowMs: number,
): DoorResult {
  let outer: unknown;
  try {
    outer = JSON.parse(rawBody);
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  const timestamp = headers('x-lark-request-timestamp');
  const nonce = headers('x-lark-request-nonce');
  const signature = headers('x-lark-signature');
  const signed = timestamp !== undefined || nonce !== undefined || signature !== undefined;

  if (signed) {
    if (!timestamp || !nonce || !signature) return { ok: false, status: 401, reason: 'incomplete signature headers' };
    const expected = signBody(timestamp, nonce, secrets.encryptKey, rawBody);
    if (!constantTimeEqual(expected, signature.toLowerCase())) return { ok: false, status: 401, reason: 'bad signature' };
    const ts = Number(timestamp);
    if (!Number.isFinite(ts) || Math.abs(nowMs - ts * 1000) > MAX_SKEW_MS) {
      return { ok: false, status: 401, reason: 'timestamp outside 5 minutes' };
    }
  }

  let body: unknown = outer;
  let text = rawBody;
  const enc = Encrypted.safeParse(outer);
  if (enc.success) {
    try {
      text = secrets.decrypt ? secrets.decrypt(enc.data.encrypt) : decryptEvent(enc.data.encrypt, secrets.encryptKey);
      body = JSON.parse(text);
    } catch {
      return { ok: false, status: 400, reason: 'cannot decrypt' };
    }
  } else if (outer && typeof outer === 'object' && 'encrypt' in outer) {
    return { ok: false, status: 400, reason: 'malformed encrypt field' };
  }

  // URL verification carries no signature headers; the token is its proof. (Looked at first for
  // its `type`: a failed zod parse builds an error, and every event would pay for it.)
  const challenge = isRecord(body) && body.type === 'url_verification' ? UrlVerification.safeParse(body) : undefined;
  if (challenge?.success) {
    if (!constantTimeEqual(challenge.data.token, secrets.verificationToken)) {
      return { ok: false, status: 401, reason: 'bad verification token' };
    }
    return { ok: true, kind: 'challenge', challenge: challenge.data.challenge };
  }

  // Everything else must be signed (an Encrypt Key is always configured for this bot).
  if (!signed) return { ok: false, status: 401, reason: 'unsigned request' };
  const tok = TokenCarrier.safeParse(body);
  const token = tok.success ? (tok.data.header?.token ?? tok.data.token) : undefined;
  if (token === undefined) return { ok: false, status: 400, reason: 'no token in body' };
  if (!constantTimeEqual(token, secrets.verificationToken)) {
    return { ok: false, status: 401, reason: 'bad verification token' };
  }
  return { ok: true, kind: 'event', body, text };
}
