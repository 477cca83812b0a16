import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { createLarkClient } from '../lark/client.js';
import { createLarkApi, LarkCallError, type LarkApi } from '../lark/open-api.js';
import { sandboxDomain, storedSandboxCredentials } from '../sandbox/sandbox-credentials.js';
import type { LarkCredentials } from '../config.js';

/**
 * The admin CLI's Open API without Feishu credentials: the local sandbox's emulator, served by
 * `npm start` on `port`, with the credentials that server made for this database (placeholders
 * if it never ran on it: calls then fail, and nothing marks the database as a sandbox). A call
 * that cannot reach the server says the sandbox is not running, rather than blaming Feishu.
 */
export async function cliSandboxLark(db: Kysely<Database>, port: number): Promise<{ credentials: LarkCredentials; api: LarkApi }> {
  const credentials = (await storedSandboxCredentials(db, port)) ?? {
    appId: 'cli_sandbox',
    appSecret: 'not-started',
    encryptKey: 'not-started',
    verificationToken: 'not-started',
    domain: sandboxDomain(port),
  };
  const api = createLarkApi(createLarkClient(credentials));
  const hinted = <A, R>(f: (a: A) => Promise<R>) => async (a: A): Promise<R> => {
    try {
      return await f(a);
    } catch (err) {
      throw sandboxDown(err, port);
    }
  };
  return {
    credentials,
    api: {
      sendMessage: hinted(api.sendMessage),
      replyMessage: hinted(api.replyMessage),
      patchMessage: hinted(api.patchMessage),
      uploadFile: hinted(api.uploadFile),
      resolveUserIds: hinted(api.resolveUserIds),
      botOpenId: () => hinted(api.botOpenId)(undefined),
    },
  };
}

/** A call that got no HTTP answer at all: nothing listens on the sandbox's port. Kept retryable (the outbox tries again later). */
function sandboxDown(err: unknown, port: number): unknown {
  if (!(err instanceof LarkCallError) || err.httpStatus !== undefined) return err;
  return new LarkCallError(
    `本地沙盒没有在运行（http://127.0.0.1:${port}）：先在另一个终端运行 npm start（PORT 与这里相同），或设置 LARK_APP_ID 等四项连接飞书 (the sandbox is not running on port ${port})`,
    err.retryable,
    err.retryAfterMs,
    undefined,
    err.code,
    err.throttled,
  );
}
