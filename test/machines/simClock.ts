/**
 * Test helpers for statecharts on xstate's SimulatedClock.
 *
 * `SimulatedClock.increment(ms)` jumps straight to the end and fires everything due, so a timer
 * that re-arms itself while firing starts from the jumped-to time instead of its own deadline.
 * `advanceTo` stops at every deadline on the way, so chained timers (Adver_Timer, script
 * intervals) fire exactly when they would in real time.
 */
import { SimulatedClock } from 'xstate';

interface PendingTimeout {
  start: number;
  timeout: number;
}

function pendingDeadlines(clock: SimulatedClock): number[] {
  const timeouts = (clock as unknown as { timeouts?: unknown }).timeouts;
  if (!(timeouts instanceof Map)) throw new Error('SimulatedClock internals changed: no timeouts map');
  return [...(timeouts as Map<number, PendingTimeout>).values()].map((t) => t.start + t.timeout);
}

const MAX_STEPS = 1_000_000;

export function advanceTo(clock: SimulatedClock, target: number): void {
  for (let step = 0; step < MAX_STEPS; step++) {
    const due = pendingDeadlines(clock).filter((d) => d <= target);
    if (due.length === 0) {
      if (target > clock.now()) clock.set(target);
      return;
    }
    const next = Math.min(...due);
    // A deadline computed in floating point can sit a hair before the clock's own check.
    clock.set(next > clock.now() ? next : clock.now() + 1e-9);
  }
  throw new Error(`advanceTo(${target}) did not settle`);
}

export interface Call {
  at: number;
  action: string;
  params: unknown;
}

/** Records named action calls with the simulated time they happened at. */
export function recorder(clock: SimulatedClock) {
  const calls: Call[] = [];
  const record =
    (action: string) =>
    (_args: unknown, params?: unknown): void => {
      calls.push({ at: clock.now(), action, params });
    };
  const of = (action: string) => calls.filter((c) => c.action === action);
  const since = (t: number) => calls.filter((c) => c.at >= t);
  return { calls, record, of, since };
}

export { SimulatedClock };

/** Lets promise-based actors (fromPromise) settle before time moves on. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `advanceTo` for charts with promise actors: settles after every deadline it stops at. */
export async function settleTo(clock: SimulatedClock, target: number): Promise<void> {
  await flush();
  for (let step = 0; step < MAX_STEPS; step++) {
    const due = pendingDeadlines(clock).filter((d) => d <= target);
    if (due.length === 0) {
      if (target > clock.now()) clock.set(target);
      await flush();
      return;
    }
    const next = Math.min(...due);
    clock.set(next > clock.now() ? next : clock.now() + 1e-9);
    await flush();
  }
  throw new Error(`settleTo(${target}) did not settle`);
}
