import { toast, type CardResponse } from '../cards/card-kit.js';
import { claimDelivery, deliveryByKey, finishDelivery } from '../db/repos/inbound.js';
import { onCardAction, type CardActionTable } from '../handlers/on-card-action.js';
import { DELIVERY_LEASE_MS } from './process-delivery.js';
import type { Deps, OneCommit } from './usecases/deps.js';

export interface CardAnswerOptions {
  actions: CardActionTable;
  /** Keeps the handling alive after the answer went out (Node: a tracked promise; Workers: waitUntil). */
  defer: (task: () => Promise<unknown>) => void;
  /** After the press was handled and its answer stored (e.g. send what it queued). */
  afterHandled?: () => void;
  /** Feishu waits 3 s for the answer; past this we answer "processing" and finish later. */
  timeoutMs?: number;
  /** Node: a press waits for one commit before its answer instead of three (claim, handling, answer). */
  oneCommit?: OneCommit;
}

/**
 * Answers one verified card press: recorded once by event_id (a repeat gets the answer the first
 * one got, or "processing" while it runs), handled, and its answer stored for repeats.
 */
export function createCardAnswerer(base: Deps, opts: CardAnswerOptions) {
  const deps = opts.oneCommit?.deps ?? base;
  const mark = opts.oneCommit?.mark ?? (() => 0);
  const committed = opts.oneCommit?.committed ?? (() => Promise.resolve());
  return async (eventId: string, event: unknown, payload: string): Promise<CardResponse> => {
    // The press's writes (claim, handling, answer) span turns and so perhaps several commits:
    // each wait covers all of them, a commit that failed before it included.
    const since = mark();
    const at = deps.now();
    // Held while it is handled here; if that never finishes (the process dies after answering
    // "processing"), the stored press is handled later like a stored message (process-delivery.ts).
    const fresh = await claimDelivery(deps.db, [eventId], 'card.action.trigger', payload, at, null, new Date(at.getTime() + DELIVERY_LEASE_MS));
    if (!fresh) {
      const prior = await deliveryByKey(deps.db, eventId);
      await committed(since); // the claim that found it, before anything is answered
      if (prior?.response) return JSON.parse(prior.response) as CardResponse;
      return toast('info', '正在处理，请稍候');
    }
    const work = onCardAction(deps, opts.actions, event, eventId)
      .catch((err: unknown) => {
        deps.logger.error({ eventId, err: err instanceof Error ? err.message : String(err) }, 'card action failed');
        return toast('error', '处理失败，请稍后再试；多次失败请联系管理员。');
      })
      .then(async (res) => {
        await finishDelivery(deps.db, eventId, 'done', deps.now(), undefined, JSON.stringify(res));
        await committed(since);
        opts.afterHandled?.();
        return res;
      });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<CardResponse>((resolve) => {
      timer = setTimeout(() => resolve(toast('info', '已收到，正在处理…')), opts.timeoutMs ?? 2500);
    });
    const res = await Promise.race([work, timeout]);
    clearTimeout(timer);
    opts.defer(() => work);
    return res;
  };
}
