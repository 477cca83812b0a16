import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announce } from './config.js';

/** Baseline (a): a bare Hono route on @hono/node-server that echoes the body. */
const app = new Hono();
app.post('/lark/*', async (c) => c.body(await c.req.text(), 200, { 'content-type': 'application/json' }));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => announce(info.port));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
