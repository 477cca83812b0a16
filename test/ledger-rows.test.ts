import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVersion, ensurePledge } from '../db/repos/pledges.js';
import type { Deps } from '../src/usecases/deps.js';
import { ledgerRows, type LedgerRow } from '../src/usecases/ledger/ledger-rows.js';
import { importExamples } from './helpers/directory.js';
import { startHarness, type Harness } from './helpers/harness.js';

const YEAR = 2027;
const profile = { name: '某', gender: '男', birth_month: '1980-01', position: '书记', term_start: '2020-01-01', contact: '1' };

/** The ledger as it was read before pages were batched: per pledge, its version, items and states. */
async function oneByOne(deps: Pick<Deps, 'db'>): Promise<string[]> {
  const out: string[] = [];
  const pledges = await deps.db.selectFrom('pledges').innerJoin('organizations', 'organizations.id', 'pledges.org_id').select(['pledges.id', 'pledges.current_version_id', 'organizations.code']).where('year', '=', YEAR).orderBy('pledges.id').execute();
  for (const p of pledges) {
    const v = await deps.db.selectFrom('pledge_versions').selectAll().where('pledge_id', '=', p.id).$if(p.current_version_id !== null, (q) => q.where('id', '=', p.current_version_id!)).orderBy('version_no', 'desc').executeTakeFirst();
    if (!v || v.status === 'draft') continue; // a first draft never submitted is its secretary's alone
    const items = await deps.db.selectFrom('pledge_items').selectAll().where('version_id', '=', v.id).orderBy('position').execute();
    const done = new Map((await deps.db.selectFrom('item_states').selectAll().where('pledge_id', '=', p.id).execute()).map((s) => [s.item_key, s.done_at]));
    for (const i of items) out.push(`${p.code} v${v.version_no} ${v.status} #${i.position} ${i.content} ${done.get(i.item_key) ?? '-'}`);
  }
  return out;
}

const line = (r: LedgerRow) => `${r.orgCode} v${r.versionNo} ${r.status} #${r.n} ${r.content} ${r.doneAt ?? '-'}`;

describe('the ledger, read a page of organizations at a time', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    await importExamples(h.deps);
  });
  afterEach(async () => h.close());

  it('gives every organization\'s version in force (else its latest), its items in order and what is done, across pages', async () => {
    const orgs = await h.deps.db.selectFrom('organizations').select(['id', 'code']).orderBy('id').execute();
    let key = 0;
    const newKey = () => `k${++key}`;
    const now = h.clock.now();
    for (const [n, org] of orgs.entries()) {
      const pledge = await ensurePledge(h.deps.db, org.id, YEAR, now);
      const items = (count: number, tag: string) => Array.from({ length: count }, (_, i) => ({ content: `${org.code}-${tag}-${i + 1}`, standard: 's', due: '2027-12-31' }));
      const v1 = (await createVersion(h.deps.db, { pledgeId: pledge.id, versionNo: 1, basedOn: null, author: 'ou_x', draft: { profile, items: items(1 + (n % 3), 'v1') }, now, newKey }))!;
      // Some have a second version; some have the first in force; some have items done.
      if (n % 2 === 0) await createVersion(h.deps.db, { pledgeId: pledge.id, versionNo: 2, basedOn: v1.id, author: 'ou_x', draft: { profile, items: items(2, 'v2') }, now, newKey });
      if (n % 3 === 0) await h.deps.db.updateTable('pledges').set({ current_version_id: v1.id }).where('id', '=', pledge.id).execute();
      if (n % 3 === 0) {
        const first = await h.deps.db.selectFrom('pledge_items').select('item_key').where('version_id', '=', v1.id).orderBy('position').executeTakeFirstOrThrow();
        await h.deps.db.insertInto('item_states').values({ item_key: first.item_key, pledge_id: pledge.id, status: 'done', done_at: `2027-0${(n % 9) + 1}-01`, done_by: 'ou_x' }).execute();
      }
    }
    // Submitted, all but one organization's only version: a draft, which no ledger shows.
    await h.deps.db.updateTable('pledge_versions').set({ status: 'submitted' }).execute();
    const draftOnly = await h.deps.db.selectFrom('pledges').innerJoin('organizations', 'organizations.id', 'pledges.org_id').select(['pledges.id', 'organizations.code']).where('current_version_id', 'is', null).orderBy('pledges.id').executeTakeFirstOrThrow();
    await h.deps.db.updateTable('pledge_versions').set({ status: 'draft' }).where('pledge_id', '=', draftOnly.id).execute();
    const expected = await oneByOne(h.deps);
    expect(expected.length).toBeGreaterThan(orgs.length);
    expect(expected.some((l) => l.startsWith(`${draftOnly.code} `))).toBe(false);
    for (const pageSize of [1, 2, 5, 90]) {
      const got: string[] = [];
      for await (const r of ledgerRows(h.deps, { orgPath: null, year: YEAR, pageSize })) got.push(line(r));
      expect(got, `pages of ${pageSize}`).toEqual(expected);
    }
    // A subtree: that organization and everything under it, nothing beside it.
    const wxy = await h.deps.db.selectFrom('organizations').select('path').where('code', '=', 'HENU-WXY').executeTakeFirstOrThrow();
    const under: string[] = [];
    for await (const r of ledgerRows(h.deps, { orgPath: wxy.path, year: YEAR, pageSize: 2 })) under.push(line(r));
    expect(under).toEqual(expected.filter((l) => l.startsWith('HENU-WXY')));
    expect(new Set(under.map((l) => l.split(' ')[0]))).toEqual(new Set(['HENU-WXY', 'HENU-WXY-ZW', 'HENU-WXY-YJS']));
  });
});
