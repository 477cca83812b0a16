import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toast } from '../cards/card-kit.js';
import { deliveryByKey, pendingDeliveries } from '../db/repos/inbound.js';
import { defineAction } from '../handlers/on-card-action.js';
import { createCardAnswerer } from '../src/answer-card.js';
import { ROUTES } from '../src/compose.js';
import { recoverDeliveries } from '../src/process-delivery.js';
import { cardActionEvent, envelope } from '../src/sandbox/feishu-events.js';
import { startHarness, type Harness } from './helpers/harness.js';

/**
 * A card press whose handling outlasts Feishu's 3 s (src/answer-card.ts): answered "processing"
 * in time, held while it runs so no recovery takes it too, its real answer kept for repeats.
 */
describe('a slow card press', () => {
  let h: Harness;
  let release: () => void;
  let runs: number;
  const tasks = new Set<Promise<unknown>>();
  const defer = (task: () => Promise<unknown>) => {
    const p: Promise<unknown> = task().finally(() => tasks.delete(p));
    tasks.add(p);
  };

  beforeEach(async () => {
    h = await startHarness();
    runs = 0;
  });
  afterEach(async () => {
    release?.();
    await Promise.allSettled([...tasks]);
    await h.close();
  });

  const slow = defineAction({
    value: z.object({}),
    async handle() {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
      return toast('success', '已完成');
    },
  });
  const routes = { ...ROUTES, actions: { ...ROUTES.actions, 'test.slow': slow } };

  function press(answer: ReturnType<typeof createCardAnswerer>, eventId: string) {
    const event = cardActionEvent({ openId: 'ou_slow', value: { action: 'test.slow' }, messageId: 'om_slow', chatId: 'oc_p2p_slow' });
    return answer(eventId, event, JSON.stringify(envelope(h.creds, 'card.action.trigger', event, { eventId })));
  }

  it('is answered "processing" in time, held while it runs, and its answer is kept for a repeat', async () => {
    const answer = createCardAnswerer(h.deps, { actions: routes.actions, defer, timeoutMs: 30 });
    expect(await press(answer, 'ev_slow')).toEqual(toast('info', '已收到，正在处理…'));
    expect(runs).toBe(1);

    // Still running: a repeat is told so, and nothing else takes the stored press.
    expect(await press(answer, 'ev_slow')).toEqual(toast('info', '正在处理，请稍候'));
    const row = await deliveryByKey(h.deps.db, 'ev_slow');
    expect(row).toMatchObject({ status: 'pending', response: null });
    expect(row?.lease_until).not.toBeNull();
    expect(await pendingDeliveries(h.deps.db, h.clock.now(), 10)).toEqual([]);
    expect(await recoverDeliveries(h.deps, routes, -1)).toBe(0);
    expect(runs).toBe(1);

    release();
    await Promise.allSettled([...tasks]);
    expect(await deliveryByKey(h.deps.db, 'ev_slow')).toMatchObject({ status: 'done', lease_until: null });
    expect(await press(answer, 'ev_slow')).toEqual(toast('success', '已完成'));
    expect(runs).toBe(1);
  });
});
