import type { Kysely } from 'kysely';
import { grantsOf } from '../../db/repos/directory.js';
import type { Database } from '../../db/schema.js';
import { defaultP2pChatId } from './open-api-emulator.js';
import type { SandboxStore } from './sandbox-store.js';

/** The people one can be on the chat page, and the chats each of them is in. */
export interface DirectoryEntry {
  openId: string;
  name: string;
  grants: { role: string; orgCode: string; orgName: string }[];
}

export interface ChatInfo {
  chatId: string;
  name: string;
  type: 'p2p' | 'group';
  /** The organization the group is bound to (chat_bindings), if any. */
  boundTo: { code: string; name: string } | undefined;
}

export const BOT_NAME = '践诺助手';

export async function listDirectory(db: Kysely<Database>): Promise<DirectoryEntry[]> {
  const rows = await db
    .selectFrom('people')
    .leftJoin('roles', 'roles.person_id', 'people.id')
    .leftJoin('organizations', 'organizations.id', 'roles.org_id')
    .select(['people.open_id', 'people.name', 'roles.role', 'organizations.code', 'organizations.name as orgName', 'organizations.path'])
    .where('people.open_id', 'is not', null)
    .orderBy('organizations.path')
    .orderBy('people.id')
    .execute();
  const byId = new Map<string, DirectoryEntry>();
  for (const r of rows) {
    const openId = r.open_id!;
    const entry = byId.get(openId) ?? { openId, name: r.name, grants: [] };
    byId.set(openId, entry);
    if (r.role && r.code && r.orgName) entry.grants.push({ role: r.role, orgCode: r.code, orgName: r.orgName });
  }
  return [...byId.values()];
}

type OrgRef = { id: number; code: string; name: string; path: string; parent_id: number | null };

/**
 * The group chats a person is in: the groups of every organization they hold a role on, a
 * secretary's superior organization's group too, a leader's or admin's whole subtree, and the
 * groups they created on the page. A group counts by the organization it is meant for and the
 * one it is bound to.
 */
export async function chatsOf(db: Kysely<Database>, store: SandboxStore, openId: string): Promise<ChatInfo[]> {
  const [grants, made, bindings] = await Promise.all([
    grantsOf(db, openId),
    store.chats(),
    db
      .selectFrom('chat_bindings')
      .innerJoin('organizations', 'organizations.id', 'chat_bindings.org_id')
      .select(['chat_bindings.chat_id', 'organizations.id', 'organizations.code', 'organizations.name', 'organizations.path', 'organizations.parent_id'])
      .execute(),
  ]);
  const codes = [...new Set(made.map((c) => c.org_code).filter((c): c is string => !!c))];
  const grantIds = [...new Set(grants.map((g) => g.orgId))];
  const [hinted, grantOrgs] = await Promise.all([
    codes.length ? db.selectFrom('organizations').select(['id', 'code', 'name', 'path', 'parent_id']).where('code', 'in', codes).execute() : [],
    grantIds.length ? db.selectFrom('organizations').select(['id', 'parent_id']).where('id', 'in', grantIds).execute() : [],
  ]);
  const parentOf = new Map(grantOrgs.map((o) => [o.id, o.parent_id]));
  const sees = (org: OrgRef | undefined): boolean =>
    !!org &&
    grants.some(
      (g) =>
        g.orgId === org.id ||
        ((g.role === 'leader' || g.role === 'admin') && org.path.startsWith(g.orgPath)) ||
        (g.role === 'secretary' && parentOf.get(g.orgId) === org.id),
    );
  const hintByCode = new Map<string, OrgRef>(hinted.map((o) => [o.code, o]));
  const boundByChat = new Map<string, OrgRef>(bindings.map((b) => [b.chat_id, { id: b.id, code: b.code, name: b.name, path: b.path, parent_id: b.parent_id }]));

  const out: ChatInfo[] = [{ chatId: defaultP2pChatId(openId), name: BOT_NAME, type: 'p2p', boundTo: undefined }];
  const seen = new Set<string>();
  const add = (chatId: string, name: string) => {
    if (seen.has(chatId)) return;
    seen.add(chatId);
    const bound = boundByChat.get(chatId);
    out.push({ chatId, name, type: 'group', boundTo: bound ? { code: bound.code, name: bound.name } : undefined });
  };
  for (const c of made) {
    const hint = c.org_code ? hintByCode.get(c.org_code) : undefined;
    if (c.created_by === openId || sees(hint) || sees(boundByChat.get(c.chat_id))) add(c.chat_id, c.name);
  }
  // Groups bound by an import (chat_id column) that the page never created.
  for (const b of bindings) if (sees(boundByChat.get(b.chat_id))) add(b.chat_id, `${b.name}群`);
  return out;
}
