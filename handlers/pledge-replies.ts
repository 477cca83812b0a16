import type { Card } from '../cards/card-kit.js';
import { chooseOrgCard, pledgeStatusCard } from '../cards/pledge-cards.js';
import { pledgeFormCard } from '../cards/pledge-form-card.js';
import type { OpenPledgeResult } from '../src/usecases/pledge/open-pledge.js';

/** What `承诺` (or choosing an organization) shows. */
export function openPledgeReply(r: OpenPledgeResult): { text: string } | { card: Card } {
  switch (r.kind) {
    case 'refused':
      return { text: r.reason };
    case 'choose':
      return { card: chooseOrgCard(r.orgs) };
    case 'form':
      return { card: pledgeFormCard(r.form) };
    case 'status':
      return { card: pledgeStatusCard(r.ctx.view, r.ctx.times, { canRevise: r.canRevise, openRevision: r.openRevision }) };
  }
}
