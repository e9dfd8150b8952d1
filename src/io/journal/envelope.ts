/**
 * The event envelope: one JSON object per transition of one actor. It is the contract between
 * the mapper (src/actors/transitionMapper.ts), the local journal, NATS subscribers and replay,
 * so it is versioned (`v`) and carries its own identity (`id`) and order (`boot`, `seq`).
 */
export interface EventEnvelope {
  v: 1;
  /** `${node}:${boot}:${seq}`; also the `Nats-Msg-Id`, so a re-sent envelope is deduplicated. */
  id: string;
  node: string;
  /** Incremented once per daemon start (bootId.ts), so `seq` may restart at 1 without clashing. */
  boot: number;
  /** Per boot, gapless, starting at 1. */
  seq: number;
  /** Wall-clock milliseconds. */
  ts: number;
  /** The actor's systemId, e.g. `vrrp:VI_1`. */
  actor: string;
  /** The machine's id, e.g. `vrrpInstance`. */
  machine: string;
  /** State value before (stateValueToString form); null for the actor's first snapshot. */
  from: string | null;
  to: string;
  /** The event that caused the transition, JSON-safe, secrets redacted. */
  event: Record<string, unknown> & { type: string };
  /** The machine's context after the transition, JSON-safe, secrets redacted. */
  context: Record<string, unknown>;
}

/** Where an envelope sits in a node's history: boots in order, then seq within a boot. */
export interface JournalPosition {
  boot: number;
  seq: number;
}

export const SUBJECT_PREFIX = 'halo.events';

export function envelopeId(node: string, pos: JournalPosition): string {
  return `${node}:${pos.boot}:${pos.seq}`;
}

/**
 * Parses the position out of an id. The node name is everything before the last two `:`
 * fields, so a node name containing `:` still parses. Returns null when it is not an id.
 */
export function parseEnvelopeId(id: string): (JournalPosition & { node: string }) | null {
  const m = /^(.*):(\d+):(\d+)$/.exec(id);
  if (!m) return null;
  return { node: m[1]!, boot: Number(m[2]), seq: Number(m[3]) };
}

export function comparePositions(a: JournalPosition, b: JournalPosition): number {
  return a.boot - b.boot || a.seq - b.seq;
}

/**
 * Escapes one subject token. NATS splits subjects on `.`, treats `*` and `>` as wildcards and
 * forbids whitespace, so a node or actor name must not carry them raw. The escape is
 * percent-encoding of UTF-8 bytes: `%`, `.`, `*`, `>` and every byte outside printable ASCII
 * (0x21–0x7E, so space, tabs, newlines and non-ASCII too) become `%XX` (upper-case hex).
 * An empty token becomes a bare `%`, which no escaped non-empty token can produce (a literal
 * `%` is always `%25`), so the mapping stays one-to-one and `unescapeSubjectToken` inverts it.
 */
export function escapeSubjectToken(token: string): string {
  if (token === '') return '%';
  let out = '';
  for (const byte of Buffer.from(token, 'utf8')) {
    const safe = byte >= 0x21 && byte <= 0x7e && byte !== 0x25 && byte !== 0x2e && byte !== 0x2a && byte !== 0x3e;
    out += safe ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unescapeSubjectToken(token: string): string {
  if (token === '%') return '';
  return decodeURIComponent(token);
}

/** `vrrp:VI_1` → kind `vrrp`, name `VI_1`; an id without `:` (`journal`) has an empty name. */
export function splitActorId(actor: string): { kind: string; name: string } {
  const colon = actor.indexOf(':');
  return colon < 0 ? { kind: actor, name: '' } : { kind: actor.slice(0, colon), name: actor.slice(colon + 1) };
}

/** `halo.events.<node>.<actor kind>.<actor name>`, every token escaped (escapeSubjectToken). */
export function subjectFor(env: Pick<EventEnvelope, 'node' | 'actor'>): string {
  const { kind, name } = splitActorId(env.actor);
  return [SUBJECT_PREFIX, escapeSubjectToken(env.node), escapeSubjectToken(kind), escapeSubjectToken(name)].join('.');
}

/**
 * xstate StateValue → one string. A compound value is its path joined with `.`
 * (`{ backup: 'waiting' }` → `backup.waiting`); a parallel value lists each active leaf path in
 * the machine's region order joined with `,` (`{ p: { a: 'x', b: 'y' } }` → `p.a.x,p.b.y`).
 * An atomic region inside a parallel state (`{}` in xstate) ends its path.
 */
export function stateValueToString(value: unknown): string {
  return leafPaths(value, '').join(',');
}

function leafPaths(value: unknown, prefix: string): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (value === null || typeof value !== 'object') return [prefix || String(value)];
  const keys = Object.keys(value);
  if (keys.length === 0) return [prefix];
  return keys.flatMap((k) => leafPaths((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
}

/** The widest time a JavaScript Date holds (ECMA-262 §21.4.1.1); beyond it `ts` prints as nothing. */
export const MAX_TIME_MS = 8.64e15;

/**
 * Shape check for one journal line: every field a reader uses has its type, so printing,
 * projecting or replaying an envelope cannot trip over a missing one. Anything else (a
 * truncated write, a stray edit) is a corrupt line.
 */
export function isEnvelope(x: unknown): x is EventEnvelope {
  if (!isObject(x)) return false;
  const e = x as Record<string, unknown>;
  return (
    e.v === 1 &&
    typeof e.id === 'string' &&
    typeof e.node === 'string' &&
    Number.isSafeInteger(e.boot) &&
    Number.isSafeInteger(e.seq) &&
    Number.isSafeInteger(e.ts) &&
    Math.abs(e.ts as number) <= MAX_TIME_MS &&
    typeof e.actor === 'string' &&
    typeof e.machine === 'string' &&
    (e.from === null || typeof e.from === 'string') &&
    typeof e.to === 'string' &&
    isObject(e.event) &&
    typeof e.event.type === 'string' &&
    isObject(e.context)
  );
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object';
}
