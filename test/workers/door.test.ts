import { describe, expect, it } from 'vitest';
import { invoke, rows, say, sealed, sentTo, unique } from './helpers.js';

describe('the Worker door (signed + encrypted events, in workerd over D1)', () => {
  it('accepts a correctly sealed event with 200 and stores the delivery', async () => {
    const eventId = unique('ev');
    const res = await invoke(say({ openId: unique('ou'), chatId: unique('oc'), chatType: 'p2p', text: '你好' }, { eventId }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0 });
    const stored = await rows<{ key: string; status: string }>('SELECT key, status FROM inbound_events WHERE key = ?', eventId);
    expect(stored).toEqual([{ key: eventId, status: 'done' }]);
  });

  it('refuses a bad signature with 401, writes nothing and sends nothing', async () => {
    const eventId = unique('ev');
    const openId = unique('ou');
    const chatId = `oc_p2p_${openId.replace(/^ou_/, '')}`; // where an answer would go (by open_id)
    const good = say({ openId, chatId, chatType: 'p2p', text: '帮助' }, { eventId });
    const headers = new Headers(good.headers);
    headers.set('x-lark-signature', 'f'.repeat(64));
    const res = await invoke(new Request(good.url, { method: 'POST', headers, body: await good.text() }));
    expect(res.status).toBe(401);
    expect(await rows('SELECT key FROM inbound_events WHERE key = ?', eventId)).toEqual([]);
    expect(await sentTo(chatId)).toEqual([]);
  });

  it('refuses a body that was altered after signing', async () => {
    const eventId = unique('ev');
    const good = sealed('im.message.receive_v1', { tampered: false }, { eventId });
    const body = (await good.text()).replace('"encrypt":"', '"encrypt":"A');
    const res = await invoke(new Request(good.url, { method: 'POST', headers: good.headers, body }));
    expect(res.status).toBe(401);
    expect(await rows('SELECT key FROM inbound_events WHERE key = ?', eventId)).toEqual([]);
  });
});
