/**
 * Turns whatever a machine holds (contexts, events) into plain JSON that can be journaled,
 * published and replayed, with secrets removed. Total: it never throws on odd input.
 */

import { isSecretKey, REDACTED } from '../../redact.js';

export { REDACTED };

export interface JsonSafeOptions {
  /** Extra key names (exact, case-insensitive) to redact besides src/redact.ts's rule. */
  redactKeys?: readonly string[];
  /** Nesting deeper than this is cut to the string `[depth]`; contexts are shallow in practice. */
  maxDepth?: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Marker for "leave this out": functions, actor refs, symbols, undefined. */
const OMIT = Symbol('omit');

/**
 * Plain JSON copy of `value`: functions, symbols, undefined and xstate actor refs are dropped
 * (they are wiring, not state; a child's own envelopes carry its state), Buffers and typed arrays
 * become hex strings, Maps plain objects, Sets arrays, Dates ISO strings, bigints decimal strings,
 * Errors `{ name, message, code? }`, cycles `[circular]`, non-finite numbers null. Values under a
 * secret key (src/redact.ts) or `redactKeys` become `[redacted]`, at any depth.
 */
export function toJsonSafe(value: unknown, opts: JsonSafeOptions = {}): JsonValue {
  const extra = new Set((opts.redactKeys ?? []).map((k) => k.toLowerCase()));
  const isSecret = (key: string): boolean => isSecretKey(key) || extra.has(key.toLowerCase());
  const maxDepth = opts.maxDepth ?? 32;
  const seen = new Set<object>();

  const entries = (pairs: Iterable<[string, unknown]>, depth: number): { [k: string]: JsonValue } => {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, v] of pairs) {
      if (isSecret(k)) {
        out[k] = REDACTED;
        continue;
      }
      const safe = walk(v, depth + 1);
      if (safe !== OMIT) out[k] = safe;
    }
    return out;
  };

  const walk = (v: unknown, depth: number): JsonValue | typeof OMIT => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'bigint':
        return v.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return OMIT;
    }
    if (v === null) return null;
    const obj = v as object;
    if (isActorRef(obj)) return OMIT;
    if (ArrayBuffer.isView(obj)) return Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('hex');
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (depth >= maxDepth) return '[depth]';
    if (seen.has(obj)) return '[circular]';
    seen.add(obj);
    try {
      if (Array.isArray(obj))
        return obj.map((x) => {
          const s = walk(x, depth + 1);
          return s === OMIT ? null : s;
        });
      if (obj instanceof Set)
        return [...obj].map((x) => {
          const s = walk(x, depth + 1);
          return s === OMIT ? null : s;
        });
      if (obj instanceof Map)
        return entries(
          [...obj].map(([k, x]): [string, unknown] => [String(k), x]),
          depth,
        );
      if (obj instanceof Error) {
        const code = (obj as { code?: unknown }).code;
        return entries(Object.entries({ name: obj.name, message: obj.message, code }), depth);
      }
      return entries(safeEntries(obj), depth);
    } finally {
      seen.delete(obj);
    }
  };

  const top = walk(value, 0);
  return top === OMIT ? null : top;
}

/** Same as toJsonSafe, for values that must come out as an object (contexts, events). */
export function toJsonSafeObject(value: unknown, opts: JsonSafeOptions = {}): Record<string, JsonValue> {
  const safe = toJsonSafe(value, opts);
  return safe !== null && typeof safe === 'object' && !Array.isArray(safe) ? safe : { value: safe };
}

/** xstate actor refs (and actors) carry a sessionId and a send function; never journal them. */
function isActorRef(obj: object): boolean {
  const o = obj as { sessionId?: unknown; send?: unknown };
  return typeof o.sessionId === 'string' && typeof o.send === 'function';
}

/** Own enumerable entries; a throwing getter reads as the string `[unreadable]`. */
function safeEntries(obj: object): [string, unknown][] {
  return Object.keys(obj).map((k) => {
    try {
      return [k, (obj as Record<string, unknown>)[k]];
    } catch {
      return [k, '[unreadable]'];
    }
  });
}
