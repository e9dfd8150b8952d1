/**
 * Every error halo raises on purpose carries a stable code (HALO_E_*) and the context that
 * explains it, so logs, `halo check` and tests can match on the code instead of on prose.
 * Errors and warnings (HALO_W_*: the config still loads) share one table, as fastify keeps its
 * codes in lib/errors.js and lib/warnings.js: a code is defined once with its area and meaning;
 * each call site writes the message with the particulars (file:line, the value, the device).
 */

/** The part of halo a code belongs to: where to look when it shows up. */
export type CodeArea = 'config' | 'cli' | 'vrrp' | 'net' | 'journal' | 'nats' | 'lb';

/** One row of the table: where the code belongs and what it always means. */
export interface CatalogueEntry {
  area: CodeArea;
  meaning: string;
}

export const CODES = {
  HALO_E_CONFIG_SYNTAX: { area: 'config', meaning: 'does not parse: a stray brace, an open quote, missing words' },
  HALO_E_CONFIG_VALUE: { area: 'config', meaning: 'parses, but a value is invalid: out of range, not an address' },
  HALO_E_CONFIG_REF: { area: 'config', meaning: 'a name points at nothing or twice: unknown, duplicate, cycle' },
  HALO_E_CONFIG_IO: { area: 'config', meaning: 'a config file, or a file it names, cannot be read' },
  HALO_W_CONFIG_UNKNOWN_KEYWORD: { area: 'config', meaning: 'halo does not know this keyword or setting; ignored' },
  HALO_W_CONFIG_UNSUPPORTED: { area: 'config', meaning: 'haproxy or keepalived know it, halo does not do it; ignored' },
  HALO_W_CONFIG_IGNORED: { area: 'config', meaning: 'redundant or misplaced: extra words, a duplicate, a stray block' },
  HALO_W_CONFIG_DEPRECATED: { area: 'config', meaning: 'an old spelling or mode, still read as its replacement' },
  HALO_W_CONFIG_ADJUSTED: { area: 'config', meaning: 'out of range or in conflict; used as the line says' },
  HALO_W_CONFIG_INEFFECTIVE: { area: 'config', meaning: 'cannot work as written: no bind, no server, no option' },
  HALO_E_USAGE: { area: 'cli', meaning: 'a command was called with wrong or missing arguments' },
  HALO_E_NOT_ROOT: { area: 'cli', meaning: 'needs root (CAP_NET_RAW, CAP_NET_ADMIN) and runs without' },
  HALO_E_MISSING_TOOL: { area: 'cli', meaning: 'a program the command runs (ip, ping, arping) is not on PATH' },
  HALO_E_TIMEOUT: { area: 'cli', meaning: 'a bounded wait ran out: a state, a stop, an answer that never came' },
  HALO_E_EXEC: { area: 'cli', meaning: 'a process halo started failed or exited before it did its part' },
  HALO_E_VRRP_SOCKET: { area: 'vrrp', meaning: 'the raw VRRP socket cannot be opened, configured or used' },
  HALO_E_NET_COMMAND: { area: 'net', meaning: 'an `ip` command failed, or an interface lacks an address' },
  HALO_E_JOURNAL_IO: { area: 'journal', meaning: 'the event journal or its state files cannot be read or written' },
  HALO_E_NATS: { area: 'nats', meaning: 'NATS JetStream is unreachable, misconfigured, or its stream does not fit' },
  HALO_E_LISTEN: { area: 'lb', meaning: 'a bind cannot listen, or the proxy worker died before it did' },
} as const satisfies Record<`HALO_${'E' | 'W'}_${string}`, CatalogueEntry>;

export type HaloCode = keyof typeof CODES;
export type HaloErrorCode = Extract<HaloCode, `HALO_E_${string}`>;
export type HaloWarningCode = Extract<HaloCode, `HALO_W_${string}`>;

/** Where in a config file something came from; errors and warnings point here. */
export interface SourcePos {
  file: string;
  line: number;
}

export class HaloError extends Error {
  readonly code: HaloErrorCode;
  readonly context: Record<string, unknown>;

  constructor(
    code: HaloErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HaloError';
    this.code = code;
    this.context = context;
  }
}

/** `file:line: message`, the form compilers use, so editors can jump to it. */
export function atPos(pos: SourcePos, message: string): string {
  return `${pos.file}:${pos.line}: ${message}`;
}

export function isHaloError(err: unknown): err is HaloError {
  return err instanceof HaloError;
}
