import { atPos, HaloError, type HaloErrorCode, type HaloWarningCode, type SourcePos } from '../errors.js';

/** One finding about a config file: errors stop a start, warnings are logged and ignored. */
export type Diagnostic =
  | { severity: 'error'; code: HaloErrorCode; message: string; pos: SourcePos }
  | { severity: 'warning'; code: HaloWarningCode; message: string; pos: SourcePos };

export type ErrorDiagnostic = Extract<Diagnostic, { severity: 'error' }>;
export type WarningDiagnostic = Extract<Diagnostic, { severity: 'warning' }>;

/** A parsed config and the warnings worth logging; errors never get here, they throw. */
export interface ParseResult<T> {
  config: T;
  warnings: WarningDiagnostic[];
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

  warn(pos: SourcePos, message: string, code: HaloWarningCode): void {
    this.items.push({ severity: 'warning', code, message, pos });
  }

  get errors(): ErrorDiagnostic[] {
    return this.items.filter((d): d is ErrorDiagnostic => d.severity === 'error');
  }

  get warnings(): WarningDiagnostic[] {
    return this.items.filter((d): d is WarningDiagnostic => d.severity === 'warning');
  }

  throwIfErrors(): void {
    const errors = this.errors;
    if (errors.length === 0) return;
    const first = errors[0]!;
    const lines = errors.map((d) => atPos(d.pos, d.message));
    throw new HaloError(first.code, `invalid configuration:\n  ${lines.join('\n  ')}`, { diagnostics: errors });
  }
}

/** `warning: HALO_W_…: file:line: message`, the code where `halo: HALO_E_…: message` has it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity}: ${d.code}: ${atPos(d.pos, d.message)}`;
}
