import type { Logger } from '../io/log.js';
import type { ActorBus } from './bus.js';
import type { Counters } from './counters.js';
import type { PreciseClock } from './preciseClock.js';
import type { ChildSpec } from './rootMachine.js';
import type { VipPresence } from './vipPresence.js';

/**
 * What every part of a node shares: one actor system (through the bus), its clock, counters,
 * VIP state.
 */
export interface NodeContext {
  node: string;
  log: Logger;
  /** The actor system's clock; parts tag the timers that must be precise on it. */
  clock: PreciseClock;
  counters: Counters;
  bus: ActorBus;
  vips: VipPresence;
}

/**
 * One capability of a node (VRRP, load balancer): the actors it needs spawned in the node's
 * one actor system, what to start once they run, and how to stop gracefully.
 */
export interface NodePart {
  children: ChildSpec[];
  start(): void;
  stop(): Promise<void>;
}
