import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { getSetting, setSetting } from '../../db/repos/settings.js';
import type { Database } from '../../db/schema.js';
import type { LarkCredentials } from '../config.js';

/** Where the sandbox serves its Feishu emulator, inside the bot's own server. */
export const SANDBOX_API_BASE = '/sandbox/feishu';

/**
 * The sandbox's app credentials: made once per database and kept in it, so the server and the
 * admin CLI (tick, export) agree. Nothing here is a real Feishu secret.
 */
export async function sandboxCredentials(db: Kysely<Database>, port: number): Promise<LarkCredentials> {
  const stored = await getSetting(db, 'sandbox_credentials');
  const secrets = stored
    ? (JSON.parse(stored) as Omit<LarkCredentials, 'domain'>)
    : {
        appId: 'cli_sandbox',
        appSecret: randomBytes(16).toString('hex'),
        encryptKey: randomBytes(16).toString('hex'),
        verificationToken: randomBytes(16).toString('hex'),
      };
  if (!stored) await setSetting(db, 'sandbox_credentials', JSON.stringify(secrets));
  return { ...secrets, domain: `http://127.0.0.1:${port}${SANDBOX_API_BASE}` };
}
