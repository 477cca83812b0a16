import * as lark from '@larksuiteoapi/node-sdk';
import axios from 'axios';

export interface LarkClientOptions {
  appId: string;
  appSecret: string;
  /** Base URL (https://open.feishu.cn, https://open.larksuite.com, or a test server). */
  domain: string;
  timeoutMs?: number;
}

/** A per-client token cache: the SDK's default one is module-global per appId (PLATFORM.md). */
function createTokenCache(): lark.Cache {
  const store = new Map<unknown, { value: unknown; expiredTime?: number }>();
  return {
    async set(key, value, expiredTime) {
      store.set(key, { value, expiredTime });
      return true;
    },
    async get(key) {
      const hit = store.get(key);
      if (!hit) return undefined;
      if (hit.expiredTime !== undefined && hit.expiredTime <= Date.now()) {
        store.delete(key);
        return undefined;
      }
      return hit.value;
    },
  };
}

/**
 * The node-sdk Client with our own axios instance: the SDK's default has no timeout.
 * The interceptor mirrors the SDK's own (it returns the body, or body+headers on request).
 */
export function createLarkClient(options: LarkClientOptions): lark.Client {
  // No redirects: the Open API never redirects, and axios's redirect wrapper (follow-redirects)
  // costs about a quarter of each call's CPU (bench/).
  const http = axios.create({ timeout: options.timeoutMs ?? 10_000, maxRedirects: 0 });
  http.interceptors.response.use((resp) => {
    const config = resp.config as typeof resp.config & { $return_headers?: boolean };
    if (config.$return_headers) return { data: resp.data, headers: resp.headers } as never;
    return resp.data as never;
  });
  return new lark.Client({
    appId: options.appId,
    appSecret: options.appSecret,
    appType: lark.AppType.SelfBuild,
    domain: options.domain,
    cache: createTokenCache(),
    httpInstance: http as unknown as lark.HttpInstance,
    loggerLevel: lark.LoggerLevel.error,
    logger: silentSdkLogger,
  });
}

// The SDK logs whole axios errors (request bodies, headers with tokens): keep it quiet; we log
// our own structured, secret-free line per failure in the outbox instead.
const silentSdkLogger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  trace: () => {},
};
