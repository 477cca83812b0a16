import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Feishu's event encryption: AES-256-CBC, key = SHA-256(Encrypt Key), the IV is the first 16
 * bytes of the base64-decoded data, PKCS7 padding.
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */
export function decryptEvent(encrypted: string, encryptKey: string, key: Buffer = aesKeyOf(encryptKey)): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('bad ciphertext length');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

/** The AES-256 key Feishu derives from an Encrypt Key (SHA-256 of it). */
export function aesKeyOf(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey).digest();
}

/** The inverse of decryptEvent, as Feishu does it (used by the sandbox emulator and tests). */
export function encryptEvent(plain: string, encryptKey: string, iv: Buffer = randomBytes(16)): string {
  const key = aesKeyOf(encryptKey);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/** hex SHA-256 of timestamp + nonce + Encrypt Key + raw body: a plain hash, not an HMAC. */
export function signBody(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // same work either way
    return false;
  }
  return timingSafeEqual(ab, bb);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
