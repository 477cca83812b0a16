/**
 * A pledge version's states, and the one Chinese word for each that cards, the printable file,
 * the ledger and the CLI all use. (`withdrawn` only ever happens to a revision: the secretary
 * takes it back and the version in force stays.)
 */
const PLEDGE_STATUSES = ['draft', 'submitted', 'returned', 'approved', 'superseded', 'withdrawn'] as const;
export type PledgeStatus = (typeof PLEDGE_STATUSES)[number];

export const PLEDGE_STATUS_LABEL: Record<PledgeStatus, string> = {
  draft: '草稿',
  submitted: '待审定',
  returned: '已退回',
  approved: '已审定',
  superseded: '已被新版本取代',
  withdrawn: '修订已撤回',
};

/** A revision being abandoned: deleted once the abandonment finishes (abandon-revision.ts), seen only if it was cut short. */
const TRANSIENT: Record<string, string> = { abandoning: '修订放弃中' };

/** The label of a status read back from storage, where it is a plain string. */
export function pledgeStatusLabel(status: string): string {
  return Object.hasOwn(PLEDGE_STATUS_LABEL, status) ? PLEDGE_STATUS_LABEL[status as PledgeStatus] : (TRANSIENT[status] ?? status);
}

/**
 * Its last decision was a return: returned (the secretary may have edited it since), or returned
 * and then withdrawn. Its review fields are the return's, and anyone but its secretary reads it
 * as returned.
 */
export const wasReturned = (status: string): boolean => status === 'returned' || status === 'withdrawn';
