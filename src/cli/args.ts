import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HaloError } from '../errors.js';

/** node:util parseArgs with halo's usage error instead of a TypeError. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new HaloError('HALO_E_USAGE', (err as Error).message);
  }
}
