import pino from 'pino';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** The Node entry's logger, the same on both threads: JSON lines, secrets redacted. */
export function nodeLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: undefined, redact: ['*.encryptKey', '*.appSecret', '*.token'] });
}
