import type { ActorRefFromLogic, AnyActorLogic, AnyActorRef, EventObject } from 'xstate';
import type { Logger } from '../io/log.js';
import type { ActorId } from './actorIds.js';
import type { Counters } from './counters.js';

/**
 * Late-bound access to the actor system. Bindings are built before the root actor exists
 * (they are part of what it spawns), so they address peers by systemId through this bus,
 * which the node connects once the system is running. An id's type says what its actor
 * accepts, so a binding cannot send an instance's event to a tracker.
 */
export interface ActorBus {
  send<TEvent extends EventObject>(id: ActorId<TEvent, AnyActorLogic>, event: NoInfer<TEvent>): void;
  get<TEvent extends EventObject, TLogic extends AnyActorLogic>(
    id: ActorId<TEvent, TLogic>,
  ): ActorRefFromLogic<TLogic> | undefined;
  /** By a bare systemId (a test, the runtime API): untyped. */
  get(systemId: string): AnyActorRef | undefined;
}

export interface BusDeps {
  log: Logger;
  counters: Counters;
}

/**
 * An event for an id the system does not hold is counted on every send and logged once per id:
 * `halo_bus_unknown_actor_total` for an id never seen (a wiring mistake, or a send before the system
 * runs), `halo_bus_stopped_actor_total` for an actor that has reached its final state (a VRRP instance
 * after SHUTDOWN still hears its trackers until they close).
 */
export function createBus(deps: BusDeps): ActorBus & { connect(get: (id: string) => AnyActorRef | undefined): void } {
  let lookup: (id: string) => AnyActorRef | undefined = () => undefined;
  /** Ids that resolved at least once: xstate forgets an actor's systemId when it stops. */
  const reached = new Set<string>();
  const logged = new Set<string>();
  const resolve = (id: string): AnyActorRef | undefined => {
    const ref = lookup(id);
    if (ref) reached.add(id);
    return ref;
  };
  const undelivered = (id: string, event: EventObject): void => {
    const stopped = reached.has(id);
    deps.counters.inc(stopped ? 'halo_bus_stopped_actor_total' : 'halo_bus_unknown_actor_total', { actor: id });
    if (logged.has(id)) return;
    logged.add(id);
    if (stopped) deps.log.debug({ actor: id, event: event.type }, 'event for a stopped actor dropped');
    else deps.log.warn({ actor: id, event: event.type }, 'event for an unknown actor dropped (logged once per actor)');
  };
  return {
    connect(get) {
      lookup = get;
    },
    get: (id: string) => resolve(id),
    send(id, event) {
      const ref = resolve(id);
      if (ref) ref.send(event);
      else undelivered(id, event);
    },
  };
}
