/**
 * Every error halo raises on purpose carries a stable code (HALO_E_*) and the context that
 * explains it, so logs, `halo check` and tests can match on the code instead of on prose.
 */
export type HaloErrorCode =
  | 'HALO_E_CONFIG_SYNTAX'
  | 'HALO_E_CONFIG_VALUE'
  | 'HALO_E_CONFIG_REF'
  | 'HALO_E_CONFIG_IO'
  | 'HALO_E_VRRP_SOCKET'
  | 'HALO_E_NET_COMMAND'
  | 'HALO_E_EXEC'
  | 'HALO_E_JOURNAL_IO'
  | 'HALO_E_NATS'
  | 'HALO_E_USAGE'
  | 'HALO_E_NOT_ROOT'
  | 'HALO_E_LISTEN';

/** Where in a config file something came from; errors and warnings point here. */
export interface SourcePos {
  file: string;
  line: number;
}

export class HaloError extends Error {
  readonly code: HaloErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: HaloErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
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
