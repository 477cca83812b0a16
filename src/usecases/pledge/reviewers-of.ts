import { holdersOf, orgById } from '../../../db/repos/directory.js';
import type { Organization, Person } from '../../../db/schema.js';
import type { Deps } from '../deps.js';
import { pathIds } from './deadline-for.js';

/**
 * Who gets the review card: leaders of the direct parent; where it has none, the admins of the
 * nearest organization above that has some (the 创先办 office collects what has no leader).
 * `filer` (who submitted) never reviews their own pledge, so is left out of both.
 */
export async function reviewersOf(deps: Pick<Deps, 'db'>, org: Organization, filer?: string | null): Promise<{ people: Person[]; reviewOrg: Organization | undefined }> {
  if (org.parent_id === null) return { people: [], reviewOrg: undefined };
  const parent = await orgById(deps.db, org.parent_id);
  const eligible = (people: Person[]) => people.filter((p) => p.open_id && p.open_id !== filer);
  const leaders = eligible(await holdersOf(deps.db, org.parent_id, 'leader'));
  if (leaders.length) return { people: leaders, reviewOrg: parent };
  const above = pathIds(org.path).slice(0, -1).reverse();
  for (const id of above) {
    const admins = eligible(await holdersOf(deps.db, id, 'admin'));
    if (admins.length) return { people: admins, reviewOrg: (await orgById(deps.db, id)) ?? parent };
  }
  return { people: [], reviewOrg: parent };
}
