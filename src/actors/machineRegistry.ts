/**
 * Machine id (the envelope's `machine` field) → the pure machine logic, for `halo replay
 * --verify`. The machines as exported: their default actions and actors do nothing, and
 * xstate's pure `transition()` only returns the actions a step would run, so a replay touches no
 * socket, file or clock. Invoked actors are never run: their outcome is in the journal as the
 * recorded `xstate.done.actor.*` / `xstate.error.actor.*` event, which replay sends as is.
 */
import type { AnyStateMachine } from 'xstate';
import { natsLinkMachine } from '../machines/journal/natsLink.machine.js';
import { serverHealthMachine } from '../machines/lb/serverHealth.machine.js';
import { notifyQueueMachine } from '../machines/notify/notifyQueue.machine.js';
import { fileTrackerMachine } from '../machines/trackers/fileTracker.machine.js';
import { interfaceTrackerMachine } from '../machines/trackers/interfaceTracker.machine.js';
import { scriptTrackerMachine } from '../machines/trackers/scriptTracker.machine.js';
import { syncGroupMachine } from '../machines/vrrp/syncGroup.machine.js';
import { vrrpInstanceMachine } from '../machines/vrrp/vrrpInstance.machine.js';
import { rootMachine } from './rootMachine.js';

const machines: ReadonlyMap<string, AnyStateMachine> = new Map<string, AnyStateMachine>(
  [
    vrrpInstanceMachine,
    syncGroupMachine,
    scriptTrackerMachine,
    fileTrackerMachine,
    interfaceTrackerMachine,
    notifyQueueMachine,
    serverHealthMachine,
    natsLinkMachine,
    rootMachine,
  ].map((m) => [m.id, m]),
);

export type MachineLookup = (machineId: string) => AnyStateMachine | undefined;

export const machineFor: MachineLookup = (machineId) => machines.get(machineId);
