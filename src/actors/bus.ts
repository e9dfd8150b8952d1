import type { AnyActorRef } from 'xstate';

/** Any event a halo actor accepts; each machine's own union narrows it on arrival. */
export interface BusEvent {
  type: string;
  [key: string]: unknown;
}

/**
 * Late-bound access to the actor system. Bindings are built before the root actor exists
 * (they are part of what it spawns), so they address peers by systemId through this bus,
 * which the node connects once the system is running.
 */
export interface ActorBus {
  send(systemId: string, event: BusEvent): void;
  get(systemId: string): AnyActorRef | undefined;
}

export function createBus(): ActorBus & { connect(get: (id: string) => AnyActorRef | undefined): void } {
  let lookup: (id: string) => AnyActorRef | undefined = () => undefined;
  return {
    connect(get) {
      lookup = get;
    },
    get: (id) => lookup(id),
    send(id, event) {
      lookup(id)?.send(event);
    },
  };
}
