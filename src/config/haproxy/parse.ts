import { readFileSync } from 'node:fs';
import { HaloError } from '../../errors.js';
import { Diagnostics, type ParseResult } from '../diagnostics.js';

export type { ParseResult };
import type { LbConfig } from '../lb.model.js';
import { splitStatements } from './lines.js';
import { normalize } from './normalize.js';
import { readSections } from './sections.js';

/**
 * Parses haproxy.cfg text. Every finding is collected first; if any is an error, one HaloError
 * lists them all with file:line (code of the first), else the config comes back with warnings.
 */
export function parseHaproxyText(text: string, file: string): ParseResult<LbConfig> {
  const diag = new Diagnostics();
  const { global, proxies } = readSections(splitStatements(text, file, diag), file, diag);
  const config = normalize(global, proxies, diag);
  diag.throwIfErrors();
  return { config, warnings: diag.warnings };
}

export function parseHaproxyCfg(path: string): ParseResult<LbConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HaloError(
      'HALO_E_CONFIG_IO',
      `cannot read haproxy config ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
  return parseHaproxyText(text, path);
}
