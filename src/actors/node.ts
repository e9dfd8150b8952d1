/**
 * A node: one actor system holding every part's actors, so one inspection stream (the
 * journal) sees all of them. Parts start after the root, and stop in the order they started:
 * the VRRP part comes first, so a graceful stop's priority-0 advert leaves at the signal, not
 * after the data path has shut down (the VIP listeners follow the VIPs as they go).
 */
import { type AnyActorRef, createActor, type InspectionEvent } from 'xstate';
import type { Logger } from '../io/log.js';
import { createBus } from './bus.js';
import { Counters } from './counters.js';
import type { NodeContext, NodePart } from './nodePart.js';
import { createPreciseClock } from './preciseClock.js';
import { rootMachine } from './rootMachine.js';
import { VipPresence } from './vipPresence.js';

export interface RunningNode {
  readonly ctx: NodeContext;
  actor(systemId: string): AnyActorRef | undefined;
  stop(): Promise<void>;
}

export function createNodeContext(
  node: string,
  log: Logger,
): NodeContext & { connect: ReturnType<typeof createBus>['connect'] } {
  const counters = new Counters();
  const bus = createBus({ log, counters });
  const clock = createPreciseClock();
  return { node, log, clock, counters, bus, vips: new VipPresence(), connect: bus.connect };
}

export function startNode(
  ctx: NodeContext & { connect: ReturnType<typeof createBus>['connect'] },
  parts: NodePart[],
  opts: { inspect?: (ev: InspectionEvent) => void } = {},
): RunningNode {
  const children = parts.flatMap((p) => p.children);
  const root = createActor(rootMachine, {
    input: { node: ctx.node, children },
    clock: ctx.clock,
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  ctx.connect((id) => root.system.get(id) as AnyActorRef | undefined);
  root.start();
  for (const p of parts) p.start();
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    for (const p of parts) await p.stop();
    root.stop();
  };
  return {
    ctx,
    actor: (id) => ctx.bus.get(id),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
