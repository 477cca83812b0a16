import { envelope, sealEvent, type EventSecrets } from './feishu-events.js';

/**
 * The emulated Feishu's side of event subscription: an event is enveloped, encrypted and signed
 * with the app's keys and POSTed over real HTTP to the bot's /lark/events, exactly as Feishu
 * does. The bot cannot tell the sandbox from Feishu.
 */
export interface EventDelivery {
  deliver(eventType: string, event: unknown): Promise<{ status: number; body: unknown }>;
}

export function createEventDelivery(opts: {
  secrets: EventSecrets;
  /** Where the bot listens (known once the server is up). */
  url: () => string;
  /** Signing time: the sandbox clock, so the door's 5-minute check agrees with the bot. */
  now: () => Date;
  timeoutMs?: number;
}): EventDelivery {
  return {
    async deliver(eventType, event) {
      const nowMs = opts.now().getTime();
      const sealed = sealEvent(opts.secrets, envelope(opts.secrets, eventType, event, { createTimeMs: nowMs }), nowMs);
      const res = await fetch(opts.url(), {
        method: 'POST',
        headers: sealed.headers,
        body: sealed.body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text for the error message
      }
      return { status: res.status, body };
    },
  };
}
