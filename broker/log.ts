// Owns the broker's structured JSON logger (pino). Hot paths log at debug
// only; info is for lifecycle events.

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'floe' } }, pino.destination(2));
}
