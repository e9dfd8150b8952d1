/**
 * The node's root actor. It holds no logic of its own: it spawns, in order, every child the
 * config asks for (notify queues before instances, instances before trackers, so every report
 * finds its addressee), each with its systemId, so all of them live in one actor system whose
 * inspection stream is the journal.
 */
import { type AnyActorLogic, type AnyActorRef, setup } from 'xstate';
import type { AnyActorId } from './actorIds.js';

export interface ChildSpec {
  /** One of actorIds: the journal and the bus know every actor by it. */
  systemId: AnyActorId;
  logic: AnyActorLogic;
  input: unknown;
}

export const rootMachine = setup({
  types: {
    input: {} as { node: string; children: ChildSpec[] },
    context: {} as { node: string; children: Record<string, AnyActorRef> },
  },
}).createMachine({
  id: 'node',
  context: ({ input, spawn }) => ({
    node: input.node,
    children: Object.fromEntries(
      input.children.map((c) => [c.systemId, spawn(c.logic, { systemId: c.systemId, input: c.input })]),
    ),
  }),
  initial: 'running',
  states: { running: {} },
});
