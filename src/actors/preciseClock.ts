/**
 * A node's actor-system clock (xstate's `clock` option, as pino takes its `timestamp`): one per
 * node, created with the node's context, so nothing about time is module-global.
 *
 * Node's timers fire on libuv's whole-millisecond loop clock and run late on a busy loop;
 * keepalived's VRRP timers are microsecond-exact, and a takeover should not lose to them. So a
 * timer tagged precise is armed a little early and its last stretch is finished on setImmediate
 * turns against performance.now(), never early, with the delay's fraction kept. The spin is
 * bounded by SPIN_MS per timer, and nothing blocks: I/O keeps flowing between the turns.
 *
 * Why only tagged timers spin: the spin costs a few milliseconds of loop turns per timer. VRRP's
 * own timers (a handful per instance) are what failover time is made of; health-check
 * intervals, script timeouts and GARP repeats at scale (a thousand servers) are not, and each
 * spinning would keep the loop busy for nothing. Every untagged delay is a plain setTimeout.
 */

/** xstate's Clock (not exported by the package): what createActor's `clock` option takes. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface PreciseClock extends Clock {
  /**
   * Tags the timer about to be armed with `ms` as precise and names it; returns `ms`, so an
   * xstate delay implementation can return it. The tag goes to the first `setTimeout` with the
   * same delay in the same synchronous run (xstate resolves a delay in the transition and arms
   * it when the transition is done); a tag nothing armed (a pure `transition()` resolves delays
   * without arming them) is dropped at the end of that run.
   */
  precise(name: string, ms: number): number;
  /**
   * Runs `fn` with the precise timers it arms counted from `origin` (a performance.now()
   * reading, not in the future) instead of from the moment they are armed. An advert re-arms
   * Master_Down_Timer "on receipt" (RFC 3768 6.4.2); decoding it and running the statechart
   * would otherwise be added to every failover.
   */
  armFrom<T>(origin: number, fn: () => T): T;
  /**
   * Calls `warm` once per arming of the precise timer `name`, WARM_LEAD_MS before it is due, in
   * the spin that finishes it. Returns the unsubscribe.
   */
  onWarm(name: string, warm: () => void): () => void;
}

/** Covers how late Node's timers fire on a busy loop. */
const SPIN_MS = 4;

/**
 * A warm-up runs as close to the deadline as it can and still be over before it: the closer,
 * the warmer the caches the real transition finds. A timer whose spin starts too late for one
 * fires without it.
 */
const WARM_LEAD_MS = 1.2;
const WARM_MIN_LEFT_MS = 0.6;

class PreciseTimer {
  timeout?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
  cancelled = false;
  warmed = false;
}

export function createPreciseClock(): PreciseClock {
  /** Set only while armFrom runs its callback. */
  let armOrigin: number | null = null;
  const tags: Array<{ name: string; ms: number }> = [];
  const warmers = new Map<string, Set<() => void>>();

  const warmUp = (name: string): void => {
    for (const warm of warmers.get(name) ?? []) {
      try {
        warm();
      } catch {
        // A warm-up only saves time; if it cannot run, the real transition still will.
      }
    }
  };

  const armFrom = <T>(origin: number, fn: () => T): T => {
    const outer = armOrigin;
    armOrigin = origin;
    try {
      return fn();
    } finally {
      armOrigin = outer;
    }
  };

  const armPrecise = (name: string, fn: () => void, ms: number): PreciseTimer => {
    const now = performance.now();
    const due = Math.min(armOrigin ?? now, now) + ms;
    const timer = new PreciseTimer();
    const finish = (): void => {
      if (timer.cancelled) return;
      const left = due - performance.now();
      if (!timer.warmed && left <= WARM_LEAD_MS) {
        timer.warmed = true;
        if (left >= WARM_MIN_LEFT_MS) warmUp(name);
      }
      if (performance.now() >= due) {
        // A timer armed by this one's callback counts from when this one was due, not from the
        // end of the work it triggers: a periodic timer (Adver_Timer, re-armed after each advert
        // is sent) keeps its period instead of drifting by that work every cycle, as keepalived's do.
        armFrom(due, fn);
        return;
      }
      timer.immediate = setImmediate(finish);
    };
    timer.timeout = setTimeout(finish, Math.max(0, due - now - SPIN_MS));
    return timer;
  };

  return {
    precise(name, ms) {
      if (tags.length === 0) {
        queueMicrotask(() => {
          tags.length = 0;
        });
      }
      tags.push({ name, ms });
      return ms;
    },
    setTimeout(fn, ms) {
      const i = tags.findIndex((t) => t.ms === ms);
      if (i < 0) return setTimeout(fn, ms);
      const [tag] = tags.splice(i, 1);
      return armPrecise(tag!.name, fn, ms);
    },
    clearTimeout(id) {
      if (!(id instanceof PreciseTimer)) {
        clearTimeout(id as NodeJS.Timeout);
        return;
      }
      id.cancelled = true;
      clearTimeout(id.timeout);
      if (id.immediate) clearImmediate(id.immediate);
    },
    armFrom,
    onWarm(name, warm) {
      const set = warmers.get(name) ?? new Set();
      warmers.set(name, set);
      set.add(warm);
      return () => {
        set.delete(warm);
        if (set.size === 0 && warmers.get(name) === set) warmers.delete(name);
      };
    },
  };
}
