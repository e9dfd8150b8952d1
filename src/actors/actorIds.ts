/**
 * The systemIds of the node's actors. They are also the journal's `actor` field and the NATS
 * subject tokens (`halo.events.<node>.<kind>.<name>`), so they are built in one place.
 *
 * Each id carries, in its type only, the events its actor accepts from the wiring and the logic
 * it runs: the bus then takes only those events for it, and hands back a ref typed by the
 * machine (its snapshot, its emitted facts).
 */
import type { AnyActorLogic, EventObject } from 'xstate';
import type { NatsLinkEvent, natsLinkMachine } from '../machines/journal/natsLink.machine.js';
import type { ServerHealthEvent } from '../machines/lb/serverHealth.types.js';
import type { serverHealthMachine } from '../machines/lb/serverHealth.machine.js';
import type { NotifyQueueEvent, notifyQueueMachine } from '../machines/notify/notifyQueue.machine.js';
import type { FileTrackerEvent, fileTrackerMachine } from '../machines/trackers/fileTracker.machine.js';
import type { InterfaceTrackerEvent, interfaceTrackerMachine } from '../machines/trackers/interfaceTracker.machine.js';
import type { scriptTrackerMachine } from '../machines/trackers/scriptTracker.machine.js';
import type { SyncGroupEvent, syncGroupMachine } from '../machines/vrrp/syncGroup.machine.js';
import type { vrrpInstanceMachine } from '../machines/vrrp/vrrpInstance.machine.js';
import type { VrrpInstanceEvent } from '../machines/vrrp/vrrpInstance.types.js';

declare const addressee: unique symbol;

/**
 * A systemId that names what its actor accepts (TEvent; `never`: nothing from outside) and runs
 * (TLogic). `accepts` is a parameter so an id is only ever addressed with its own events.
 */
export type ActorId<TEvent extends EventObject, TLogic extends AnyActorLogic> = string & {
  readonly [addressee]: { accepts: (event: TEvent) => void; logic: TLogic };
};

/** Any actor's id, whatever it accepts. */
export type AnyActorId = ActorId<never, AnyActorLogic>;

const id = <TEvent extends EventObject, TLogic extends AnyActorLogic>(systemId: string) =>
  systemId as ActorId<TEvent, TLogic>;

export const actorIds = {
  vrrp: (instance: string) => id<VrrpInstanceEvent, typeof vrrpInstanceMachine>(`vrrp:${instance}`),
  notify: (owner: string) => id<NotifyQueueEvent, typeof notifyQueueMachine>(`notify:${owner}`),
  /** A group's queue is apart from an instance's of the same name. */
  groupNotify: (group: string) => id<NotifyQueueEvent, typeof notifyQueueMachine>(`notify:group_${group}`),
  sync: (group: string) => id<SyncGroupEvent, typeof syncGroupMachine>(`sync:${group}`),
  /** A script tracker runs on its own timer: nothing is sent to it. */
  script: (name: string) => id<never, typeof scriptTrackerMachine>(`track:${name}`),
  iface: (dev: string) => id<InterfaceTrackerEvent, typeof interfaceTrackerMachine>(`track:if_${dev}`),
  file: (name: string) => id<FileTrackerEvent, typeof fileTrackerMachine>(`track:file_${name}`),
  server: (backend: string, server: string) =>
    id<ServerHealthEvent, typeof serverHealthMachine>(`server:${backend}/${server}`),
  /** Where the journal goes beyond the local file: `journal:nats`. */
  journal: (sink: string) => id<NatsLinkEvent, typeof natsLinkMachine>(`journal:${sink}`),
} as const;
