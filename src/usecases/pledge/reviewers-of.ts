import { holdersOf, orgById } from '../../../db/repos/directory.js';
import type { Organization, Person } from '../../../db/schema.js';
import type { Deps } from '../deps.js';
import { pathIds } from './deadline-for.js';

/**
 * Who gets the review card: leaders of the direct parent; where it has none, the admins of the
 * nearest organization above that has some (the 创先办 office collects what has no leader).
 */
export async function reviewersOf(deps: Pick<Deps, 'db'>, org: Organization): Promise<{ people: Person[]; reviewOrg: Organization | undefined }> {
  if (org.parent_id === null) return { people: [], reviewOrg: undefined };
  const parent = await orgById(deps.db, org.parent_id);
  const leaders = (await holdersOf(deps.db, org.parent_id, 'leader')).filter((p) => p.open_id);
  if (leaders.length) return { people: leaders, reviewOrg: parent };
  const above = pathIds(org.path).slice(0, -1).reverse();
  for (const id of above) {
    const admins = (await holdersOf(deps.db, id, 'admin')).filter((p) => p.open_id);
    if (admins.length) return { people: admins, reviewOrg: parent };
  }
  return { people: [], reviewOrg: parent };
}
