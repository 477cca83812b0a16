import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encryptEvent, signBody } from '../src/lark/crypto.js';
import { envelope, messageEvent, sealEvent } from '../src/sandbox/feishu-events.js';
import { startHarness, type Harness } from './helpers/harness.js';

/** Signs exactly these bytes as Feishu would (the signature itself is right). */
function signed(h: Harness, body: string, nowMs = h.clock.now().getTime()) {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = 'nonce123';
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': signBody(timestamp, nonce, h.creds.encryptKey, body),
    },
  };
}

const help = () => messageEvent({ openId: 'ou_door', chatId: 'oc_p2p_door', chatType: 'p2p', text: '帮助' });

describe.each(['/lark/events', '/lark/card'])('the door at %s', (path) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.reset();
  });

  /** The request is refused with this status and leaves no trace anywhere. */
  async function refused(req: { body: string; headers: Record<string, string> }, status: number) {
    const before = await h.counts();
    const res = await h.send(req, path);
    expect(res.status).toBe(status);
    await h.settle();
    await h.drain();
    expect(await h.counts()).toEqual(before);
    expect(h.emu.messages).toHaveLength(0);
    expect(h.emu.requests).toHaveLength(0);
  }

  it('refuses a bad signature with 401', async () => {
    const req = h.seal('im.message.receive_v1', help());
    const sig = req.headers['x-lark-signature']!;
    req.headers['x-lark-signature'] = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    await refused(req, 401);
  });

  it('refuses an event without signature headers with 401', async () => {
    const { body } = h.seal('im.message.receive_v1', help());
    await refused({ body, headers: { 'content-type': 'application/json' } }, 401);
  });

  it('refuses an event missing one of the signature headers with 401', async () => {
    const req = h.seal('im.message.receive_v1', help());
    delete req.headers['x-lark-request-nonce'];
    await refused(req, 401);
  });

  it('refuses a correctly signed event from more than 5 minutes ago with 401', async () => {
    await refused(h.seal('im.message.receive_v1', help(), { nowMs: h.clock.now().getTime() - 5 * 60_000 - 2000 }), 401);
  });

  it('accepts an event signed 4 min 50 s ago (inside the window)', async () => {
    const res = await h.send(h.seal('im.message.receive_v1', help(), { nowMs: h.clock.now().getTime() - 4 * 60_000 - 50_000 }), path);
    expect(res.status).toBe(200);
    await h.settle(); // its answer is queued and sent before the next test counts rows
    await h.drain();
  });

  it('refuses a correctly signed event more than 5 minutes in the future with 401', async () => {
    await refused(h.seal('im.message.receive_v1', help(), { nowMs: h.clock.now().getTime() + 5 * 60_000 + 2000 }), 401);
  });

  it('refuses a signed, encrypted event carrying the wrong verification token with 401', async () => {
    const env = envelope({ ...h.creds, verificationToken: 'not-the-token' }, 'im.message.receive_v1', help());
    await refused(sealEvent(h.creds, env, h.clock.now().getTime()), 401);
  });

  it('refuses a signed body that is not JSON with 400', async () => {
    await refused(signed(h, '{"encrypt": '), 400);
  });

  it('refuses a signed body whose encrypt does not decrypt with 400', async () => {
    await refused(signed(h, JSON.stringify({ encrypt: Buffer.alloc(48, 7).toString('base64') })), 400);
    await refused(signed(h, JSON.stringify({ encrypt: encryptEvent('{"schema":"2.0"}', 'another-key') })), 400);
    await refused(signed(h, JSON.stringify({ encrypt: 42 })), 400);
  });

  it('refuses a signed, correctly tokened body that is not a schema-2.0 envelope with 400', async () => {
    const v1 = { uuid: 'u1', token: h.creds.verificationToken, ts: '1', type: 'event_callback', event: help() };
    await refused(sealEvent(h.creds, v1, h.clock.now().getTime()), 400);
  });

  it.each(['im.message.receive_v1', 'card.action.trigger', 'im.chat.member.bot.added_v1', 'im.chat.member.bot.deleted_v1'])('refuses a sealed %s whose event is malformed with 400', async (type) => {
    await refused(h.seal(type, { message: { chat_id: 42 }, operator: {}, chat_id: null }), 400);
  });

  it('refuses a signed body re-serialized with other whitespace with 401', async () => {
    const req = h.seal('im.message.receive_v1', help());
    await refused({ body: JSON.stringify(JSON.parse(req.body), null, 2), headers: req.headers }, 401);
  });

  describe('URL verification', () => {
    const challenge = (token: string) => ({ type: 'url_verification', challenge: 'chal-123', token });

    it('answers a plain challenge with {challenge}', async () => {
      const res = await h.send({ body: JSON.stringify(challenge(h.creds.verificationToken)), headers: { 'content-type': 'application/json' } }, path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'chal-123' });
    });

    it('answers an encrypted challenge with {challenge}', async () => {
      const body = JSON.stringify({ encrypt: encryptEvent(JSON.stringify(challenge(h.creds.verificationToken)), h.creds.encryptKey) });
      const res = await h.send({ body, headers: { 'content-type': 'application/json' } }, path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'chal-123' });
    });

    it('answers a signed, encrypted challenge with {challenge}', async () => {
      const res = await h.send(sealEvent(h.creds, challenge(h.creds.verificationToken), h.clock.now().getTime()), path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'chal-123' });
    });

    it('refuses a challenge with the wrong token with 401, plain or encrypted', async () => {
      await refused({ body: JSON.stringify(challenge('wrong')), headers: { 'content-type': 'application/json' } }, 401);
      const body = JSON.stringify({ encrypt: encryptEvent(JSON.stringify(challenge('wrong')), h.creds.encryptKey) });
      await refused({ body, headers: { 'content-type': 'application/json' } }, 401);
    });
  });

  it('refuses a body over 1 MB with 400, unread', async () => {
    await refused(signed(h, JSON.stringify({ encrypt: 'A'.repeat(2 * 1024 * 1024) })), 400);
  });

  it('accepts the same event sealed correctly (the refusals above are not a broken door)', async () => {
    const res = await h.send(h.seal('im.message.receive_v1', help()), path);
    expect(res.status).toBe(200);
    await h.settle();
    expect(h.emu.inChat('oc_p2p_door')).toHaveLength(1);
  });
});

describe('GET /healthz', () => {
  it('answers ok once the database answers', async () => {
    const h = await startHarness();
    try {
      const res = await fetch(`${h.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    } finally {
      await h.close();
    }
  });
});
