import { itemsOf, profileOf, versionById } from '../../../db/repos/pledges.js';
import { pledgeChanges, type PledgeContent } from '../../domain/pledge-changes.js';
import type { Card } from '../../../cards/card-kit.js';
import { pledgeReviewCard } from '../../../cards/pledge-cards.js';
import type { Deps } from '../deps.js';
import type { PledgeContext } from './pledge-context.js';
import { parseReturnedContent } from './returned-content.js';

/** What a version holds, as compared across versions and kept at a return (returned_content). */
export const contentOf = (ctx: PledgeContext): PledgeContent => ({
  profile: ctx.view.profile,
  items: ctx.view.items.map((i) => ({ key: i.key, content: i.content, standard: i.standard, due: i.due })),
});


/**
 * The review card of a submitted version, wherever it is sent from (the submission, the 审核
 * list, a refused decision): a revision names the version it replaces and what it changed; a
 * resubmission after a return, what changed since; a refused opinion is shown as typed, its
 * error under the field.
 */
export async function reviewCardFor(deps: Deps, ctx: PledgeContext, refused?: { error: string; typed: string }): Promise<Card> {
  const now = contentOf(ctx);
  const atReturn = ctx.view.previousReturn ? parseReturnedContent(ctx.version.returned_content) : undefined;
  const sinceReturn = atReturn ? pledgeChanges(atReturn, now) : undefined;
  const inForce = ctx.pledge.current_version_id;
  const previous = inForce && inForce !== ctx.version.id ? await versionById(deps.db, inForce) : undefined;
  if (!previous) return pledgeReviewCard(ctx.view, ctx.times, { sinceReturn, refused });
  const before = { profile: profileOf(previous), items: (await itemsOf(deps.db, previous.id)).map((i) => ({ key: i.item_key, content: i.content, standard: i.standard, due: i.due_date })) };
  return pledgeReviewCard(ctx.view, ctx.times, { previous: { versionNo: previous.version_no, changes: pledgeChanges(before, now) }, sinceReturn, refused });
}
