import type { Kysely } from 'kysely';
import { subtreeUpperBound } from '../../src/domain/org-path.js';
import type { Grant, Role } from '../../src/domain/roles.js';
import { prepared } from '../prepared.js';
import type { Database, Organization, Person } from '../schema.js';

type Db = Kysely<Database>;

/**
 * The organization with this code: exactly as imported, else — typed in another case
 * (henu-wxy-yjs for HENU-WXY-YJS) — the one whose code differs only by (ASCII) case. Two codes
 * differing only by case are never guessed between: then nothing matches.
 */
export async function orgByCode(db: Db, code: string): Promise<Organization | undefined> {
  const exact = await db.selectFrom('organizations').selectAll().where('code', '=', code).executeTakeFirst();
  if (exact || !/[A-Za-z]/.test(code)) return exact;
  const folded = await db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => eb(eb.fn('upper', ['code']), '=', eb.fn('upper', [eb.val(code)])))
    .limit(2)
    .execute();
  return folded.length === 1 ? folded[0] : undefined;
}

export function orgById(db: Db, id: number): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Everything under (and including) an organization: one range scan on organizations_path. */
export function orgsUnder(db: Db, path: string): Promise<Organization[]> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('path', '>=', path)
    .where('path', '<', subtreeUpperBound(path))
    .orderBy('path')
    .execute();
}

const personByOpenIdQuery = prepared((db, p: { openId: string }) => db.selectFrom('people').selectAll().where('open_id', '=', p.openId));

export function personByOpenId(db: Db, openId: string): Promise<Person | undefined> {
  return personByOpenIdQuery.first(db, { openId });
}

export interface GrantWithOrg extends Grant {
  orgCode: string;
  orgName: string;
  orgKind: string;
}

const grantsOfQuery = prepared((db, p: { openId: string }) =>
  db
    .selectFrom('roles')
    .innerJoin('people', 'people.id', 'roles.person_id')
    .innerJoin('organizations', 'organizations.id', 'roles.org_id')
    .select([
      'roles.role',
      'organizations.id as orgId',
      'organizations.path as orgPath',
      'organizations.code as orgCode',
      'organizations.name as orgName',
      'organizations.kind as orgKind',
    ])
    .where('people.open_id', '=', p.openId)
    .orderBy('organizations.path'),
);

/** Every role the person holds, with the organization it is held on. */
export async function grantsOf(db: Db, openId: string): Promise<GrantWithOrg[]> {
  const rows = await grantsOfQuery.rows(db, { openId });
  return rows.map((r) => ({ ...r, role: r.role as Role }));
}

/** People holding a role on one organization (with their open_id, when resolved). */
export function holdersOf(db: Db, orgId: number, role: Role): Promise<Person[]> {
  return db
    .selectFrom('roles')
    .innerJoin('people', 'people.id', 'roles.person_id')
    .selectAll('people')
    .where('roles.org_id', '=', orgId)
    .where('roles.role', '=', role)
    .execute();
}

/** The organization's secretary as Feishu knows them (the first with an open_id), if any. */
export async function secretaryOf(db: Db, orgId: number): Promise<string | undefined> {
  return (await holdersOf(db, orgId, 'secretary')).find((p) => p.open_id)?.open_id ?? undefined;
}

export function chatsOf(db: Db, orgId: number): Promise<{ chat_id: string }[]> {
  return db.selectFrom('chat_bindings').select('chat_id').where('org_id', '=', orgId).execute();
}

export function orgOfChat(db: Db, chatId: string): Promise<Organization | undefined> {
  return db
    .selectFrom('chat_bindings')
    .innerJoin('organizations', 'organizations.id', 'chat_bindings.org_id')
    .selectAll('organizations')
    .where('chat_bindings.chat_id', '=', chatId)
    .executeTakeFirst();
}
