import { PROFILE_FIELDS, type PledgeProfile } from './pledge-form.js';

/** One version's content as compared: its profile and its items in order, each with its stable key. */
export interface PledgeContent {
  profile: PledgeProfile;
  items: { key: string; content: string; standard: string; due: string }[];
}

/** One difference, for a reviewer: where, and the new text (or the removed one). */
export interface PledgeChange {
  where: string;
  what: 'changed' | 'added' | 'removed';
  text: string;
}

const ITEM_PARTS = [
  { part: 'content', label: '承诺内容' },
  { part: 'standard', label: '标准' },
  { part: 'due', label: '完成时限' },
] as const;

/**
 * What a revision changed against the version in force, for the review card: a reviewer of a
 * revised pledge should not have to compare two long cards by eye. Items are matched by their
 * key (kept across versions), so an item moved up a place is "the same item", not a removal and
 * an addition; the numbers are the new version's (a removed item's, the old one's).
 */
export function pledgeChanges(before: PledgeContent, after: PledgeContent): PledgeChange[] {
  const changes: PledgeChange[] = [];
  for (const f of PROFILE_FIELDS) {
    if (before.profile[f.name] !== after.profile[f.name]) changes.push({ where: f.label, what: 'changed', text: after.profile[f.name] });
  }
  const old = new Map(before.items.map((i, n) => [i.key, { ...i, n: n + 1 }]));
  after.items.forEach((item, n) => {
    const was = old.get(item.key);
    if (!was) return changes.push({ where: `第 ${n + 1} 项`, what: 'added', text: item.content });
    for (const p of ITEM_PARTS) {
      if (was[p.part] !== item[p.part]) changes.push({ where: `第 ${n + 1} 项${p.label}`, what: 'changed', text: item[p.part] });
    }
  });
  const kept = new Set(after.items.map((i) => i.key));
  for (const [key, was] of old) if (!kept.has(key)) changes.push({ where: `原第 ${was.n} 项`, what: 'removed', text: was.content });
  return changes;
}
