/**
 * Which rules an envelope fires. Pure: the only state is the StateBook, the last known state of
 * every actor, which `all:` conditions read ("every server of this proxy is down").
 *
 * State patterns match like xstate's `matches`: a state string is one or more leaf paths
 * (`health.down.stable,admin.ready,check.waiting`); a pattern matches if it glob-matches a
 * path or a prefix of one ending at a `.`. So `master` matches `master`, `health.down` matches
 * `health.down.stable`, and `admin.maint` matches a server in maintenance whatever its health.
 */
import { comparePositions, type EventEnvelope, type JournalPosition } from '../journal/envelope.js';
import { globMatch } from '../journal/nameGlob.js';
import type { AlertMatch, AlertRule, AllCondition } from './rules.js';

export function stateMatches(pattern: string, state: string): boolean {
  return state.split(',').some((path) => {
    const segs = path.split('.');
    for (let n = segs.length; n >= 1; n -= 1) if (globMatch(pattern, segs.slice(0, n).join('.'))) return true;
    return false;
  });
}

export interface BookEntry extends JournalPosition {
  state: string;
}

/** node → { boot, actor → last state }: what `all:` reads. JSON-safe, so it can be persisted. */
export type StateBook = Record<string, { boot: number; actors: Record<string, BookEntry> }>;

/**
 * Records `env` in the book. A new boot of a node starts its actors afresh; an envelope older
 * than what the book has for its actor (a redelivery) changes nothing.
 */
export function recordState(book: StateBook, env: EventEnvelope): void {
  let node = book[env.node];
  if (!node || env.boot > node.boot) {
    node = { boot: env.boot, actors: {} };
    book[env.node] = node;
  }
  if (env.boot < node.boot) return;
  const prev = node.actors[env.actor];
  if (prev && comparePositions(prev, env) >= 0) return;
  node.actors[env.actor] = { state: env.to, boot: env.boot, seq: env.seq };
}

export function matchesEvent(m: AlertMatch, env: EventEnvelope): boolean {
  if (m.node !== undefined && !globMatch(m.node, env.node)) return false;
  if (m.actor !== undefined && !globMatch(m.actor, env.actor)) return false;
  if (m.machine !== undefined && !globMatch(m.machine, env.machine)) return false;
  if (m.event !== undefined && !globMatch(m.event, env.event.type)) return false;
  if (m.to !== undefined && !stateMatches(m.to, env.to)) return false;
  if (m.from !== undefined && (env.from === null || !stateMatches(m.from, env.from))) return false;
  if (
    m.enters !== undefined &&
    (env.from === null || !stateMatches(m.enters, env.to) || stateMatches(m.enters, env.from))
  )
    return false;
  if (
    m.leaves !== undefined &&
    (env.from === null || !stateMatches(m.leaves, env.from) || stateMatches(m.leaves, env.to))
  )
    return false;
  return true;
}

/** `server:proxy/db1` → `server:proxy`; an id without `/` is its own group. */
export function actorGroup(actor: string): string {
  const slash = actor.lastIndexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
}

/** Every actor of the event's node that `cond.actor` names is in `cond.state` (at least one). */
export function allHold(cond: AllCondition, env: EventEnvelope, book: StateBook): boolean {
  const glob = cond.actor.replaceAll('{group}', actorGroup(env.actor));
  const members = Object.entries(book[env.node]?.actors ?? {}).filter(([actor]) => globMatch(glob, actor));
  return members.length > 0 && members.every(([, e]) => stateMatches(cond.state, e.state));
}

/** The rules `env` fires, given the book already updated with `env`. */
export function firedRules(rules: readonly AlertRule[], env: EventEnvelope, book: StateBook): AlertRule[] {
  return rules.filter((r) => matchesEvent(r.match, env) && (r.all === undefined || allHold(r.all, env, book)));
}
