import { versionById } from '../../../db/repos/pledges.js';
import type { Card } from '../../../cards/card-kit.js';
import { pledgeReviewCard } from '../../../cards/pledge-cards.js';
import type { Deps } from '../deps.js';
import type { PledgeContext } from './pledge-context.js';

/**
 * The review card of a submitted version, wherever it is sent from (the submission, the 审核
 * list, a refused decision): a revision names the version it replaces; `opinionError` is shown
 * under the opinion field.
 */
export async function reviewCardFor(deps: Deps, ctx: PledgeContext, opinionError?: string): Promise<Card> {
  const inForce = ctx.pledge.current_version_id;
  const previous = inForce && inForce !== ctx.version.id ? await versionById(deps.db, inForce) : undefined;
  return pledgeReviewCard(ctx.view, ctx.times, previous ? { versionNo: previous.version_no } : undefined, opinionError);
}
