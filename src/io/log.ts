import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { REDACTED } from '../redact.js';

export type { Logger } from 'pino';

export interface LogOptions {
  level?: string;
  /** Injected in tests to capture lines; defaults to stdout. */
  destination?: DestinationStream;
  node?: string;
}

/** Values that must never reach a log line, whatever object they ride in. */
const REDACT = [
  'password',
  '*.password',
  'authPass',
  '*.authPass',
  'auth_pass',
  '*.auth_pass',
  'token',
  '*.token',
  '*.*.password',
  '*.*.authPass',
];

export function createLogger(opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.HALO_LOG_LEVEL ?? 'info',
    base: opts.node ? { node: opts.node } : {},
    redact: { paths: REDACT, censor: REDACTED },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** One child logger per actor: every line it writes names the actor (`vrrp:VI_1`, ...). */
export function actorLogger(parent: Logger, actor: string): Logger {
  return parent.child({ actor });
}
