/**
 * The journal folded into "what was every actor doing at time T": node → actor → state, context
 * and since when. Pure: it only reads envelopes, so `halo replay --at` and a test observing a
 * live system can compare the same shape.
 *
 * Order within a node is (boot, seq), not ts: two transitions in the same millisecond keep their
 * order, and an envelope published late (after a NATS outage) still lands in its place. A new
 * boot of a node replaces that node's actors: the daemon restarted, its old actors are gone.
 */
import { comparePositions, type EventEnvelope } from '../io/journal/envelope.js';

export interface ActorState {
  actor: string;
  machine: string;
  /** State value string (stateValueToString form). */
  state: string;
  context: Record<string, unknown>;
  /** ts of the envelope that put the actor in this state. */
  since: number;
  /** That envelope's id. */
  id: string;
  boot: number;
}

/** node → actor → state; both levels keep the insertion order of first appearance. */
export type Projection = Map<string, Map<string, ActorState>>;

export interface ProjectOptions {
  /** Only envelopes with ts ≤ at (wall-clock ms); default: all. */
  at?: number;
  /** Only this node. */
  node?: string;
}

/** Per node by position, nodes by name: the order replay reads a history in. */
export function byPosition(envelopes: Iterable<EventEnvelope>): EventEnvelope[] {
  return [...envelopes].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : comparePositions(a, b)));
}

export function project(envelopes: Iterable<EventEnvelope>, opts: ProjectOptions = {}): Projection {
  const out: Projection = new Map();
  const boots = new Map<string, number>();
  for (const env of byPosition(envelopes)) {
    if (opts.node !== undefined && env.node !== opts.node) continue;
    if (opts.at !== undefined && env.ts > opts.at) continue;
    let actors = out.get(env.node);
    if (!actors || boots.get(env.node) !== env.boot) {
      actors = new Map();
      out.set(env.node, actors);
      boots.set(env.node, env.boot);
    }
    actors.set(env.actor, {
      actor: env.actor,
      machine: env.machine,
      state: env.to,
      context: env.context,
      since: env.ts,
      id: env.id,
      boot: env.boot,
    });
  }
  return out;
}

/** One actor's transitions in order (every node, unless `node` narrows it). */
export function actorTimeline(envelopes: Iterable<EventEnvelope>, actor: string, node?: string): EventEnvelope[] {
  return byPosition(envelopes).filter((e) => e.actor === actor && (node === undefined || e.node === node));
}
