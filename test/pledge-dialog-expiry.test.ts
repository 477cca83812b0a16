import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { P2P } from './helpers/directory.js';
import { textOf, type Harness } from './helpers/harness.js';
import { privateChat, SEC, startOnPledgeDay } from './helpers/pledge.js';

/**
 * `承诺 对话` keeps its place for 2 hours after the last reply (handlers/dialogs/pledge-dialog.ts,
 * db/repos/dialogs.ts): within that a reply is the next answer; past it, the dialog is over and a
 * reply is an ordinary message.
 */
const TTL_MS = 2 * 60 * 60 * 1000;
const MINUTE = 60_000;

describe('the conversational pledge expires 2 hours after the last reply', () => {
  let h: Harness;
  const chat = privateChat(() => h);
  const say = async (text: string) => {
    await chat.say(SEC, text);
    return textOf(h.emu.inChat(P2P(SEC)).at(-1)!.content);
  };
  const gender = async () => JSON.parse((await h.sqlite.db.selectFrom('pledge_versions').select('profile').executeTakeFirstOrThrow()).profile).gender as string;

  beforeEach(async () => {
    h = await startOnPledgeDay();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a reply just before the TTL continues the dialog, and each reply renews it', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    h.clock.advance(TTL_MS - MINUTE);
    expect(await say('跳过')).toContain('请输入性别');
    // Nearly 4 hours since the dialog began, under 2 since the last reply.
    h.clock.advance(TTL_MS - MINUTE);
    expect(await say('男')).toContain('请输入出生年月');
    expect(await gender()).toBe('男');
  });

  it('a reply after the TTL is told the dialog ended (once), not taken as an answer nor asked the next question', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    expect(await say('跳过')).toContain('请输入性别');
    const before = await gender();
    expect(before).not.toBe('男');
    h.clock.advance(TTL_MS + MINUTE);
    const reply = await say('男');
    expect(reply).toContain('上次的逐项填写已超时结束');
    expect(reply).toContain('承诺 对话');
    expect(reply).not.toContain('请输入');
    expect(await gender()).toBe(before); // the answer was not taken into the draft
    // And it stays over: the next reply is no dialog step either.
    const next = await say('1978-05');
    expect(next).toContain('帮助');
    expect(next).not.toContain('请输入');
  });
});
