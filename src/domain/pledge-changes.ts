import { PROFILE_FIELDS, type PledgeProfile } from './pledge-form.js';

/** One version's content as compared: its profile and its items in order, each with its stable key. */
export interface PledgeContent {
  profile: PledgeProfile;
  items: { key: string; content: string; standard: string; due: string }[];
}

/** One difference, for a reviewer. Item numbers are the new version's (a removed item's, the old one's). */
export type PledgeChange =
  | { kind: 'removed'; n: number; content: string }
  | { kind: 'added'; n: number; content: string }
  /** Each of the item's fields that changed (承诺内容, 标准, 完成时限), from what to what. */
  | { kind: 'changed'; n: number; diffs: { label: string; before: string; after: string }[] }
  | { kind: 'field'; label: string; value: string };

const ITEM_PARTS = [
  { part: 'content', label: '承诺内容' },
  { part: 'standard', label: '标准' },
  { part: 'due', label: '完成时限' },
] as const;

/**
 * What a revision changed against the version in force, for the review card: a reviewer of a
 * revised pledge should not have to compare two long cards by eye. Removed items come first: the
 * card below shows the new version, so a dropped promise is seen only here. Items are matched by
 * their key (kept across versions; the form fills keys by position, so deleting an earlier item
 * keeps the later ones' keys).
 */
export function pledgeChanges(before: PledgeContent, after: PledgeContent): PledgeChange[] {
  const kept = new Set(after.items.map((i) => i.key));
  const removed: PledgeChange[] = before.items.flatMap((i, n) => (kept.has(i.key) ? [] : [{ kind: 'removed' as const, n: n + 1, content: i.content }]));
  const old = new Map(before.items.map((i) => [i.key, i]));
  const items = after.items.flatMap((item, n): PledgeChange[] => {
    const was = old.get(item.key);
    if (!was) return [{ kind: 'added' as const, n: n + 1, content: item.content }];
    const diffs = ITEM_PARTS.filter((p) => was[p.part] !== item[p.part]).map((p) => ({ label: p.label, before: was[p.part], after: item[p.part] }));
    return diffs.length ? [{ kind: 'changed' as const, n: n + 1, diffs }] : [];
  });
  const fields: PledgeChange[] = PROFILE_FIELDS.filter((f) => before.profile[f.name] !== after.profile[f.name]).map((f) => ({ kind: 'field' as const, label: f.label, value: after.profile[f.name] }));
  return [...removed, ...items, ...fields];
}
