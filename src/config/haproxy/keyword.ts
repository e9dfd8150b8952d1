/**
 * What a proxy-section keyword handler gets and declares, and the argument checks they share
 * (proxyKeywords.ts, checkKeywords.ts).
 */
import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { LbCondition } from '../lb.model.js';
import type { ProxyDraft } from './proxy.js';
import { parseIntIn } from './values.js';

/** One statement inside a proxy section, with the keyword words already removed from `args`. */
export interface Ctx {
  draft: ProxyDraft;
  args: string[];
  pos: SourcePos;
  diag: Diagnostics;
  /** The statement started with `no` (e.g. `no option redispatch`). */
  negate: boolean;
}

/**
 * Where a keyword may appear, as in the "May be used in sections" matrix of configuration.txt 4.2:
 * `fe` needs frontend capability (frontend, listen), `be` backend capability (backend, listen).
 */
export interface Keyword {
  cap: 'fe' | 'be' | 'both';
  inDefaults: boolean;
  negatable: boolean;
  handle: (c: Ctx) => void;
}

export const kw = (cap: Keyword['cap'], handle: (c: Ctx) => void, more: Partial<Keyword> = {}): Keyword => ({
  cap,
  inDefaults: true,
  negatable: false,
  handle,
  ...more,
});

/** Reports a statement with a missing or extra argument; returns false when the count is wrong. */
export function expectArgs(c: Ctx, keyword: string, min: number, max: number): boolean {
  if (c.args.length >= min && c.args.length <= max) return true;
  const want = min === max ? `${min}` : `${min} to ${max}`;
  c.diag.error(c.pos, `'${keyword}' expects ${want} argument(s), got ${c.args.length}`, 'HALO_E_CONFIG_SYNTAX');
  return false;
}

export function setInt(c: Ctx, keyword: string, min: number, max: number, set: (n: number) => void): void {
  if (!expectArgs(c, keyword, 1, 1)) return;
  const n = parseIntIn(c.args[0]!, min, max);
  if (n === null) c.diag.error(c.pos, `'${keyword}': '${c.args[0]}' is not an integer in ${min}..${max}`);
  else set(n);
}

/** `if COND...` / `unless COND...` at args[from]; undefined when the words are not a condition. */
export function readCondition(c: Ctx, from: number): LbCondition | null | undefined {
  const kind = c.args[from];
  if (kind === undefined) return null;
  if ((kind !== 'if' && kind !== 'unless') || c.args.length === from + 1) {
    c.diag.error(
      c.pos,
      `expected 'if <condition>' or 'unless <condition>', got '${c.args.slice(from).join(' ')}'`,
      'HALO_E_CONFIG_SYNTAX',
    );
    return undefined;
  }
  return { kind, text: c.args.slice(from + 1).join(' '), pos: c.pos };
}
