import { sql, type Generated, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { EmulatedMessage } from './open-api-emulator.js';

/**
 * The sandbox's own state, kept in the bot's SQLite file so it survives a restart: what the
 * emulated Feishu holds (every message in every chat, uploaded files), the group chats that
 * exist, and sandbox settings (the clock offset). Created here with IF NOT EXISTS, never by the
 * product's migrations, and dropped with the file by `npm run admin -- sandbox reset`.
 */
export type SandboxMessagesTable = {
  seq: Generated<number>;
  message_id: string;
  chat_id: string;
  /** A user's open_id; null for the bot's messages. */
  sender: string | null;
  receive_id: string;
  receive_id_type: string;
  msg_type: string;
  content: string;
  /** Users' messages: the @-mentions, JSON [{key, openId, name}]. */
  mentions: string | null;
  uuid: string | null;
  reply_to: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  /** Bumped on every change: the page polls for rev > what it has. */
  rev: number;
};

export type SandboxTables = {
  sandbox_messages: SandboxMessagesTable;
  sandbox_files: { file_key: string; name: string; data: Uint8Array; created_at: number };
  sandbox_chats: { chat_id: string; name: string; org_code: string | null; created_by: string | null; created_at: number };
  sandbox_settings: { key: string; value: string };
};

export type SandboxDb = Kysely<Database & SandboxTables>;
export type StoredMessage = Selectable<SandboxMessagesTable>;
export interface Mention {
  key: string;
  openId: string;
  name: string;
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS sandbox_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    chat_id TEXT NOT NULL,
    sender TEXT,
    receive_id TEXT NOT NULL,
    receive_id_type TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    content TEXT NOT NULL,
    mentions TEXT,
    uuid TEXT,
    reply_to TEXT,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    rev INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS sandbox_messages_chat ON sandbox_messages(chat_id, rev)`,
  `CREATE TABLE IF NOT EXISTS sandbox_files (
    file_key TEXT PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sandbox_chats (
    chat_id TEXT PRIMARY KEY, name TEXT NOT NULL, org_code TEXT, created_by TEXT, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sandbox_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

export async function openSandboxStore(db: Kysely<Database>): Promise<SandboxStore> {
  for (const stmt of DDL) await sql.raw(stmt).execute(db);
  return new SandboxStore(db.withTables<SandboxTables>());
}

const nextRev = sql<number>`(SELECT COALESCE(MAX(rev), 0) + 1 FROM sandbox_messages)`;

export class SandboxStore {
  constructor(readonly db: SandboxDb) {}

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('sandbox_settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db.insertInto('sandbox_settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }

  /** Every message, oldest first: the emulator's memory is rebuilt from this on start. */
  allMessages(): Promise<StoredMessage[]> {
    return this.db.selectFrom('sandbox_messages').selectAll().orderBy('seq').execute()
  }

  async insertMessage(m: EmulatedMessage, mentions: Mention[] = []): Promise<void> {
    await this.db
      .insertInto('sandbox_messages')
      .values({
        message_id: m.messageId,
        chat_id: m.chatId,
        sender: m.senderOpenId ?? null,
        receive_id: m.receiveId,
        receive_id_type: m.receiveIdType,
        msg_type: m.msgType,
        content: m.content,
        mentions: mentions.length ? JSON.stringify(mentions) : null,
        uuid: m.uuid ?? null,
        reply_to: m.replyTo ?? null,
        version: m.version,
        created_at: m.createdAt,
        updated_at: m.updatedAt,
        rev: nextRev,
      })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
  }

  /** A PATCH, or a card replaced by a callback's answer. */
  async updateMessage(m: EmulatedMessage): Promise<void> {
    await this.db
      .updateTable('sandbox_messages')
      .set({ content: m.content, version: m.version, updated_at: m.updatedAt, rev: nextRev })
      .where('message_id', '=', m.messageId)
      .execute();
  }

  messagesSince(chatId: string, rev: number, limit = 300): Promise<StoredMessage[]> {
    return this.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('rev', '>', rev)
      .orderBy('rev', 'desc')
      .limit(limit)
      .execute()
      .then((rows) => rows.sort((a, b) => a.seq - b.seq));
  }

  messageById(id: string): Promise<StoredMessage | undefined> {
    return this.db.selectFrom('sandbox_messages').selectAll().where('message_id', '=', id).executeTakeFirst();
  }

  /** The newest message of each chat (for the chat list). */
  async lastMessages(chatIds: string[]): Promise<Map<string, StoredMessage>> {
    if (chatIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('sandbox_messages')
      .selectAll()
      .where('seq', 'in', (eb) =>
        eb.selectFrom('sandbox_messages').select((e) => e.fn.max('seq').as('s')).where('chat_id', 'in', chatIds).groupBy('chat_id'),
      )
      .execute();
    return new Map(rows.map((r) => [r.chat_id, r]));
  }

  async saveFile(key: string, file: { name: string; data: Uint8Array }, now: number): Promise<void> {
    await this.db
      .insertInto('sandbox_files')
      .values({ file_key: key, name: file.name, data: file.data, created_at: now })
      .onConflict((oc) => oc.column('file_key').doNothing())
      .execute();
  }

  file(key: string) {
    return this.db.selectFrom('sandbox_files').selectAll().where('file_key', '=', key).executeTakeFirst();
  }

  async fileInfo(keys: string[]): Promise<Map<string, { name: string; size: number }>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('sandbox_files')
      .select(['file_key', 'name', sql<number>`length(data)`.as('size')])
      .where('file_key', 'in', keys)
      .execute();
    return new Map(rows.map((r) => [r.file_key, { name: r.name, size: r.size }]));
  }

  chats() {
    return this.db.selectFrom('sandbox_chats').selectAll().orderBy('created_at').execute();
  }

  async addChat(chat: { chatId: string; name: string; orgCode: string | null; createdBy: string | null }, now: number): Promise<void> {
    await this.db
      .insertInto('sandbox_chats')
      .values({ chat_id: chat.chatId, name: chat.name, org_code: chat.orgCode, created_by: chat.createdBy, created_at: now })
      .onConflict((oc) => oc.column('chat_id').doNothing())
      .execute();
  }
}
