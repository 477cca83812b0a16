import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { invoke, rows } from './helpers.js';

describe('D1', () => {
  it('has every db/migrations file applied, recorded in d1_migrations as wrangler does', async () => {
    const applied = (await rows<{ name: string }>('SELECT name FROM d1_migrations ORDER BY id')).map((r) => r.name);
    expect(applied).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
    expect(applied.length).toBeGreaterThan(0);
    const tables = (await rows<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['organizations', 'people', 'inbound_events', 'outbox', 'settings']));
  });

  it('serves /healthz from the Worker with a query against D1', async () => {
    const res = await invoke(new Request('https://bot.example/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers 500 with a clear message when the Feishu credentials are missing', async () => {
    const res = await invoke(new Request('https://bot.example/healthz'), { ...env, LARK_APP_ID: '', LARK_APP_SECRET: '' });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('Workers 模式必须设置 LARK_APP_ID');
  });
});
