import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { buildSdkBundle } from './test/workers/build-sdk.js';
import { fakeOpenApiOutbound, WORKERS_TEST_APP } from './test/workers/fake-open-api.js';

/**
 * The Workers entry (src/worker.ts) tested inside workerd with @cloudflare/vitest-pool-workers:
 * the bindings and [define] of wrangler.toml, a local D1 with db/migrations applied, and the
 * Open API emulator as the outbound service. `npm test` runs this after the Node suite.
 */
export default defineConfig(async () => {
  // The SDK's 6 MB file is too big for the pool's module transport: alias a minified copy.
  const sdk = await buildSdkBundle();
  const migrations = await readD1Migrations('db/migrations');
  return {
    plugins: [
      cloudflareTest({
        main: './src/worker.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            LARK_APP_ID: WORKERS_TEST_APP.appId,
            LARK_APP_SECRET: WORKERS_TEST_APP.appSecret,
            LARK_ENCRYPT_KEY: 'workers-test-encrypt-key',
            LARK_VERIFICATION_TOKEN: 'workers-test-verification-token',
            // Any host: every outbound request goes to the emulator below.
            LARK_DOMAIN: 'http://open-api.test',
            LOG_LEVEL: 'error',
            TEST_MIGRATIONS: migrations,
          },
          outboundService: { node: fakeOpenApiOutbound() },
        },
      }),
    ],
    resolve: { alias: { '@larksuiteoapi/node-sdk': sdk } },
    test: {
      include: ['test/workers/**/*.test.ts'],
      setupFiles: ['test/workers/apply-migrations.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});
