import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { LarkApi } from '../lark/open-api.js';
import type { Outbox } from '../lark/outbox.js';
import type { Logger } from '../logger.js';

/** What every use-case and handler is given: no globals, no clock or env reads of their own. */
export interface Deps {
  db: Kysely<Database>;
  outbox: Outbox;
  lark: LarkApi;
  now: () => Date;
  logger: Logger;
  /** IANA time zone for dates shown to people and for deadlines (Asia/Shanghai). */
  timeZone: string;
  /** The bot's own open_id (to tell whether a group message @-mentions it). */
  botOpenId: () => Promise<string>;
}

/**
 * Node (better-sqlite-dialect.ts `early()`): the same deps on a handle whose writes do not wait
 * for their own commits, and the wait for them all. Work that writes several times then waits
 * for one commit at its end instead of one per write.
 */
export interface OneCommit extends CommitWait {
  deps: Deps;
}

/**
 * The wait for early writes: `mark()` before the first, `committed(mark)` before answering. The
 * writes may span turns and so several commits; it rejects if any commit since the mark failed
 * (only waiting for the one still open would call writes rolled back earlier done).
 */
export interface CommitWait {
  mark: () => number;
  committed: (mark: number) => Promise<void>;
}
