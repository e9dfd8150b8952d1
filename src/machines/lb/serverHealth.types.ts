/**
 * Contracts of the server health statechart: what the wiring gives it (input), what its probe
 * actor returns, the events it accepts and the JSON-safe context the journal records.
 */

/**
 * Why a check passed or failed. Layer 4: refused / timeout / reset; layer 7 (HTTP agent): bad_status /
 * bad_body; MySQL: auth / query / read_only / lag / wsrep; ICMP: unreachable (an ICMP error came
 * back); external check script: exit (non-zero status or killed); anything else: error.
 */
export type ProbeReason =
  | 'ok'
  | 'refused'
  | 'timeout'
  | 'reset'
  | 'bad_status'
  | 'bad_body'
  | 'auth'
  | 'query'
  | 'read_only'
  | 'lag'
  | 'wsrep'
  | 'unreachable'
  | 'exit'
  | 'error';

/**
 * One check's outcome. Probes never reject: every failure is a value, so the machine counts it.
 * Defined beside the machine (machines import nothing from io); src/io/checks/probe.types.ts
 * re-exports it for the probes.
 */
export interface ProbeResult {
  ok: boolean;
  reason: ProbeReason;
  detail: string;
  durationMs: number;
  /**
   * A weight the check asks for: an external check with dynamic weight (keepalived MISC_CHECK
   * `misc_dynamic`: exit 2..255 means up with weight exit-2). Absent = leave the weight alone.
   */
  weight?: number;
}

export type AdminState = 'ready' | 'maint' | 'drain';

/**
 * What happens when `errorLimit` consecutive live-traffic errors are seen (haproxy `on-error`,
 * default fail-check; every mode also hastens the next check to fastinter).
 */
export type OnErrorMode = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

export interface ServerHealthInput {
  backend: string;
  server: string;
  rise: number;
  fall: number;
  interMs: number;
  /** haproxy defaults fastinter and downinter to inter; the wiring fills them in. */
  fastInterMs: number;
  downInterMs: number;
  /** Whole-check deadline (connect + response); a probe still running then fails with 'timeout'. */
  timeoutMs: number;
  /** Delay before the first check, spread across servers by the wiring (haproxy start_checks). */
  initialDelayMs: number;
  /** Without `check`, haproxy never probes and the server stays UP. */
  checkEnabled: boolean;
  initialAdmin?: AdminState;
  /** `observe layer4` reaction; default 'fail-check'. */
  onError?: OnErrorMode;
  /** `error-limit`; default 10. */
  errorLimit?: number;
  /** Global `spread-checks` (0..50 %): each interval gets a random offset within ±pct. Default 0. */
  spreadChecksPct?: number;
  /** Seed of the deterministic jitter generator, so a replay draws the same offsets. */
  seed?: number;
}

export interface LastCheck {
  ok: boolean;
  reason: ProbeReason;
  detail: string;
  durationMs: number;
}

export interface HealthCounters {
  /** Completed checks, timeouts included. */
  checks: number;
  /** Failed checks, timeouts included (haproxy `chkfail`). */
  failures: number;
  timeouts: number;
  /** Live-traffic errors reported with PASSIVE_ERROR. */
  passiveErrors: number;
  /** Times the error limit was reached and `onError` applied (haproxy `hanafail`). */
  passiveTrips: number;
}

/** The input's settings with their defaults applied, plus the running health state. */
export interface ServerHealthContext extends Required<Omit<ServerHealthInput, 'initialAdmin' | 'seed'>> {
  /**
   * haproxy's single health counter, 0..rise+fall-1: the server is UP while health >= rise.
   * A success below rise counts up and, on reaching rise, jumps to the top; a failure at or
   * below rise drops it to 0 (src/check.c set_server_check_status).
   */
  health: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** Live-traffic errors since the last success (haproxy `consecutive_errors`). */
  consecutiveErrors: number;
  lastCheck: LastCheck | null;
  counters: HealthCounters;
  admin: AdminState;
  /** Delay chosen for the wait after the last check (interval for the health then, plus jitter). */
  nextCheckMs: number;
  /** State of the jitter generator (xorshift32). */
  rng: number;
  /** The weight the last dynamic-weight check asked for; null = the configured weight. */
  weight: number | null;
}

export type ServerHealthEvent =
  | { type: 'PASSIVE_ERROR'; reason: string }
  /** A successful live connection: clears the consecutive error count (haproxy __health_adjust). */
  | { type: 'PASSIVE_OK' }
  | { type: 'ADMIN'; state: AdminState }
  | { type: 'CHECK_NOW' };

export interface ProbeInput {
  backend: string;
  server: string;
}
