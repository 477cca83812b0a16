import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orgByCode } from '../db/repos/directory.js';
import { createVersion, ensurePledge, itemsOf, transition } from '../db/repos/pledges.js';
import { loadPledgeContext } from '../src/usecases/pledge/pledge-context.js';
import { importExamples } from './helpers/directory.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { NOW, SEC } from './helpers/pledge.js';

describe('a pledge version as its cards show it', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ now: () => NOW });
    await importExamples(h.deps);
  });
  afterEach(async () => h.close());

  const profile = { name: '张明', gender: '男', birth_month: '1978-05', position: '党支部书记', term_start: '2020-09-01', contact: '138' };
  const item = (key: string, content: string, follows?: string) => ({ key, content, standard: '标准', due: '2027-12-31', follows });

  it("a re-pledge's 接第 N 项 is numbered from the versions that took effect, not a withdrawn one", async () => {
    const org = (await orgByCode(h.deps.db, 'HENU-WXY-ZW'))!;
    const pledge = await ensurePledge(h.deps.db, org.id, 2027, NOW);
    let n = 0;
    const newKey = () => `k${++n}`;
    const version = async (no: number, items: ReturnType<typeof item>[], status: 'approved' | 'withdrawn' | 'draft') => {
      const v = (await createVersion(h.deps.db, { pledgeId: pledge.id, versionNo: no, basedOn: null, author: SEC, draft: { profile, items }, now: NOW, newKey }))!;
      if (status !== 'draft') await transition(h.deps.db, v.id, ['draft'], status, {}, NOW);
      return v;
    };
    // In force: a (1st), b (2nd). Withdrawn: b alone (1st). The re-pledge drops b and follows it.
    await version(1, [item('a', '主题党日'), item('b', '走访困难党员')], 'approved');
    await version(2, [item('b', '走访困难党员')], 'withdrawn');
    const v3 = await version(3, [item('a', '主题党日'), item('c', '结对帮扶困难党员', 'b')], 'draft');
    expect((await itemsOf(h.deps.db, v3.id)).map((i) => i.follows_key)).toEqual([null, 'b']);
    const ctx = (await loadPledgeContext(h.deps, v3.id))!;
    expect(ctx.view.items.map((i) => i.followsN)).toEqual([undefined, 2]);
  });
});
