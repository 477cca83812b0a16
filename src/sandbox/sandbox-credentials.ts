import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { getSetting, setSetting } from '../../db/repos/settings.js';
import type { Database } from '../../db/schema.js';
import type { LarkCredentials } from '../config.js';

/** Where the sandbox serves its Feishu emulator, inside the bot's own server. */
export const SANDBOX_API_BASE = '/sandbox/feishu';

const SANDBOX_KEY = 'sandbox_credentials';
/** Set once the bot has run on the database with real Feishu credentials. */
const FEISHU_APP_KEY = 'feishu_app_id';

type SandboxSecrets = Omit<LarkCredentials, 'domain'>;

/** A database a real Feishu app has used: the sandbox, whose chat page acts as anyone, must not run on it. */
export class NotASandbox extends Error {
  constructor(appId: string) {
    super(
      `这个数据库连接过飞书应用 ${appId}，是正式数据库：没有设置 LARK_APP_ID 等四项时不能在它上面运行本地沙盒（沙盒的聊天页可以冒充任何人）。请设置飞书凭据（见 .env），或换一个 DATABASE_URL 试用沙盒 (a Feishu app has used this database; set its credentials, or use another DATABASE_URL for the sandbox).`,
    );
  }
}

/** Marks the database as a real one (the bot is starting with Feishu credentials). */
export async function rememberFeishuApp(db: Kysely<Database>, appId: string): Promise<void> {
  if ((await getSetting(db, FEISHU_APP_KEY)) !== appId) await setSetting(db, FEISHU_APP_KEY, appId);
}

/** Where the sandbox server on `port` serves its Feishu emulator (the Open API base URL). */
export const sandboxDomain = (port: number): string => `http://127.0.0.1:${port}${SANDBOX_API_BASE}`;

const withDomain = (secrets: SandboxSecrets, port: number): LarkCredentials => ({ ...secrets, domain: sandboxDomain(port) });

/**
 * The sandbox server's app credentials: made on its first start and kept in the database, so the
 * server and the admin CLI (tick, export) agree. Nothing here is a real Feishu secret. Refused
 * (NotASandbox) on a database a real Feishu app has used.
 */
export async function sandboxCredentials(db: Kysely<Database>, port: number): Promise<LarkCredentials> {
  const appId = await getSetting(db, FEISHU_APP_KEY);
  if (appId) throw new NotASandbox(appId);
  const stored = await storedSandboxCredentials(db, port);
  if (stored) return stored;
  const secrets: SandboxSecrets = {
    appId: 'cli_sandbox',
    appSecret: randomBytes(16).toString('hex'),
    encryptKey: randomBytes(16).toString('hex'),
    verificationToken: randomBytes(16).toString('hex'),
  };
  await setSetting(db, SANDBOX_KEY, JSON.stringify(secrets));
  return withDomain(secrets, port);
}

/**
 * The credentials the sandbox server made, if it has run on this database (the admin CLI reads,
 * never makes them: a command run on a real database without credentials must not mark it as a
 * sandbox, which `sandbox reset` would then delete without --force).
 */
export async function storedSandboxCredentials(db: Kysely<Database>, port: number): Promise<LarkCredentials | undefined> {
  const stored = await getSetting(db, SANDBOX_KEY);
  return stored ? withDomain(JSON.parse(stored) as SandboxSecrets, port) : undefined;
}

/**
 * Whether `sandbox reset` may delete this database without --force: the sandbox server ran on it
 * (its credentials and its own tables; earlier versions of the admin CLI stored the credentials
 * alone on real databases), and no Feishu app has used it.
 */
export async function isSandboxDatabase(db: Kysely<Database>): Promise<boolean> {
  if ((await getSetting(db, SANDBOX_KEY)) === undefined || (await getSetting(db, FEISHU_APP_KEY)) !== undefined) return false;
  const { rows } = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sandbox_messages'`.execute(db);
  return rows.length > 0;
}
