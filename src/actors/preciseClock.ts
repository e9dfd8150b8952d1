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

/** Node's timers were seen up to ~3.5 ms late in the daemon; the spin covers that. */
const SPIN_MS = 4;

interface PreciseTimer {
  timeout?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
  cancelled: boolean;
}

export const preciseClock: Clock = {
  setTimeout(fn: () => void, ms: number): PreciseTimer {
    const due = performance.now() + ms;
    const timer: PreciseTimer = { cancelled: false };
    const finish = (): void => {
      if (timer.cancelled) return;
      if (performance.now() >= due) {
        fn();
        return;
      }
      timer.immediate = setImmediate(finish);
    };
    timer.timeout = setTimeout(finish, Math.max(0, ms - SPIN_MS));
    return timer;
  },
  clearTimeout(id: unknown): void {
    const timer = id as PreciseTimer;
    timer.cancelled = true;
    clearTimeout(timer.timeout);
    if (timer.immediate) clearImmediate(timer.immediate);
  },
};
