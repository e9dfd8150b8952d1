/**
 * Server selection for a backend, pure: which server gets the next connection, given the
 * servers' state, the algorithm and a small cursor that the caller carries from pick to pick.
 * No clock and no randomness of its own: the caller passes `nowMs` (slowstart) and the cursor
 * carries the xorshift state (random), so a table test can replay any sequence.
 *
 * Semantics follow haproxy's configuration.txt 4.2 "balance", 5.2 "backup"/"weight"/
 * "slowstart"/"maxconn" and 4.2 "option allbackups":
 *  - only servers that are UP, not in maintenance or drain and with a non-zero weight carry
 *    traffic ("usable"); backups carry it only when no primary is usable, and then only the
 *    first usable backup unless `option allbackups`;
 *  - a usable server at its `maxconn` is full: the connection goes elsewhere, and if every
 *    usable server is full it waits in the backend's queue;
 *  - roundrobin / static-rr are weighted round robin, smooth (each server gets exactly its
 *    weight per cycle of sum(weights) picks, interleaved; haproxy's ebtree scheduler gives the
 *    same counts); slowstart ramps the weight of the dynamic algorithms only;
 *  - leastconn: the lowest connections/weight ratio, round robin among equals;
 *  - source: a hash of the client address over the weighted server list (hash-type map-based),
 *    so a client sticks to its server while the usable set does not change;
 *  - first: the first server (declaration order) with a free slot;
 *  - random: weighted random, power of two choices (haproxy's `random(2)` default).
 */
import { nextRng, seedRng } from './healthCounter.js';
import type { AdminState } from './serverHealth.types.js';

/** haproxy's TCP-meaningful `balance` algorithms (same union as the config model's LbBalance). */
export type BalanceAlgorithm = 'roundrobin' | 'static-rr' | 'leastconn' | 'source' | 'first' | 'random';

export interface BalancedServer {
  /** Configured weight, 0..MAX_WEIGHT of weight.ts (0: no new traffic). */
  weight: number;
  backup: boolean;
  /** 0 = unlimited. */
  maxconn: number;
  slowstartMs: number;
  up: boolean;
  admin: AdminState;
  /** When the server last came UP after being DOWN; null = up since start (no slowstart ramp). */
  upSinceMs: number | null;
  /** Connections it currently carries. */
  active: number;
}

export interface BalancerCursor {
  /** Smooth weighted round robin: each server's running score, by index. */
  rr: number[];
  /** Where leastconn resumes among equally loaded servers. */
  next: number;
  /** xorshift32 state for `random`. */
  rng: number;
}

export interface PickRequest {
  nowMs: number;
  /** Client address for `balance source`. */
  sourceKey?: string;
  /** Servers not to pick (a redispatch avoids the one that just failed). */
  exclude?: ReadonlySet<number>;
}

export type Pick =
  | { kind: 'server'; index: number }
  /**
   * Usable servers exist but all are full: wait in the backend queue. `server`: the one server
   * this client must wait for (`source` persistence), whose own `maxqueue` then applies (5.2).
   */
  | { kind: 'queue'; server?: number }
  /** No usable server at all. */
  | { kind: 'none' };

export interface PickResult {
  pick: Pick;
  cursor: BalancerCursor;
}

export interface BalancerSettings {
  algorithm: BalanceAlgorithm;
  allBackups: boolean;
}

export function initialCursor(serverCount: number, seed = 0): BalancerCursor {
  return { rr: new Array<number>(serverCount).fill(0), next: 0, rng: seedRng(seed) };
}

/** Weights that change with time or load; static-rr, first and source use the configured one. */
const DYNAMIC: ReadonlySet<BalanceAlgorithm> = new Set(['roundrobin', 'leastconn', 'random']);

/**
 * slowstart (5.2): after coming back UP the weight grows linearly from 1 to its full value
 * over `slowstartMs`; rounded up so a ramping server is never starved to 0.
 */
export function slowstartWeight(weight: number, slowstartMs: number, sinceUpMs: number | null): number {
  if (weight <= 0 || slowstartMs <= 0 || sinceUpMs === null || sinceUpMs >= slowstartMs) return weight;
  return Math.max(1, Math.ceil((weight * Math.max(0, sinceUpMs)) / slowstartMs));
}

export function isUsable(s: BalancedServer): boolean {
  return s.up && s.admin === 'ready' && s.weight > 0;
}

function isFull(s: BalancedServer): boolean {
  return s.maxconn > 0 && s.active >= s.maxconn;
}

/** Indices that may take new traffic now, with the weight each carries (primaries, else backups). */
export function activeSet(
  servers: readonly BalancedServer[],
  settings: BalancerSettings,
  nowMs: number,
  exclude?: ReadonlySet<number>,
): Array<{ index: number; weight: number }> {
  const dynamic = DYNAMIC.has(settings.algorithm);
  const weightOf = (s: BalancedServer): number =>
    dynamic ? slowstartWeight(s.weight, s.slowstartMs, s.upSinceMs === null ? null : nowMs - s.upSinceMs) : s.weight;
  const primaries: Array<{ index: number; weight: number }> = [];
  const backups: Array<{ index: number; weight: number }> = [];
  servers.forEach((s, index) => {
    if (isUsable(s) && !exclude?.has(index)) (s.backup ? backups : primaries).push({ index, weight: weightOf(s) });
  });
  if (primaries.length > 0) return primaries;
  return settings.allBackups ? backups : backups.slice(0, 1);
}

/** FNV-1a over the address text: stable across restarts, so `source` keeps clients where they were. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Is `a` less loaded than `b` (connections per unit of weight)? */
function lighter(
  servers: readonly BalancedServer[],
  a: { index: number; weight: number },
  b: { index: number; weight: number },
): boolean {
  return servers[a.index]!.active * b.weight < servers[b.index]!.active * a.weight;
}

function sameLoad(
  servers: readonly BalancedServer[],
  a: { index: number; weight: number },
  b: { index: number; weight: number },
): boolean {
  return servers[a.index]!.active * b.weight === servers[b.index]!.active * a.weight;
}

export function pickServer(
  servers: readonly BalancedServer[],
  settings: BalancerSettings,
  cursor: BalancerCursor,
  req: PickRequest,
): PickResult {
  // An excluded server counts as unusable, so a redispatch away from the last live primary
  // reaches the backups (haproxy would pick that primary again until a check marks it DOWN).
  const usable = activeSet(servers, settings, req.nowMs, req.exclude);
  if (usable.length === 0) return { pick: { kind: 'none' }, cursor };
  const open = usable.filter((c) => !isFull(servers[c.index]!));
  const server = (index: number, next: BalancerCursor = cursor): PickResult => ({
    pick: { kind: 'server', index },
    cursor: next,
  });
  const queue: PickResult = { pick: { kind: 'queue' }, cursor };

  switch (settings.algorithm) {
    case 'first': {
      const first = open[0];
      return first ? server(first.index) : queue;
    }
    case 'source': {
      // map-based: the hash lands in a table where each server holds `weight` slots; a full
      // server keeps its clients waiting rather than moving them (persistence over balance).
      const total = usable.reduce((n, c) => n + c.weight, 0);
      let slot = hashKey(req.sourceKey ?? '') % total;
      for (const c of usable) {
        if (slot < c.weight)
          return isFull(servers[c.index]!) ? { pick: { kind: 'queue', server: c.index }, cursor } : server(c.index);
        slot -= c.weight;
      }
      return queue;
    }
    case 'leastconn': {
      if (open.length === 0) return queue;
      // Start the scan at the cursor so that among equally loaded servers the turn rotates.
      const start = open.findIndex((c) => c.index >= cursor.next);
      const ordered = start <= 0 ? open : [...open.slice(start), ...open.slice(0, start)];
      let best = ordered[0]!;
      for (const c of ordered) if (lighter(servers, c, best)) best = c;
      const tie = ordered.find((c) => sameLoad(servers, c, best)) ?? best;
      return server(tie.index, { ...cursor, next: tie.index + 1 });
    }
    case 'random': {
      if (open.length === 0) return queue;
      const total = open.reduce((n, c) => n + c.weight, 0);
      let rng = cursor.rng;
      const draw = (): { index: number; weight: number } => {
        rng = nextRng(rng);
        let slot = rng % total;
        for (const c of open) {
          if (slot < c.weight) return c;
          slot -= c.weight;
        }
        return open[open.length - 1]!;
      };
      const a = draw();
      const b = draw();
      return server((lighter(servers, b, a) ? b : a).index, { ...cursor, rng });
    }
    case 'roundrobin':
    case 'static-rr': {
      if (open.length === 0) return queue;
      // Smooth weighted round robin: every candidate gains its weight, the highest score wins
      // and pays the total back. Over sum(weights) picks each server is chosen weight times.
      const rr = cursor.rr.slice();
      const total = open.reduce((n, c) => n + c.weight, 0);
      let best = open[0]!;
      for (const c of open) {
        rr[c.index] = (rr[c.index] ?? 0) + c.weight;
        if ((rr[c.index] ?? 0) > (rr[best.index] ?? 0)) best = c;
      }
      rr[best.index] = (rr[best.index] ?? 0) - total;
      return server(best.index, { ...cursor, rr });
    }
  }
}
