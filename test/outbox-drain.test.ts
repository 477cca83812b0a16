import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

/** Drains asked for while one runs: every caller's rows go out, once, in one shared follow-up. */
describe('the outbox: concurrent drains', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const sends = () => messageSends(h);

  it('callers that ask while a drain runs share one follow-up drain, and every message goes out once', async () => {
    await h.deps.outbox.enqueue({ key: 'first', to: { chatId: 'oc_a' }, text: 'one' });
    const running = h.drain();
    // Asked for while the first drain is sending: each of these rows must be sent by the time
    // the caller's promise resolves.
    const later = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await h.deps.outbox.enqueue({ key: `later-${i}`, to: { chatId: `oc_b${i}` }, text: `later ${i}` });
        return h.drain();
      }),
    );
    const first = await running;
    expect(new Set(later).size).toBe(1); // one shared result
    expect(first.sent + later[0]!.sent).toBe(21);
    expect(sends()).toHaveLength(21);
    for (let i = 0; i < 20; i++) expect(h.emu.inChat(`oc_b${i}`).map((m) => textOf(m.content))).toEqual([`later ${i}`]);
    const left = await h.deps.db.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute();
    expect(left).toEqual([]);
  });

  it('the shared follow-up runs with the largest budget asked for', async () => {
    for (let i = 0; i < 5; i++) await h.deps.outbox.enqueue({ key: `k${i}`, to: { chatId: `oc_c${i}` }, text: `m${i}` });
    const running = h.drain({ maxSends: 1 });
    const small = h.drain({ maxSends: 1 });
    const large = h.drain({ maxSends: 10 });
    expect((await running).sent).toBe(1);
    expect(await small).toBe(await large);
    expect((await large).sent).toBe(4);
  });
});
