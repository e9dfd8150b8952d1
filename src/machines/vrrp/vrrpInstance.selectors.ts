/**
 * What the wiring may ask of a VRRP instance's chart and snapshot, so it reads no context
 * shapes and no xstate internals of its own.
 */
import type { AnyStateMachine, EventObject } from 'xstate';

/** The part of an actor snapshot these selectors read. */
interface InstanceSnapshot {
  status: string;
  value: unknown;
}

/** A running instance in Backup: its Master_Down_Timer (or Skew_Time) is what it waits on. */
export function awaitsMasterDown(snapshot: InstanceSnapshot | undefined): boolean {
  return snapshot?.status === 'active' && snapshot.value === 'backup';
}

/**
 * The event the chart raises when Master_Down_Timer runs out, read from the backup state's own
 * `after` definition: xstate names it, and a change of that name follows here by itself.
 */
export function masterDownTimeout(machine: AnyStateMachine): EventObject {
  const fired = machine.root.states.backup?.after.find((t) => t.delay === 'masterDown');
  if (!fired) throw new Error('vrrpInstance: the backup state has no masterDown delay');
  return { type: fired.eventType };
}
