import { getRequestListener } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createOpenApiEmulator } from '../../src/sandbox/open-api-emulator.js';

/**
 * The Feishu Open API emulator (the same one the Node tests use), running in the vitest
 * process and wired in as the workerd test worker's outbound service: every fetch the Worker
 * makes — the real node-sdk Client's token and message calls included — leaves workerd and is
 * answered here. Tests read what it recorded through the same door: GET /__emu/messages and
 * GET /__emu/requests on any host.
 */
export const WORKERS_TEST_APP = { appId: 'cli_workers_test', appSecret: 'workers-test-secret' } as const;

export function fakeOpenApiOutbound(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const emu = createOpenApiEmulator({ appId: WORKERS_TEST_APP.appId, appSecret: WORKERS_TEST_APP.appSecret });
  return getRequestListener(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/__emu/messages') return Response.json(emu.messages);
    if (pathname === '/__emu/requests') return Response.json(emu.requests);
    return emu.app.fetch(request);
  });
}
