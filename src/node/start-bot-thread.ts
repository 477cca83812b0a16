import { Worker } from 'node:worker_threads';
import type { CardResponse } from '../../cards/card-kit.js';
import type { Logger } from '../logger.js';
import type { BotThreadData, ForwardedRequest, ForwardedResponse, FromBot, ToBot } from './thread-messages.js';

export interface BotThread {
  /** Resolves with the door's secrets once the bot is up (the sandbox makes its own). */
  ready: Promise<{ encryptKey: string; verificationToken: string }>;
  fetch(request: ForwardedRequest, timeoutMs: number): Promise<ForwardedResponse>;
  card(eventId: string, event: unknown, payload: string, timeoutMs: number): Promise<CardResponse>;
  /** The bot thread slept and the door wrote more to the journal. */
  wake(): void;
  listening(port: number): void;
  /** Lets the bot finish what it holds and close the database. */
  stop(): Promise<void>;
}

/** The bot thread has the request but did not answer in time (it still finishes it). */
export class BotThreadSlow extends Error {
  constructor() {
    super('bot thread did not answer in time');
  }
}

type Answer = { resolve: (m: FromBot) => void; reject: (err: Error) => void };

const ENTRY = new URL(`./bot-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
const BOOT = new URL('./thread-boot.mjs', import.meta.url);
const RESTART_MS = 1000;

/**
 * Runs bot-thread.ts on a worker thread and talks to it. If the thread dies it is started again
 * (what it held waits in the journal and the database); requests in flight then fail, and the
 * door answers them as unavailable.
 */
export function startBotThread(data: BotThreadData, logger: Logger): BotThread {
  let worker: Worker;
  let nextId = 1;
  const waiting = new Map<number, Answer>();
  let stopping: (() => void) | undefined;
  let started = false;
  let resolveReady!: (s: { encryptKey: string; verificationToken: string }) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<{ encryptKey: string; verificationToken: string }>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let firstError: Error | undefined;
  let port: number | undefined;

  function spawn(): void {
    worker = new Worker(BOOT, { workerData: { ...data, entry: ENTRY } });
    worker.on('message', (m: FromBot) => {
      if (m.type === 'ready') {
        started = true;
        resolveReady(m.secrets);
        // What the door has written so far (and, on a restart, what the last thread left).
        post({ type: 'wake' });
        if (port !== undefined) post({ type: 'listening', port });
        return;
      }
      if (m.type === 'stopped') return stopping?.();
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.type === 'failed') w.reject(new Error(m.error));
      else w.resolve(m);
    });
    worker.on('error', (err) => {
      firstError ??= err;
      // An error from the thread arrives cloned: a SqliteError keeps only its code.
      logger.error({ err: err.message || JSON.stringify(err) }, 'bot thread failed');
    });
    worker.on('exit', (code) => {
      for (const w of waiting.values()) w.reject(new Error('bot thread exited'));
      waiting.clear();
      if (stopping) return stopping();
      // It never came up (a bad database, a migration that fails): starting it again would not help.
      if (!started) return rejectReady(firstError ?? new Error(`bot thread exited (${code}) before it was ready`));
      logger.error({ code }, 'bot thread exited; starting it again');
      setTimeout(spawn, RESTART_MS).unref();
    });
  }

  function post(m: ToBot, transfer: ArrayBuffer[] = []): void {
    worker.postMessage(m, transfer);
  }

  function ask(make: (id: number) => ToBot, timeoutMs: number, transfer: ArrayBuffer[] = []): Promise<FromBot> {
    const id = nextId++;
    return new Promise<FromBot>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new BotThreadSlow());
      }, timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        f();
      };
      waiting.set(id, { resolve: (m) => done(() => resolve(m)), reject: (e) => done(() => reject(e)) });
      post(make(id), transfer);
    });
  }

  spawn();
  return {
    ready,
    async fetch(request, timeoutMs) {
      const m = await ask((id) => ({ type: 'fetch', id, request }), timeoutMs, request.body ? [request.body] : []);
      if (m.type !== 'response') throw new Error(`unexpected ${m.type}`);
      return m.response;
    },
    async card(eventId, event, payload, timeoutMs) {
      const m = await ask((id) => ({ type: 'card', id, eventId, event, payload }), timeoutMs);
      if (m.type !== 'card-answer') throw new Error(`unexpected ${m.type}`);
      return m.answer;
    },
    wake: () => post({ type: 'wake' }),
    listening(p) {
      port = p;
      post({ type: 'listening', port: p });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = resolve;
        post({ type: 'stop' });
      }).then(() => worker.terminate().then(() => undefined)),
  };
}
