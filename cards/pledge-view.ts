import type { PledgeProfile } from '../src/domain/pledge-form.js';
import type { PledgeStatus } from '../src/domain/pledge-status.js';
import type { Deadline } from '../src/domain/cycle.js';

/** What every pledge card shows: built by the use-cases from the database, never from a card. */
export interface PledgeView {
  pledgeId: number;
  versionId: number;
  versionNo: number;
  revision: number;
  status: PledgeStatus;
  year: number;
  orgName: string;
  orgCode: string;
  profile: PledgeProfile;
  items: { n: number; key: string; content: string; standard: string; due: string; followsN?: number; done: boolean }[];
  signedBy: string | null;
  signedAt: string | null;
  review: { opinion: string; reviewerName: string; reviewOrgName: string; reviewedAt: string } | null;
  /** Awaiting review again after a return: the opinion it was returned with, to check against. */
  previousReturn: string | null;
  /** Group chats bound to the organization: where an approved pledge is published (0: nowhere yet). */
  groups: number;
  /** The pledge deadline in force for this organization. */
  deadline: Deadline;
  /** Its year has begun (local time): before then nothing can be marked done. */
  yearBegun: boolean;
}

