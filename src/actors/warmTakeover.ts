/**
 * Runs a VRRP instance's takeover and stop transitions purely (xstate `transition`: no action
 * is executed, nothing is sent), so the one takeover a backup makes in its life does not pay
 * for cold code on the path that failover time is made of.
 *
 * - At bind (warmTakeover): xstate memoizes each state node's initial state and transition
 *   lists on first use, and V8 compiles the code paths on first call. fire → addVips measured
 *   0.18 ms cold and 0.10 ms warm for the bare machine.
 * - Just before Master_Down_Timer runs out (takeoverRehearsal, from the clock's spin): after seconds
 *   of idling the same code is out of the CPU's caches again, and fire → addVips took 0.3–0.4 ms
 *   in the daemon.
 */
import { type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, createActor, initialTransition, transition } from 'xstate';
import type { VrrpInstanceEvent, VrrpInstanceInput } from '../machines/vrrp/vrrpInstance.types.js';

/** xstate's event for a state's `after` delay: `xstate.after.<delay>.<state node id>`. */
const MASTER_DOWN_FIRED = { type: 'xstate.after.masterDown.vrrpInstance.backup' } as const;

/** Returns the state values it went through, so a test can see the takeover was really walked. */
export function warmTakeover(logic: AnyStateMachine, input: VrrpInstanceInput): unknown[] {
  const advert = (priority: number): VrrpInstanceEvent => ({ type: 'ADVERT', priority, srcIp: '0.0.0.0', advertIntervalCs: input.advertIntervalCs });
  let [snapshot] = initialTransition(logic, input);
  const visited: unknown[] = [snapshot.value];
  // Backup hearing a master, its timer running out, a higher master taking over again, the
  // priority-0 (Skew_Time) variant of the takeover, and the graceful stop of a master.
  for (const event of [advert(255), MASTER_DOWN_FIRED, advert(255), advert(0), MASTER_DOWN_FIRED, { type: 'SHUTDOWN' } as const]) {
    [snapshot] = transition(logic, snapshot, event);
    visited.push(snapshot.value);
  }
  return visited;
}

/**
 * The takeover a backup is about to make, run from its live snapshot: the returned function
 * gives the state it would reach. xstate's `transition` builds a throwaway actor and system on
 * every call (~0.3 ms, more than the transition); one inert scope, made here, serves them all.
 */
export function takeoverRehearsal(logic: AnyStateMachine, input: VrrpInstanceInput): (snapshot: AnyMachineSnapshot) => unknown {
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
  return (snapshot) => logic.transition(snapshot, MASTER_DOWN_FIRED, inert).value;
}
