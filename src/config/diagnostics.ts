import { atPos, HaloError, type HaloErrorCode, type SourcePos } from '../errors.js';

/** One finding about a config file: errors stop a start, warnings are logged and ignored. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  code: HaloErrorCode;
  message: string;
  pos: SourcePos;
}

/** A parsed config and the warnings worth logging; errors never get here, they throw. */
export interface ParseResult<T> {
  config: T;
  warnings: Diagnostic[];
}

/**
 * Collects every finding of one parse so the operator sees all of them at once, not the first
 * only; `throwIfErrors` turns them into one HaloError whose message lists each with file:line.
 */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(pos: SourcePos, message: string, code: HaloErrorCode = 'HALO_E_CONFIG_VALUE'): void {
    this.items.push({ severity: 'error', code, message, pos });
  }

  warn(pos: SourcePos, message: string): void {
    this.items.push({ severity: 'warning', code: 'HALO_E_CONFIG_SYNTAX', message, pos });
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }

  throwIfErrors(): void {
    const errors = this.errors;
    if (errors.length === 0) return;
    const first = errors[0]!;
    const lines = errors.map((d) => atPos(d.pos, d.message));
    throw new HaloError(first.code, `invalid configuration:\n  ${lines.join('\n  ')}`, { diagnostics: errors });
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity}: ${atPos(d.pos, d.message)}`;
}
