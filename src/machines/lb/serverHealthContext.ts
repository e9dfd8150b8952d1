/**
 * How the server health context starts and how each check or live error changes it. Pure
 * functions of (context, fact): the statechart only decides when to apply them.
 */
import {
  afterFailure,
  afterPassiveTrip,
  afterSuccess,
  checkIntervalMs,
  maxHealth,
  nextRng,
  seedRng,
  spreadOffsetMs,
} from './healthCounter.js';
import type { ProbeResult, ServerHealthContext, ServerHealthInput } from './serverHealth.types.js';
import { MAX_WEIGHT } from './weight.js';

/** haproxy `error-limit` default. */
const DEFAULT_ERROR_LIMIT = 10;

export function initialContext(input: ServerHealthInput): ServerHealthContext {
  const params = { rise: input.rise, fall: input.fall };
  return {
    backend: input.backend,
    server: input.server,
    rise: input.rise,
    fall: input.fall,
    interMs: input.interMs,
    fastInterMs: input.fastInterMs,
    downInterMs: input.downInterMs,
    timeoutMs: input.timeoutMs,
    initialDelayMs: input.initialDelayMs,
    checkEnabled: input.checkEnabled,
    onError: input.onError ?? 'fail-check',
    errorLimit: input.errorLimit ?? DEFAULT_ERROR_LIMIT,
    spreadChecksPct: input.spreadChecksPct ?? 0,
    // server.c: "health: up, but will fall down at first failure" — a checked server starts
    // UP at the bottom of the UP band (so its first checks run at fastinter); an unchecked
    // one is simply UP.
    health: input.checkEnabled ? input.rise : maxHealth(params),
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
    consecutiveErrors: 0,
    lastCheck: null,
    counters: { checks: 0, failures: 0, timeouts: 0, passiveErrors: 0, passiveTrips: 0 },
    admin: input.initialAdmin ?? 'ready',
    nextCheckMs: input.initialDelayMs,
    rng: seedRng(input.seed ?? 0),
    weight: null,
  };
}

export function clampWeight(weight: number): number {
  return Math.max(0, Math.min(MAX_WEIGHT, Math.round(weight)));
}

/**
 * The weight a passed check asks for when it differs from the one in force; null otherwise.
 * A failed check keeps the weight (keepalived misc_dynamic: exit 1 changes nothing but health).
 */
export function requestedWeight(ctx: ServerHealthContext, result: ProbeResult): number | null {
  if (!result.ok || result.weight === undefined) return null;
  const weight = clampWeight(result.weight);
  return weight === ctx.weight ? null : weight;
}

/** Health after one check; the next wait follows from the new health (srv_getinter + spread). */
export function applyCheckResult(ctx: ServerHealthContext, result: ProbeResult): Partial<ServerHealthContext> {
  const health = result.ok ? afterSuccess(ctx.health, ctx) : afterFailure(ctx.health, ctx);
  const rng = nextRng(ctx.rng);
  const interval = checkIntervalMs(health, ctx);
  return {
    health,
    consecutiveSuccesses: result.ok ? ctx.consecutiveSuccesses + 1 : 0,
    consecutiveFailures: result.ok ? 0 : ctx.consecutiveFailures + 1,
    // A passed check clears the live error streak (set_server_check_status, CHK_RES_PASSED).
    consecutiveErrors: result.ok ? 0 : ctx.consecutiveErrors,
    lastCheck: { ok: result.ok, reason: result.reason, detail: result.detail, durationMs: result.durationMs },
    counters: {
      ...ctx.counters,
      checks: ctx.counters.checks + 1,
      failures: ctx.counters.failures + (result.ok ? 0 : 1),
      timeouts: ctx.counters.timeouts + (result.reason === 'timeout' ? 1 : 0),
    },
    nextCheckMs: interval + spreadOffsetMs(interval, ctx.spreadChecksPct, rng),
    rng,
  };
}

/** Does this live error complete a streak of `errorLimit`? */
export function passiveErrorTrips(ctx: ServerHealthContext): boolean {
  return ctx.consecutiveErrors + 1 >= ctx.errorLimit;
}

/** One live-traffic error (observe layer4); at the limit, `onError` applies and the streak restarts. */
export function applyPassiveError(ctx: ServerHealthContext, reason: string): Partial<ServerHealthContext> {
  const counters = { ...ctx.counters, passiveErrors: ctx.counters.passiveErrors + 1 };
  if (!passiveErrorTrips(ctx)) return { consecutiveErrors: ctx.consecutiveErrors + 1, counters };
  return {
    health: afterPassiveTrip(ctx.health, ctx.onError, ctx),
    consecutiveErrors: 0,
    counters: { ...counters, passiveTrips: counters.passiveTrips + 1 },
    lastCheck:
      ctx.onError === 'fastinter'
        ? ctx.lastCheck
        : {
            ok: false,
            reason: 'error',
            detail: `${ctx.errorLimit} consecutive live errors, last: ${reason}`,
            durationMs: 0,
          },
  };
}

/** Why the server is where it is, for serverUp/serverDown. */
export function stateReason(ctx: ServerHealthContext): string {
  if (!ctx.checkEnabled) return 'checks disabled';
  if (!ctx.lastCheck) return 'initial state';
  return ctx.lastCheck.ok ? 'check passed' : `${ctx.lastCheck.reason}: ${ctx.lastCheck.detail}`;
}
