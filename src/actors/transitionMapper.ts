/**
 * THE one place where xstate's inspection stream becomes journal envelopes. Everything about
 * xstate's inspection shapes stays in this file.
 *
 * Source: `@xstate.snapshot`, which xstate 5 emits once per macrostep of every actor in the
 * system (after `update()`, with the event that caused it), and once at start with
 * `xstate.init`. A macrostep that passes through transient states (eventless `always`
 * transitions, raised events) is journaled as one envelope from the state before it to the
 * state it settles in: that is what the actor was observably in, and what a replay must reach.
 *
 * What is journaled:
 * - only state machines (snapshots with `value` and `machine`); callback/promise/observable
 *   actors have no state value;
 * - only actors with a systemId (`vrrp:VI_1`, ...), the ids the architecture names; anonymous
 *   invoked actors (a probe's fromPromise, a socket's fromCallback) are plumbing of the actor
 *   that invoked them, whose own envelope records the outcome;
 * - only when the state value string changes, or for an actor's first snapshot (`from: null`).
 *   A self-transition (e.g. a Backup re-arming Master_Down_Timer with `reenter: true` on each
 *   advert, RFC 3768 §6.4.2) keeps the value and is not an event, unless one of the
 *   transitions taken in that macrostep says `meta: { journal: true }` (a VRRP master answering
 *   another master after a partition heals): a fact worth an event though the state stays.
 * - a top-level parallel region whose state node says `meta: { journal: false }` (a server's
 *   probe/wait cycle) does not count as a change on its own; when another region changes,
 *   `from` and `to` still carry the whole value, so a replay restores the exact state.
 *
 * The envelope keeps xstate's own event types as they are (replay sends them back to the
 * machine); eventLabel is the one reader of their string format.
 */
import type { InspectionEvent } from 'xstate';
import type { EventEnvelope } from '../io/journal/envelope.js';
import { envelopeId, stateValueToString } from '../io/journal/envelope.js';
import { toJsonSafeObject } from '../io/journal/jsonSafe.js';

export interface TransitionMapper {
  /** Pass as `createActor(root, { inspect: mapper.onInspect })`; bound, safe to destructure. */
  onInspect(ev: InspectionEvent): void;
}

export interface TransitionMapperOptions {
  node: string;
  boot: number;
  /** Seq of the first envelope; default 1. */
  firstSeq?: number;
  sink: (env: EventEnvelope) => void;
  now?: () => number;
  /** Extra context/event keys to redact besides the built-in secret pattern (jsonSafe.ts). */
  redactKeys?: string[];
}

interface StateNodeLike {
  type?: string;
  meta?: { journal?: boolean };
  states?: Record<string, StateNodeLike>;
}

interface MachineSnapshotLike {
  status: string;
  value: unknown;
  context: unknown;
  machine: { id: string; root?: StateNodeLike };
}

/** The part of a state value that makes a journal event: regions marked `journal: false` left out. */
function journaledValue(snap: MachineSnapshotLike): unknown {
  const root = snap.machine.root;
  if (root?.type !== 'parallel' || snap.value === null || typeof snap.value !== 'object') return snap.value;
  const out: Record<string, unknown> = {};
  for (const [region, v] of Object.entries(snap.value))
    if (root.states?.[region]?.meta?.journal !== false) out[region] = v;
  return out;
}

function isMachineSnapshot(s: unknown): s is MachineSnapshotLike {
  if (s === null || typeof s !== 'object') return false;
  const m = (s as { machine?: unknown }).machine;
  return 'value' in s && m !== null && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string';
}

/** xstate's internal event types: `xstate.after.<delay>.<state id>`, `xstate.done.actor.<id>`, ... */
const XSTATE_EVENT = /^xstate\.(after|done\.actor|error\.actor)\.([^.]+)/;

/**
 * A short label for an envelope's event type: `xstate.after.masterDown.vrrpInstance.backup` →
 * `after masterDown`, `xstate.done.actor.probe` → `done probe`, `xstate.error.actor.probe` →
 * `error probe`, `xstate.init` → `init`; any other type is its own label.
 */
export function eventLabel(type: string): string {
  const m = XSTATE_EVENT.exec(type);
  if (m) return `${m[1]!.replace('.actor', '')} ${m[2]}`;
  return type === 'xstate.init' ? 'init' : type;
}

export function createTransitionMapper(opts: TransitionMapperOptions): TransitionMapper {
  const now = opts.now ?? Date.now;
  const redact = { redactKeys: opts.redactKeys ?? [] };
  let seq = opts.firstSeq ?? 1;
  /** Last state per live actor, keyed by sessionId (unique per actor instance): whole and journaled part. */
  const last = new Map<string, { full: string; journaled: string }>();
  /** Actors (sessionId) whose current macrostep took a transition marked `meta.journal`. */
  const marked = new Set<string>();

  const onInspect = (ev: InspectionEvent): void => {
    if (ev.type === '@xstate.microstep') {
      if (ev._transitions.some((t) => t.meta?.journal === true)) marked.add(ev.actorRef.sessionId);
      return;
    }
    if (ev.type !== '@xstate.snapshot') return;
    const forced = marked.delete(ev.actorRef.sessionId);
    const systemId = (ev.actorRef as { systemId?: unknown }).systemId;
    if (typeof systemId !== 'string' || !isMachineSnapshot(ev.snapshot)) return;
    const snap = ev.snapshot;
    const key = ev.actorRef.sessionId;
    const to = stateValueToString(snap.value);
    const journaled = stateValueToString(journaledValue(snap));
    const prev = last.get(key);
    // A stopped/done/errored actor never transitions again; forget it so a respawn under the
    // same systemId starts from null and the map does not grow with config reloads.
    if (snap.status === 'active') last.set(key, { full: to, journaled });
    else last.delete(key);
    if (prev && prev.journaled === journaled && !forced) return;
    const from = prev?.full ?? null;
    const event = toJsonSafeObject(ev.event, redact);
    opts.sink({
      v: 1,
      id: envelopeId(opts.node, { boot: opts.boot, seq }),
      node: opts.node,
      boot: opts.boot,
      seq,
      ts: now(),
      actor: systemId,
      machine: snap.machine.id,
      from,
      to,
      event: { ...event, type: typeof ev.event.type === 'string' ? ev.event.type : 'unknown' },
      context: toJsonSafeObject(snap.context, redact),
    });
    seq += 1;
  };
  return { onInspect };
}
