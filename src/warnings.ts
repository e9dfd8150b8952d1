/**
 * The warning codes (HALO_W_*), one table as fastify keeps lib/warnings.js beside lib/errors.js.
 * A warning never stops halo: the config still loads, and `halo check` prints each finding with
 * its code so an operator can tell "halo ignores this" from "this cannot work as written".
 */
import type { CatalogueEntry } from './errors.js';

export const WARNINGS = {
  HALO_W_CONFIG_UNKNOWN_KEYWORD: { area: 'config', meaning: 'halo does not know this keyword or setting; ignored' },
  HALO_W_CONFIG_UNSUPPORTED: {
    area: 'config',
    meaning: 'haproxy or keepalived accept this but halo does not implement it; ignored or replaced as the line says',
  },
  HALO_W_CONFIG_IGNORED: {
    area: 'config',
    meaning: 'redundant or misplaced: extra words, a duplicate, a block or keyword where none belongs; ignored',
  },
  HALO_W_CONFIG_DEPRECATED: { area: 'config', meaning: 'an old spelling or mode, still read as its replacement' },
  HALO_W_CONFIG_ADJUSTED: {
    area: 'config',
    meaning: 'a value out of range, in conflict with another or read otherwise than haproxy does; the line says how',
  },
  HALO_W_CONFIG_INEFFECTIVE: {
    area: 'config',
    meaning: 'valid, but it cannot take effect as written: no bind, no server, a setting without its option',
  },
} as const satisfies Record<`HALO_W_${string}`, CatalogueEntry>;

export type HaloWarningCode = keyof typeof WARNINGS;
