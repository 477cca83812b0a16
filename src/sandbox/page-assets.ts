import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

/** The chat page: plain HTML, CSS and browser JavaScript from src/sandbox/page, no bundler. */
const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');

const ASSETS: Record<string, string> = {
  'sandbox.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'card-render.js': 'text/javascript; charset=utf-8',
  'markdown.js': 'text/javascript; charset=utf-8',
  'messages.js': 'text/javascript; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
};

export function mountPage(app: Hono): void {
  const page = async () => new Response(await readFile(join(PAGE_DIR, 'index.html'), 'utf8'), {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Only our own scripts run; user and card text is never parsed as HTML.
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'",
    },
  });
  app.get('/sandbox', page);
  app.get('/sandbox/', page);
  app.get('/sandbox/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = ASSETS[name];
    if (!type) return c.notFound();
    return c.body(await readFile(join(PAGE_DIR, name), 'utf8'), 200, { 'content-type': type, 'cache-control': 'no-store' });
  });
}
