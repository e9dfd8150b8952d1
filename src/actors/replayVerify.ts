/**
 * Determinism check of a recorded history: for every transition, restore the actor's pure
 * machine at the recorded from-state and context, send the recorded causing event with xstate's
 * pure `transition()`, and check that the recorded to-state comes out.
 *
 * What the journal holds and what follows for the check:
 * - `from: null` is an actor's first snapshot: nothing to replay (skipped).
 * - Timer transitions: the causing event is xstate's own delayed event
 *   (`xstate.after.<delay>.<stateId>` for `after`, the raised event for `raise(..., { delay })`);
 *   both are ordinary transitions on that event type, so replay sends them unchanged.
 * - Invoked actors: their outcome is the recorded `xstate.done.actor.*` event with its `output`
 *   (or `xstate.error.actor.*` with the error as JSON), sent unchanged; nothing is invoked.
 * - Context: an envelope records the context after its transition. The context before is the
 *   previous envelope's of the same actor, unless it changed without a state change in between
 *   (a TRACK moving priority, a Backup learning the master from adverts, a server's health
 *   counter stepping within `up`): such changes are not journaled. When the previous context
 *   does not reproduce the to-state, the step is retried from the context the envelope recorded
 *   (the nearest known one) and counted apart as `verifiedFromRecordedContext`; only when
 *   neither reproduces it is it a divergence.
 * - A machine not in the registry, or a recorded state the machine does not have, cannot be
 *   replayed: counted as unverifiable with the reason, never passed silently.
 */
import { type AnyStateMachine, type StateValue, transition } from 'xstate';
import { type EventEnvelope, stateValueToString } from '../io/journal/envelope.js';
import { REDACTED } from '../io/journal/jsonSafe.js';
import { type MachineLookup, machineFor } from './machineRegistry.js';
import { byPosition } from './projection.js';

export interface Divergence {
  id: string;
  node: string;
  actor: string;
  machine: string;
  from: string;
  event: string;
  /** The recorded to-state. */
  expected: string;
  /** What the machine produced (from the previous context). */
  got: string;
}

export interface VerifyReport {
  /** Transitions with a from-state (all but first snapshots). */
  checked: number;
  /** Reproduced from the previous envelope's context. */
  verified: number;
  /** Reproduced only from the context the envelope itself recorded (see the module comment). */
  verifiedFromRecordedContext: number;
  /** First snapshots (`from: null`). */
  skipped: number;
  /** Reason → count, for transitions that cannot be replayed. */
  unverifiable: Record<string, number>;
  divergences: number;
  firstDivergence: Divergence | null;
}

interface StateNodeLike {
  type: string;
  states: Record<string, StateNodeLike>;
}

/** A state path string that is not a state of the machine. */
class UnknownState extends Error {}

/**
 * Inverse of stateValueToString for one machine: `backup.waiting` → `{ backup: 'waiting' }`,
 * `p.a.x,p.b.y` → `{ p: { a: 'x', b: 'y' } }`, and an atomic region inside a parallel state
 * ends its path (`p.a` → `{ p: { a: {} } }`). The machine's structure decides which.
 */
export function stateValueFromString(machine: AnyStateMachine, value: string): StateValue {
  const tree: PathTree = new Map();
  for (const path of value.split(',')) {
    let node = tree;
    for (const seg of path.split('.')) {
      if (!node.has(seg)) node.set(seg, new Map());
      node = node.get(seg)!;
    }
  }
  return toValue(machine.root as unknown as StateNodeLike, tree, value);
}

type PathTree = Map<string, PathTree>;

function toValue(node: StateNodeLike, tree: PathTree, whole: string): StateValue {
  const child = (key: string): StateNodeLike => {
    const c = node.states[key];
    if (!c) throw new UnknownState(`no state '${key}' in '${whole}'`);
    return c;
  };
  const isLeaf = (n: StateNodeLike): boolean => Object.keys(n.states).length === 0;
  if (node.type === 'parallel') {
    const out: Record<string, StateValue> = {};
    for (const [key, sub] of tree) out[key] = toValue(child(key), sub, whole);
    return out;
  }
  if (tree.size === 0) return {};
  if (tree.size > 1) throw new UnknownState(`'${whole}' has two active children in one compound state`);
  const [key, sub] = tree.entries().next().value as [string, PathTree];
  const c = child(key);
  if (isLeaf(c)) {
    if (sub.size > 0) throw new UnknownState(`'${key}' has no child states in '${whole}'`);
    return key;
  }
  return { [key]: toValue(c, sub, whole) };
}

/** The state string `event` leads to from `from` with `context`, by the pure machine. */
export function replayStep(
  machine: AnyStateMachine,
  from: string,
  context: Record<string, unknown>,
  event: EventEnvelope['event'],
): string {
  const snapshot = machine.resolveState({ value: stateValueFromString(machine, from), context });
  const [next] = transition(machine, snapshot, event);
  return stateValueToString(next.value);
}

function hasRedacted(x: unknown): boolean {
  if (x === REDACTED) return true;
  if (x === null || typeof x !== 'object') return false;
  return Object.values(x).some(hasRedacted);
}

export function verifyTransitions(
  envelopes: Iterable<EventEnvelope>,
  lookup: MachineLookup = machineFor,
): VerifyReport {
  const report: VerifyReport = {
    checked: 0,
    verified: 0,
    verifiedFromRecordedContext: 0,
    skipped: 0,
    unverifiable: {},
    divergences: 0,
    firstDivergence: null,
  };
  const unverifiable = (reason: string): void => {
    report.unverifiable[reason] = (report.unverifiable[reason] ?? 0) + 1;
  };
  /** Last context per actor instance: node, boot and actor id. */
  const previous = new Map<string, Record<string, unknown>>();
  for (const env of byPosition(envelopes)) {
    const key = `${env.node}\u0000${env.boot}\u0000${env.actor}`;
    const prevContext = previous.get(key);
    previous.set(key, env.context);
    if (env.from === null) {
      report.skipped += 1;
      continue;
    }
    report.checked += 1;
    const machine = lookup(env.machine);
    if (!machine) {
      unverifiable(`machine '${env.machine}' is not in the replay registry`);
      continue;
    }
    const attempt = (context: Record<string, unknown>): string => replayStep(machine, env.from!, context, env.event);
    let got: string;
    try {
      got = prevContext ? attempt(prevContext) : '';
      if (got === env.to) {
        report.verified += 1;
        continue;
      }
      if (attempt(env.context) === env.to) {
        report.verifiedFromRecordedContext += 1;
        continue;
      }
    } catch (err) {
      if (err instanceof UnknownState) {
        recordDivergence(report, env, `(unreplayable: ${err.message})`);
        continue;
      }
      unverifiable(`replay threw: ${(err as Error).message}`);
      continue;
    }
    // A redacted secret in the event may be what the machine decided on: not a proof of tampering.
    if (hasRedacted(env.event)) {
      unverifiable('the causing event carries redacted values');
      continue;
    }
    recordDivergence(report, env, got || attempt(env.context));
  }
  return report;
}

function recordDivergence(report: VerifyReport, env: EventEnvelope, got: string): void {
  report.divergences += 1;
  report.firstDivergence ??= {
    id: env.id,
    node: env.node,
    actor: env.actor,
    machine: env.machine,
    from: env.from ?? '',
    event: env.event.type,
    expected: env.to,
    got,
  };
}
