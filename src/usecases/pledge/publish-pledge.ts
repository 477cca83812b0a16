import { chatsOf } from '../../../db/repos/directory.js';
import { pledgeOf } from '../../../db/repos/pledges.js';
import { pledgePublicationCard } from '../../../cards/pledge-cards.js';
import { yearsInView } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import type { Deps } from '../deps.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';

/**
 * 公示: the approved pledge to the organization's bound group chats (all of them, or `onlyChat`).
 * Keyed by version and chat, so a chat gets one version's publication once however often asked.
 */
export async function publishPledge(deps: Deps, ctx: PledgeContext, onlyChat?: string): Promise<number> {
  const chats = onlyChat ? [onlyChat] : (await chatsOf(deps.db, ctx.org.id)).map((c) => c.chat_id);
  for (const chatId of chats) {
    await deps.outbox.enqueue({ key: `publish:${ctx.version.id}:${chatId}`, to: { chatId }, card: pledgePublicationCard(ctx.view, ctx.times) });
  }
  return chats.length;
}

/** The organization's pledge in force: in December the coming year's once approved, else the one being carried out. */
export async function pledgeInForce(deps: Deps, orgId: number): Promise<PledgeContext | undefined> {
  for (const year of yearsInView(localDate(deps.now(), deps.timeZone))) {
    const pledge = await pledgeOf(deps.db, orgId, year);
    if (!pledge?.current_version_id) continue;
    return loadPledgeContext(deps, pledge.current_version_id);
  }
  return undefined;
}

/**
 * A group bound after its organization's pledge was approved gets that pledge published now: it
 * was approved with no group to publish in, or this group is new. True if something was sent.
 */
export async function publishInForceTo(deps: Deps, orgId: number, chatId: string): Promise<boolean> {
  const ctx = await pledgeInForce(deps, orgId);
  return ctx ? (await publishPledge(deps, ctx, chatId)) > 0 : false;
}
