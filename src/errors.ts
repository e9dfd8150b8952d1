/**
 * Every error halo raises on purpose carries a stable code (HALO_E_*) and the context that
 * explains it, so logs, `halo check` and tests can match on the code instead of on prose.
 * The codes live in one table, as fastify keeps its FST_ERR_* in lib/errors.js: a code is
 * defined once with its area and meaning; each call site writes the message with the
 * particulars (file:line, the value, the device). Warnings have their own table (warnings.ts).
 */

/** The part of halo a code belongs to: where to look when it shows up. */
export type CodeArea = 'config' | 'cli' | 'vrrp' | 'net' | 'journal' | 'nats' | 'lb';

/** One row of the error or warning table: where the code belongs and what it always means. */
export interface CatalogueEntry {
  area: CodeArea;
  meaning: string;
}

export const ERRORS = {
  HALO_E_CONFIG_SYNTAX: {
    area: 'config',
    meaning: 'a config file or command line does not parse: a stray brace, a quote left open, missing words',
  },
  HALO_E_CONFIG_VALUE: {
    area: 'config',
    meaning: 'a setting parses but its value is invalid: out of range, not an address, a wrong unit',
  },
  HALO_E_CONFIG_REF: {
    area: 'config',
    meaning: 'a name points at nothing or twice: an unknown backend or script, a duplicate, an include cycle',
  },
  HALO_E_CONFIG_IO: { area: 'config', meaning: 'a config file or a file it names cannot be read' },
  HALO_E_USAGE: { area: 'cli', meaning: 'a command was called with wrong or missing arguments' },
  HALO_E_NOT_ROOT: { area: 'cli', meaning: 'the command needs root (CAP_NET_RAW, CAP_NET_ADMIN) and runs without' },
  HALO_E_VRRP_SOCKET: { area: 'vrrp', meaning: 'the raw VRRP socket cannot be opened, configured or used' },
  HALO_E_NET_COMMAND: {
    area: 'net',
    meaning: 'the network cannot be read or changed: an `ip` command failed, an interface lacks an address',
  },
  HALO_E_JOURNAL_IO: { area: 'journal', meaning: 'the local event journal or its state files cannot be read or written' },
  HALO_E_NATS: { area: 'nats', meaning: 'NATS JetStream is unreachable, misconfigured, or its stream does not fit' },
  HALO_E_LISTEN: { area: 'lb', meaning: 'a load-balancer bind cannot listen, or its worker died before it did' },
} as const satisfies Record<`HALO_E_${string}`, CatalogueEntry>;

export type HaloErrorCode = keyof typeof ERRORS;

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
