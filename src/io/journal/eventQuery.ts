/**
 * Which envelopes a reader wants: a node, an actor (exact id or glob), a time window. Pure, so
 * the local journal, JetStream and a page in a browser filter alike. JetStream can apply part
 * of a query on the server (subjectFilter); the exact filter (matchesQuery) always runs after.
 */
import { globMatch } from './nameGlob.js';
import { escapeSubjectToken, type EventEnvelope, SUBJECT_PREFIX, splitActorId } from './envelope.js';

export interface EventQuery {
  node?: string;
  /** Exact actor id or a glob (`vrrp:*`, `server:proxy/*`). */
  actor?: string;
  /** Wall-clock ms, inclusive. */
  since?: number;
  /** Wall-clock ms, inclusive. */
  until?: number;
}

export const ALL_EVENTS = `${SUBJECT_PREFIX}.>`;

export function matchesQuery(env: EventEnvelope, q: EventQuery): boolean {
  return (
    (q.node === undefined || env.node === q.node) &&
    (q.actor === undefined || globMatch(q.actor, env.actor)) &&
    (q.since === undefined || env.ts >= q.since) &&
    (q.until === undefined || env.ts <= q.until)
  );
}

/**
 * The narrowest subject filter for a node and an actor. An actor filter narrows the subject only
 * when it is an exact id (`vrrp:VI_1`) or a whole kind (`vrrp:*`), since NATS wildcards match
 * whole tokens; any other glob is left to matchesQuery.
 */
export function subjectFilter(q: Pick<EventQuery, 'node' | 'actor'>): string {
  const node = q.node === undefined ? '*' : escapeSubjectToken(q.node);
  const wholeNode = `${SUBJECT_PREFIX}.${node}.>`;
  if (q.actor === undefined) return q.node === undefined ? ALL_EVENTS : wholeNode;
  const kindOnly = /^([^*?:]+):\*$/.exec(q.actor);
  if (kindOnly) return [SUBJECT_PREFIX, node, escapeSubjectToken(kindOnly[1]!), '*'].join('.');
  if (/[*?]/.test(q.actor)) return wholeNode;
  const { kind, name } = splitActorId(q.actor);
  return [SUBJECT_PREFIX, node, escapeSubjectToken(kind), escapeSubjectToken(name)].join('.');
}
