import { grantsOf, personByOpenId, type GrantWithOrg } from '../../db/repos/directory.js';
import type { Person } from '../../db/schema.js';
import type { Role } from '../domain/roles.js';
import type { Deps } from './deps.js';

export interface Identity {
  openId: string;
  person: Person | undefined;
  grants: GrantWithOrg[];
  roles: Set<Role>;
}

/** Who is asking, from the directory: never from anything the client sent. */
export async function whoIs(deps: Pick<Deps, 'db'>, openId: string): Promise<Identity> {
  const [person, grants] = await Promise.all([personByOpenId(deps.db, openId), grantsOf(deps.db, openId)]);
  return { openId, person, grants, roles: new Set(grants.map((g) => g.role)) };
}

/**
 * For someone with no role: never imported, or imported and since left (a directory import gave
 * them role none) — "not in the directory yet" would be wrong for the second.
 */
export function noRoleText(me: Pick<Identity, 'person'>): string {
  return me.person ? '你在组织名录中已没有角色（可能已离任或调整），如有疑问请联系本单位创先办。' : '你还不在组织名录中，请联系本单位创先办把你导入名录。';
}
