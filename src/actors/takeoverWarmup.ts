/**
 * Everything that makes a backup's one takeover run warm, in one place. A backup's takeover is
 * the one transition failover time is made of, and it runs once in the life of the process,
 * after seconds of idling: cold code, cold caches. So, without executing a single action:
 *
 * - at bind, the takeover and stop transitions are walked purely (xstate `transition`): xstate
 *   memoizes each state node's transition lists on first use, and V8 compiles on first call;
 * - at start, the node clock's spin is run on throwaway precise timers, so V8 has optimized it
 *   before a deadline that matters (a backup arms no timer that comes near its end until its
 *   takeover, and V8 would otherwise compile the spin right at the deadline);
 * - just before Master_Down_Timer runs out (the clock's warm-up of `vrrp:<name>/masterDown`),
 *   the takeover is rehearsed from the live snapshot and the `ip` helper is sent a no-op, so the
 *   real transition and the VIP's pipe write find their code and caches warm.
 */
import {
  type AnyActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  initialTransition,
  transition,
} from 'xstate';
import type { IpBatch } from '../io/net/ipBatch.js';
import { awaitsMasterDown, masterDownTimeout } from '../machines/vrrp/vrrpInstance.selectors.js';
import type { VrrpInstanceEvent, VrrpInstanceInput } from '../machines/vrrp/vrrpInstance.types.js';
import type { PreciseClock } from './preciseClock.js';
import { vrrpTimerName } from './vrrpTimers.js';

export interface TakeoverWarmupDeps {
  clock: PreciseClock;
  ipBatch: Pick<IpBatch, 'warm'>;
  /** The live instance's snapshot, once the actor system runs. */
  snapshot: () => AnyMachineSnapshot | undefined;
}

/** Enough throwaway spins, a few thousand turns each, for V8's optimizing tiers. */
const PRIME_ROUNDS = 20;
const PRIME_MS = 6;
const PRIME_TIMER = 'prime';

/**
 * Walks the takeover at bind and rehearses it before each Master_Down_Timer deadline. Returns
 * the unsubscribe from the clock.
 */
export function warmTakeover(logic: AnyStateMachine, input: VrrpInstanceInput, deps: TakeoverWarmupDeps): () => void {
  walkTakeover(logic, input);
  const rehearse = takeoverRehearsal(logic, input);
  return deps.clock.onWarm(vrrpTimerName(input.name, 'masterDown'), () => {
    const snapshot = deps.snapshot();
    if (!snapshot || !awaitsMasterDown(snapshot)) return;
    deps.ipBatch.warm();
    rehearse(snapshot);
  });
}

/** Returns the state values it went through, so a test can see the takeover was really walked. */
export function walkTakeover(logic: AnyStateMachine, input: VrrpInstanceInput): unknown[] {
  const fired = masterDownTimeout(logic);
  const advert = (priority: number): VrrpInstanceEvent => ({
    type: 'ADVERT',
    priority,
    srcIp: '0.0.0.0',
    advertIntervalCs: input.advertIntervalCs,
  });
  let [snapshot] = initialTransition(logic, input);
  const visited: unknown[] = [snapshot.value];
  // Backup hearing a master, its timer running out, a higher master taking over again, the
  // priority-0 (Skew_Time) variant of the takeover, and the graceful stop of a master.
  for (const event of [advert(255), fired, advert(255), advert(0), fired, { type: 'SHUTDOWN' }]) {
    [snapshot] = transition(logic, snapshot, event);
    visited.push(snapshot.value);
  }
  return visited;
}

/**
 * The takeover a backup is about to make, run from its live snapshot: the returned function
 * gives the state it would reach. xstate's `transition` builds a throwaway actor and system on
 * every call, which costs more than the transition; one inert scope, made here, serves them all.
 */
export function takeoverRehearsal(
  logic: AnyStateMachine,
  input: VrrpInstanceInput,
): (snapshot: AnyMachineSnapshot) => unknown {
  const fired = masterDownTimeout(logic);
  const self = createActor(logic, { input });
  const inert: AnyActorScope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => undefined,
    defer: () => undefined,
    emit: () => undefined,
    stopChild: () => undefined,
    // Nothing runs: not an advert, not a VIP, not a timer.
    actionExecutor: () => undefined,
  };
  return (snapshot) => logic.transition(snapshot, fired, inert).value;
}

/** Runs PRIME_ROUNDS precise timers of PRIME_MS back to back; resolves when they are done. */
export function primeClock(clock: PreciseClock): Promise<void> {
  return new Promise((resolve) => {
    let round = 0;
    const next = (): void => {
      round += 1;
      if (round >= PRIME_ROUNDS) resolve();
      else clock.setTimeout(next, clock.precise(PRIME_TIMER, PRIME_MS));
    };
    clock.setTimeout(next, clock.precise(PRIME_TIMER, PRIME_MS));
  });
}
