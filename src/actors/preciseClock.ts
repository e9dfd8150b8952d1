/**
 * The actor system's clock. Node's timers fire on libuv's whole-millisecond loop clock and are
 * routinely 1–5 ms late on a busy loop; keepalived's VRRP timers are microsecond-exact, and
 * Master_Down_Interval (3609.375 ms at priority 100) should not lose to it. So a timer is armed
 * a little early and its last stretch is finished on setImmediate turns against
 * performance.now(). The spin is bounded by SPIN_MS per timer, and nothing blocks: I/O keeps
 * flowing between the turns.
 */
/** xstate's Clock (not exported by the package): what createActor's `clock` option takes. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface PreciseClock extends Clock {
  /**
   * Runs `fn` with the timers it arms counted from `origin` (a performance.now() reading, not
   * in the future) instead of from the moment they are armed. An advert re-arms
   * Master_Down_Timer "on receipt" (RFC 3768 6.4.2); decoding it and running the statechart
   * take ~0.6 ms that would otherwise be added to every failover.
   */
  armFrom<T>(origin: number, fn: () => T): T;
  /**
   * Calls `warm` with the timer's delay once per timer, WARM_LEAD_MS before it is due, in the
   * spin that finishes it. A backup's one takeover runs cold (caches and CPU state left by
   * seconds of idling): a pure dry run of the same transition just before it makes the real one
   * cheaper. The delay lets a warmer pick its own timer. Returns the unsubscribe.
   */
  onWarm(warm: (delayMs: number) => void): () => void;
  /**
   * Runs throwaway timers back to back (PRIME_ROUNDS × PRIME_MS), so V8 has optimized the spin
   * before a deadline that matters. A backup arms no timer that comes near its end until its
   * one takeover: the spin then ran unoptimized (4 µs a turn instead of 1) and V8 compiled it
   * right there, on a worker thread that took the daemon's CPU for 0.4–1 ms at the deadline.
   * Resolves when done.
   */
  prime(): Promise<void>;
}

/** Set only while armFrom runs its callback. */
let armOrigin: number | null = null;

/** Node's timers were seen up to ~3.5 ms late in the daemon; the spin covers that. */
const SPIN_MS = 4;

/**
 * A warm-up (the takeover rehearsal and the ip helper's no-op: 0.3–0.4 ms) runs as close to the
 * deadline as it can and still be over before it: the closer, the warmer the caches the real
 * transition finds (fire → addVips 0.14–0.17 ms at a 1.2 ms lead, 0.16–0.27 ms at 3 ms). A timer
 * whose spin starts too late for it fires without one.
 */
const WARM_LEAD_MS = 1.2;
const WARM_MIN_LEFT_MS = 0.6;

/** 20 spins of ~4 ms, a few thousand turns each: enough for V8's optimizing tiers. */
const PRIME_ROUNDS = 20;
const PRIME_MS = 6;

const warmers = new Set<(delayMs: number) => void>();

function warmUp(delayMs: number): void {
  for (const warm of warmers) {
    try {
      warm(delayMs);
    } catch {
      // A warm-up only saves time; if it cannot run, the real transition still will.
    }
  }
}

interface PreciseTimer {
  timeout?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
  cancelled: boolean;
  warmed: boolean;
}

export const preciseClock: PreciseClock = {
  setTimeout(fn: () => void, ms: number): PreciseTimer {
    const now = performance.now();
    const due = Math.min(armOrigin ?? now, now) + ms;
    const timer: PreciseTimer = { cancelled: false, warmed: false };
    const finish = (): void => {
      if (timer.cancelled) return;
      const left = due - performance.now();
      if (!timer.warmed && left <= WARM_LEAD_MS) {
        timer.warmed = true;
        if (left >= WARM_MIN_LEFT_MS) warmUp(ms);
      }
      if (performance.now() >= due) {
        // A timer armed by this one's callback counts from when this one was due, not from the
        // end of the work it triggers: a periodic timer (Adver_Timer, re-armed after each advert
        // is sent) keeps its period instead of drifting by that work every cycle, as keepalived's do.
        preciseClock.armFrom(due, fn);
        return;
      }
      timer.immediate = setImmediate(finish);
    };
    timer.timeout = setTimeout(finish, Math.max(0, due - now - SPIN_MS));
    return timer;
  },
  armFrom<T>(origin: number, fn: () => T): T {
    const outer = armOrigin;
    armOrigin = origin;
    try {
      return fn();
    } finally {
      armOrigin = outer;
    }
  },
  prime(): Promise<void> {
    return new Promise((resolve) => {
      let round = 0;
      const next = (): void => {
        round += 1;
        if (round >= PRIME_ROUNDS) resolve();
        else preciseClock.setTimeout(next, PRIME_MS);
      };
      preciseClock.setTimeout(next, PRIME_MS);
    });
  },
  onWarm(warm: (delayMs: number) => void): () => void {
    warmers.add(warm);
    return () => warmers.delete(warm);
  },
  clearTimeout(id: unknown): void {
    const timer = id as PreciseTimer;
    timer.cancelled = true;
    clearTimeout(timer.timeout);
    if (timer.immediate) clearImmediate(timer.immediate);
  },
};
