import { expect } from 'vitest';
import { cardOf } from './cards.js';
import { importExamples, P2P } from './directory.js';
import { startHarness, type Harness } from './harness.js';

/** The demo directory's cast (examples/*.csv) and the moment the pledge tests run at. */
export const SEC = 'ou_demo_sec_zw'; // 文学院中文系党支部 secretary
export const LEADER = 'ou_demo_leader'; // 文学院党委 leader: reviews the branch
export const OTHER_LEADER = 'ou_demo_leader2'; // 计算机学院 leader: must not review
export const OTHER_SEC = 'ou_demo_sec_yjs';
export const GROUP = 'oc_demo_wxy_zw';
export const NOW = new Date('2027-01-05T02:00:00Z');

/**
 * A harness on the pledge tests' day whose clock goes on in real time (a dialog's expiry can be
 * reached with `clock.advance`), with the demo directory.
 */
export async function startOnPledgeDay(): Promise<Harness> {
  const h = await startHarness();
  h.clock.advance(NOW.getTime() - h.clock.now().getTime());
  await importExamples(h.deps);
  return h;
}

/** A complete, valid one-item pledge form (the contract's field names). */
export const FORM = {
  name: '张明', gender: '男', birth_month: '1978-05', position: '党支部书记', term_start: '2020-09-01', contact: '13800000001',
  item_1: '每月组织一次主题党日', item_1_standard: '全年不少于12次', item_1_due: '2027-12-31',
};

export type CardReply = { toast?: { type: string; content: string }; card?: { data: Record<string, unknown> } };

/** Talking to the bot in private chats, and pressing card buttons, as someone. */
export function privateChat(h: () => Harness) {
  const last = (openId: string) => h().emu.inChat(P2P(openId)).at(-1)!;
  return {
    last,
    lastCard: (openId: string) => cardOf(last(openId)),
    async say(openId: string, text: string): Promise<void> {
      await h().say({ openId, chatId: P2P(openId), chatType: 'p2p', text });
      await h().settle();
    },
    async press(openId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>): Promise<CardReply> {
      const r = await h().press({ openId, value, formValue, chatId: P2P(openId) });
      await h().settle();
      expect(r.status).toBe(200);
      return r.body as CardReply;
    },
  };
}
