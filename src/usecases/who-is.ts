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
