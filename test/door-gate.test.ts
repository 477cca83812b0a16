import { describe, expect, it } from 'vitest';
import { createDoorGate, DOOR_LOAD_BYTES } from '../src/door-gate.js';

/** Lets the event loop go round once (the gate decides on setImmediate, after I/O). */
const turn = () => new Promise<void>((r) => setImmediate(r));
/** Lets the gate's own timer fire, then its turn run. */
const later = async () => {
  await new Promise<void>((r) => setTimeout(r, 5));
  await turn();
};

describe('the door gate', () => {
  it('lets every step go at once while the door is quiet', async () => {
    const t = 0;
    const gate = createDoorGate({ monotonicMs: () => t });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((i) => gate.slot().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('while the door is the bottleneck, gives steps busyRate slots a second, in order; all once it is quiet', async () => {
    let t = 0;
    const gate = createDoorGate({ monotonicMs: () => t, busyRate: 1000, heavyPerTurn: 4, quietMs: 10 });
    for (let i = 0; i < 40; i++) gate.knock(); // 40 requests in one turn: the door is the bottleneck
    await turn();
    const order: number[] = [];
    const steps = [1, 2, 3, 4, 5].map((i) => gate.slot().then(() => order.push(i)));
    await turn();
    await later();
    expect(order).toEqual([]); // no time has passed: no slot earned

    t += 2; // 2 ms at 1,000 a second: two slots
    gate.knock();
    await turn();
    await later();
    expect(order).toEqual([1, 2]);

    t += 10; // no request for 10 ms: the door is quiet
    await later();
    await Promise.all(steps);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('a few light turns in a burst do not let everything go: the door stays busy for holdMs after its last heavy turn', async () => {
    let t = 0;
    // 10 slots a second: in the 50 ms below the pace itself earns none, so only the end of the
    // hold can let the steps go.
    const gate = createDoorGate({ monotonicMs: () => t, busyRate: 10, heavyPerTurn: 4, holdMs: 50, quietMs: 10 });
    for (let i = 0; i < 40; i++) gate.knock();
    await turn(); // one heavy turn at t = 0
    const order: number[] = [];
    const steps = [1, 2, 3, 4, 5, 6].map((i) => gate.slot().then(() => order.push(i)));
    // Light turns, one request every few ms (never quiet): the average falls below heavyPerTurn
    // after the first few, yet the door counts as busy until 50 ms after its last heavy turn.
    for (let ms = 2; ms < 50; ms += 4) {
      t = ms;
      gate.knock();
      await turn();
      await later();
      expect(order, `at ${ms} ms`).toEqual([]);
    }
    // The average was last heavy at 6 ms (it falls 5 → 4.5 → 4.06 → 3.68): light since, for 50 ms at 56.
    t = 56;
    gate.knock();
    await turn();
    await later();
    await Promise.all(steps);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('at a light rate (few requests per turn) does not hold background work back', async () => {
    const t = 0;
    const gate = createDoorGate({ monotonicMs: () => t, heavyPerTurn: 4, quietMs: 10 });
    for (let i = 0; i < 20; i++) {
      gate.knock(); // one request per turn, the clock standing still: never quiet, never heavy
      await turn();
    }
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => gate.slot().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
  });
});

describe('the door gate across threads', () => {
  it("the bot thread's gate holds background work while the door thread's gate (in shared memory) says the door is busy", async () => {
    let t = 0;
    const shared = new Float64Array(new SharedArrayBuffer(DOOR_LOAD_BYTES));
    const doorSide = createDoorGate({ monotonicMs: () => t, heavyPerTurn: 4, quietMs: 10, publish: shared });
    const botSide = createDoorGate({ monotonicMs: () => t, busyRate: 1000, heavyPerTurn: 4, quietMs: 10, door: shared });
    for (let i = 0; i < 40; i++) doorSide.knock();
    await turn();
    expect(shared[0]).toBeGreaterThanOrEqual(4);
    expect(shared[1]).toBe(0);
    expect(shared[2]).toBe(0); // a heavy turn at t = 0: the bot side holds for holdMs from it
    const order: number[] = [];
    const steps = [1, 2, 3].map((i) => botSide.slot().then(() => order.push(i)));
    await turn();
    await later();
    expect(order).toEqual([]); // busy door, no time passed: no slot

    t += 1; // 1 ms at 1,000 a second: one slot
    await later();
    expect(order).toEqual([1]);

    t += 20; // the door thread took nothing for 20 ms: quiet
    await later();
    await Promise.all(steps);
    expect(order).toEqual([1, 2, 3]);
  });

  it('while a card press is in hand (first), background steps wait for the busy pace even if the door is quiet', async () => {
    let t = 0;
    const gate = createDoorGate({ monotonicMs: () => t, busyRate: 1000, quietMs: 10 });
    let finishCard!: () => void;
    const card = gate.first(() => new Promise<string>((resolve) => (finishCard = () => resolve('answered'))));
    const order: number[] = [];
    const steps = [1, 2].map((i) => gate.slot().then(() => order.push(i)));
    await turn();
    await later();
    expect(order).toEqual([]);
    finishCard();
    expect(await card).toBe('answered');
    await later();
    await Promise.all(steps);
    expect(order).toEqual([1, 2]);
  });
});
