import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from './helpers/harness.js';

describe('help', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers 帮助 in a private chat with a help card', async () => {
    const res = await h.say({ openId: 'ou_a', chatId: 'oc_p2p_a', chatType: 'p2p', text: '帮助' });
    expect(res.status).toBe(200);
    await h.settle();
    const sent = h.emu.inChat('oc_p2p_a');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.msgType).toBe('interactive');
    expect(textOf(sent[0]!.content)).toContain('我的');
  });
});
