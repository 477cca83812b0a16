import * as lark from '@larksuiteoapi/node-sdk';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, readServerConfig } from './config.js';

/**
 * Baseline (b): the node-sdk's own adapter on node:http, decrypting and checking the same sealed
 * events. The handlers do nothing but answer {code:0}, so a refused event (the SDK answers an
 * empty 200) can be told apart from a handled one.
 */
const cfg = readServerConfig();
const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };
const dispatcher = new lark.EventDispatcher({
  encryptKey: cfg.encryptKey,
  verificationToken: cfg.verificationToken,
  loggerLevel: lark.LoggerLevel.error,
  logger: quiet,
}).register({
  'im.message.receive_v1': async () => ({ code: 0 }),
  'card.action.trigger': async () => ({ code: 0 }),
});

const server = createServer(lark.adaptDefault('/lark/events', dispatcher));
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
