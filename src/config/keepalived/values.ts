import { isIP } from 'node:net';
import type { Diagnostics } from '../diagnostics.js';
import type { Stmt } from './blocks.js';

/**
 * Readers for keyword arguments. Each reports an invalid value as an error at the statement's
 * line and returns undefined, so the caller keeps its default and parsing goes on: the operator
 * gets every mistake in one run.
 */

/** The single argument of `KEYWORD VALUE`; more or fewer words is an error. */
export function oneArg(stmt: Stmt, diags: Diagnostics): string | undefined {
  if (stmt.words.length !== 2) {
    diags.error(stmt.pos, `'${stmt.words[0]}' takes one value`, 'HALO_E_CONFIG_SYNTAX');
    return undefined;
  }
  return stmt.words[1];
}

export function noArgs(stmt: Stmt, diags: Diagnostics): boolean {
  if (stmt.words.length === 1) return true;
  diags.error(stmt.pos, `'${stmt.words[0]}' takes no value`, 'HALO_E_CONFIG_SYNTAX');
  return false;
}

/** A decimal integer within [min, max], as keepalived's read_int/read_unsigned check it. */
export function intIn(
  word: string | undefined,
  min: number,
  max: number,
  what: string,
  stmt: Stmt,
  diags: Diagnostics,
): number | undefined {
  if (word === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(word) ? Number(word) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  diags.error(stmt.pos, `${what} '${word}' is invalid: must be an integer from ${min} to ${max}`);
  return undefined;
}

/**
 * A non-negative decimal number of seconds such as `2` or `0.92`, returned as an integer count
 * of 10^-digits seconds (digits 6: microseconds, keepalived's TIMER_HZ), rounded half up.
 */
export function secondsIn(
  word: string | undefined,
  digits: number,
  minUnits: number,
  maxUnits: number,
  what: string,
  stmt: Stmt,
  diags: Diagnostics,
): number | undefined {
  if (word === undefined) return undefined;
  const m = /^(\d+)(?:\.(\d*))?$/.exec(word);
  if (m) {
    const frac = (m[2] ?? '').padEnd(digits + 1, '0');
    const units =
      Number(m[1]) * 10 ** digits + Number(frac.slice(0, digits) || '0') + (Number(frac[digits]) >= 5 ? 1 : 0);
    if (units >= minUnits && units <= maxUnits) return units;
  }
  const scale = 10 ** digits;
  diags.error(
    stmt.pos,
    `${what} '${word}' is invalid: must be from ${minUnits / scale} to ${maxUnits / scale} seconds`,
  );
  return undefined;
}

/** keepalived's check_true_false: on|off|true|false|yes|no; a bare keyword means true. */
export function boolArg(stmt: Stmt, diags: Diagnostics): boolean | undefined {
  if (stmt.words.length === 1) return true;
  const word = oneArg(stmt, diags)?.toLowerCase();
  if (word === undefined) return undefined;
  if (['on', 'true', 'yes'].includes(word)) return true;
  if (['off', 'false', 'no'].includes(word)) return false;
  diags.error(stmt.pos, `'${stmt.words[0]}' value '${stmt.words[1]}' is invalid: must be on|off|true|false|yes|no`);
  return undefined;
}

/** An IPv4 or IPv6 address without prefix; returns its family (4 or 6). */
export function ipAddress(word: string | undefined, what: string, stmt: Stmt, diags: Diagnostics): 4 | 6 | undefined {
  if (word === undefined) return undefined;
  const family = isIP(word);
  if (family === 4 || family === 6) return family;
  diags.error(stmt.pos, `${what} '${word}' is not an IP address`);
  return undefined;
}
