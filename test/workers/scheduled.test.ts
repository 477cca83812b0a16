import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Kysely } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/schema.js';
import { createDeps } from '../../src/compose.js';
import { silentLogger } from '../../src/logger.js';
import worker from '../../src/worker.js';
import { rows, sentTo, unique } from './helpers.js';

/** Queues messages through the real outbox (as a handler would), without sending them. */
async function enqueueFor(users: string[], text: string): Promise<void> {
  const db = new Kysely<Database>({ dialect: new D1Dialect({ database: env.DB }) });
  const creds = { appId: 'unused', appSecret: 'unused', encryptKey: 'unused', verificationToken: 'unused', domain: 'http://unused.test' };
  const { outbox } = createDeps({ db, lark: creds, logger: silentLogger, timeZone: 'Asia/Shanghai' });
  for (const openId of users) await outbox.enqueue({ key: `${text}:${openId}`, to: { openId }, text });
}

async function runCron(bindings: Record<string, unknown>): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), { ...env, ...bindings, DB: env.DB }, ctx);
  await waitOnExecutionContext(ctx);
}

const pendingCount = async (text: string) =>
  (await rows<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'pending' AND content = ?", JSON.stringify({ text })))[0]!.n;

describe('the scheduled handler (Cron Trigger)', () => {
  it('drains the outbox within the per-invocation cap and leaves the rest for the next tick', async () => {
    const text = unique('提醒');
    const users = Array.from({ length: 6 }, () => unique('ou'));
    await enqueueFor(users, text);
    expect(await pendingCount(text)).toBe(6);

    await runCron({ OUTBOX_MAX_SENDS: '4' });
    expect(await pendingCount(text)).toBe(2);

    await runCron({ OUTBOX_MAX_SENDS: '4' });
    expect(await pendingCount(text)).toBe(0);
    for (const u of users) {
      const got = await sentTo(`oc_p2p_${u.replace(/^ou_/, '')}`);
      expect(got.map((m) => JSON.parse(m.content) as unknown)).toEqual([{ text }]);
    }
  });

  it('refuses to run without Feishu credentials, saying which ones', async () => {
    const noCreds = { LARK_APP_ID: '', LARK_APP_SECRET: '', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '' };
    await expect(runCron(noCreds)).rejects.toThrow(/LARK_APP_SECRET.*沙盒/s);
  });
});
