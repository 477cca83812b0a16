import type { CardResponse } from '../../cards/card-kit.js';
import type { Config } from '../config.js';

/**
 * What the door thread (src/node.ts) and the bot thread (bot-thread.ts) say to each other.
 * Both ends are this program; structured clone carries them.
 */
export interface BotThreadData {
  config: Config;
  journalDir: string;
  /** How far the door has written the journal, and whether this thread sleeps (journal-signal.ts). */
  journalSignal: SharedArrayBuffer;
  /** [0]: the bot's clock minus real time, ms (the sandbox clock moves; the door checks timestamps by it). */
  clockOffset: SharedArrayBuffer;
  /** How busy the door is (door-gate.ts `publish`): background work yields to it. */
  doorLoad: SharedArrayBuffer;
  /** Background steps a second while the door is the bottleneck (door-gate.ts busyRate). */
  busyRate?: number;
  /** Nice value for the bot thread (Linux: per thread): the door's acknowledgements come first. */
  niceness: number;
  /** Outbound requests per second per app (Feishu: 50); the bench lifts it against the emulator. */
  appSendsPerSecond?: number;
}

export interface ForwardedRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: ArrayBuffer | null;
}

export interface ForwardedResponse {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

export type ToBot =
  | { type: 'fetch'; id: number; request: ForwardedRequest }
  | { type: 'card'; id: number; eventId: string; event: unknown; payload: string }
  /** The door wrote to the journal while this thread slept (or it just started): read it. */
  | { type: 'wake' }
  | { type: 'listening'; port: number }
  | { type: 'stop' };

export type FromBot =
  | { type: 'ready'; secrets: { encryptKey: string; verificationToken: string } }
  | { type: 'response'; id: number; response: ForwardedResponse }
  | { type: 'card-answer'; id: number; answer: CardResponse }
  | { type: 'failed'; id: number; error: string }
  | { type: 'stopped' };
