/**
 * haproxy's health arithmetic, pure: one counter against rise/fall, the interval it implies, and
 * the spread-checks jitter. Sources: haproxy 2.6 src/check.c (set_server_check_status,
 * __health_adjust, process_chk_conn) and src/server.c (srv_getinter).
 */
import type { OnErrorMode } from './serverHealth.types.js';

export interface HealthParams {
  rise: number;
  fall: number;
}

/** Top of the counter: a server here is "UP 100%" and checked every `inter`. */
export function maxHealth(p: HealthParams): number {
  return p.rise + p.fall - 1;
}

export function isUp(health: number, p: HealthParams): boolean {
  return health >= p.rise;
}

/** A passed check: count up while going up; reaching rise means fully up at once. */
export function afterSuccess(health: number, p: HealthParams): number {
  const top = maxHealth(p);
  if (health >= top) return top;
  return health + 1 >= p.rise ? top : health + 1;
}

/**
 * A failed check: count down while still UP; once below rise the server is DOWN and the
 * counter restarts from 0, so a server going up must pass `rise` checks in a row again.
 */
export function afterFailure(health: number, p: HealthParams): number {
  if (health <= 0) return 0;
  return health - 1 < p.rise ? 0 : health - 1;
}

/**
 * `on-error` once `error-limit` consecutive live errors were seen (__health_adjust):
 * sudden-death leaves the server one failure from DOWN, mark-down takes it DOWN now,
 * fail-check counts one failed check, fastinter only hastens the next check.
 */
export function afterPassiveTrip(health: number, mode: OnErrorMode, p: HealthParams): number {
  switch (mode) {
    case 'fastinter':
      return health;
    case 'fail-check':
      return afterFailure(health, p);
    case 'sudden-death':
      return afterFailure(health > p.rise ? p.rise + 1 : health, p);
    case 'mark-down':
      return afterFailure(p.rise, p);
  }
}

export interface IntervalParams extends HealthParams {
  interMs: number;
  fastInterMs: number;
  downInterMs: number;
}

/**
 * srv_getinter: `inter` at the top of the counter, `downinter` at the bottom (fully DOWN),
 * `fastinter` in between (going up, going down, or not yet checked since start).
 */
export function checkIntervalMs(health: number, p: IntervalParams): number {
  if (health >= maxHealth(p)) return p.interMs;
  if (health === 0) return p.downInterMs;
  return p.fastInterMs;
}

/** Non-zero seed for xorshift32 (zero is its fixed point). */
export function seedRng(seed: number): number {
  return seed >>> 0 || 0x9e3779b9;
}

/** One xorshift32 step: deterministic, so a journal replay draws the same jitter. */
export function nextRng(state: number): number {
  let x = state >>> 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/**
 * spread-checks: rv = interval * pct / 100, then rv -= 2 * rv * random, so the offset lies in
 * [-rv, +rv] (process_chk_conn). `rng` is the already advanced generator state.
 */
export function spreadOffsetMs(intervalMs: number, pct: number, rng: number): number {
  const rv = Math.floor((intervalMs * pct) / 100);
  return rv - Math.floor((2 * rv * rng) / 0xffffffff);
}
