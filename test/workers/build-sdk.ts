// Prebuilds a minified ESM copy of @larksuiteoapi/node-sdk for the workerd test pool: the
// published 6 MB file is too large for @cloudflare/vitest-pool-workers' module transport
// ("Message is too large"). vitest.workers.config.ts aliases the SDK to this copy. The deploy
// bundle (wrangler) does not use it.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@larksuiteoapi/node-sdk/package.json'));
export const SDK_BUNDLE = join(here, '.build', 'node-sdk.mjs');

export async function buildSdkBundle(): Promise<string> {
  const source = join(pkgDir, 'es', 'index.js');
  try {
    if (statSync(SDK_BUNDLE).mtimeMs >= statSync(source).mtimeMs) return SDK_BUNDLE;
  } catch {
    // not built yet
  }
  await build({
    entryPoints: [source],
    outfile: SDK_BUNDLE,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    // One axios for the app and the SDK (src/lark/client.ts hands the SDK its own instance).
    external: ['axios'],
    define: { __dirname: '"/"' },
    logLevel: 'warning',
  });
  return SDK_BUNDLE;
}
