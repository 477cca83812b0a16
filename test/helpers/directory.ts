import { readFileSync } from 'node:fs';
import { parseCsv, tableToRecords } from '../../src/domain/csv.js';
import type { Deps } from '../../src/usecases/deps.js';
import { importDirectory } from '../../src/usecases/import-directory.js';

/** Imports examples/orgs.csv and examples/people.csv (the demo university) into a harness. */
export async function importExamples(deps: Deps): Promise<void> {
  const read = (p: string) => tableToRecords(parseCsv(readFileSync(new URL(`../../examples/${p}`, import.meta.url), 'utf8')));
  const r = await importDirectory(deps, { orgs: read('orgs.csv'), people: read('people.csv'), actor: 'test' });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
}

export const P2P = (openId: string): string => `oc_p2p_${openId.replace(/^ou_/, '')}`;
