import { z } from 'zod';
import { itemsOf, profileOf, versionById } from '../../../db/repos/pledges.js';
import { pledgeChanges, type PledgeContent } from '../../domain/pledge-changes.js';
import type { Card } from '../../../cards/card-kit.js';
import { pledgeReviewCard } from '../../../cards/pledge-cards.js';
import type { Deps } from '../deps.js';
import type { PledgeContext } from './pledge-context.js';

/** What a version holds, as compared across versions and kept at a return (returned_content). */
export const contentOf = (ctx: PledgeContext): PledgeContent => ({
  profile: ctx.view.profile,
  items: ctx.view.items.map((i) => ({ key: i.key, content: i.content, standard: i.standard, due: i.due })),
});

const StoredContent = z.object({
  profile: z.object({ name: z.string(), gender: z.string(), birth_month: z.string(), position: z.string(), term_start: z.string(), contact: z.string() }),
  items: z.array(z.object({ key: z.string(), content: z.string(), standard: z.string(), due: z.string() })),
});

/** What the version held when it was returned, if kept (a row returned before migration 0008 has none; an unreadable one is none). */
function returnedContent(ctx: PledgeContext): PledgeContent | undefined {
  if (!ctx.version.returned_content) return undefined;
  try {
    const parsed = StoredContent.safeParse(JSON.parse(ctx.version.returned_content));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The review card of a submitted version, wherever it is sent from (the submission, the 审核
 * list, a refused decision): a revision names the version it replaces and what it changed; a
 * resubmission after a return, what changed since; a refused opinion is shown as typed, its
 * error under the field.
 */
export async function reviewCardFor(deps: Deps, ctx: PledgeContext, refused?: { error: string; typed: string }): Promise<Card> {
  const now = contentOf(ctx);
  const atReturn = ctx.view.previousReturn ? returnedContent(ctx) : undefined;
  const sinceReturn = atReturn ? pledgeChanges(atReturn, now) : undefined;
  const inForce = ctx.pledge.current_version_id;
  const previous = inForce && inForce !== ctx.version.id ? await versionById(deps.db, inForce) : undefined;
  if (!previous) return pledgeReviewCard(ctx.view, ctx.times, { sinceReturn, refused });
  const before = { profile: profileOf(previous), items: (await itemsOf(deps.db, previous.id)).map((i) => ({ key: i.item_key, content: i.content, standard: i.standard, due: i.due_date })) };
  return pledgeReviewCard(ctx.view, ctx.times, { previous: { versionNo: previous.version_no, changes: pledgeChanges(before, now) }, sinceReturn, refused });
}
