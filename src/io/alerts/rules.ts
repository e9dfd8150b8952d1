/**
 * The alert rules model and its YAML form (alerts.yaml). A rule matches one envelope by node,
 * actor, machine, event type and state (see matcher.ts) and runs its actions in order. Every
 * finding is reported at once with file:line (Diagnostics), like the other config parsers.
 *
 *   consumer: halo-alerts        # durable JetStream consumer name (default halo-alerts)
 *   start: new                   # where a NEW consumer starts: new | all (default new)
 *   nats: nats://127.0.0.1:4222  # default: --nats, then HALO_NATS_URL
 *   stream: HALO_EVENTS
 *   state_dir: /var/lib/halo/alerts   # the fired-action store (default --state-dir)
 *   rules:
 *     - name: vip-moved
 *       match: { machine: vrrpInstance, enters: master }
 *       all: { actor: '{group}/*', state: health.down }   # optional, see matcher.ts
 *       actions:
 *         - log: '{node} {actor}: {from} -> {to}'
 *         - exec: { command: '/usr/local/bin/page vip', timeout: 10s }
 *         - webhook: { url: 'http://127.0.0.1:9000/hook', timeout: 5s, retries: 5, backoff: 500ms }
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { Diagnostics } from '../../config/diagnostics.js';
import type { SourcePos } from '../../errors.js';
import { splitCommandLine } from '../commandLine.js';
import type { WebhookTarget } from './webhook.js';

export interface AlertMatch {
  node?: string;
  actor?: string;
  machine?: string;
  /** Event type glob (`ADVERT`, `xstate.after.*`). */
  event?: string;
  /** State patterns (matcher.ts stateMatches); `from` never matches a first snapshot. */
  from?: string;
  to?: string;
  /** `to` matches and `from` did not: the actor entered the state (first snapshots excluded). */
  enters?: string;
  /** `from` matched and `to` does not. */
  leaves?: string;
}

/** Every actor on the event's node matching `actor` is in `state` (after this event). */
export interface AllCondition {
  /** Glob; `{group}` stands for the event actor's id up to its last `/` (`server:proxy`). */
  actor: string;
  state: string;
}

export type AlertAction =
  | { kind: 'log'; message: string }
  | { kind: 'exec'; argv: string[]; timeoutMs: number }
  | ({ kind: 'webhook' } & WebhookTarget);

export interface AlertRule {
  name: string;
  match: AlertMatch;
  all?: AllCondition;
  actions: AlertAction[];
  pos: SourcePos;
}

export interface AlertsConfig {
  consumer: string;
  start: 'new' | 'all';
  nats?: string[];
  stream?: string;
  stateDir?: string;
  rules: AlertRule[];
}

const MATCH_KEYS = ['node', 'actor', 'machine', 'event', 'from', 'to', 'enters', 'leaves'] as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

export function parseAlertsYaml(text: string, file: string): AlertsConfig {
  const diag = new Diagnostics();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const posOf = (n: Node | null | undefined): SourcePos => ({ file, line: n?.range ? lc.linePos(n.range[0]).line : 1 });
  for (const e of doc.errors) diag.error({ file, line: lc.linePos(e.pos[0]).line }, e.message, 'HALO_E_CONFIG_SYNTAX');
  diag.throwIfErrors();

  const root = doc.contents;
  const cfg: AlertsConfig = { consumer: 'halo-alerts', start: 'new', rules: [] };
  if (!isMap(root)) {
    diag.error(posOf(root), 'alerts file must be a mapping with a `rules:` list', 'HALO_E_CONFIG_SYNTAX');
    diag.throwIfErrors();
    return cfg;
  }

  const str = (n: unknown, what: string): string | undefined => {
    if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) return String(n.value);
    diag.error(posOf(n as Node), `${what} must be a string`);
    return undefined;
  };
  const duration = (n: unknown, what: string, dflt: number): number => {
    if (n === undefined) return dflt;
    const m = isScalar(n) ? DURATION.exec(String(n.value)) : null;
    if (!m) {
      diag.error(posOf(n as Node), `${what}: not a duration (500ms, 5s, 2m)`);
      return dflt;
    }
    return Number(m[1]) * DURATION_MS[m[2] ?? 'ms']!;
  };
  const count = (n: unknown, what: string, dflt: number): number => {
    if (n === undefined) return dflt;
    if (isScalar(n) && Number.isInteger(n.value) && (n.value as number) >= 0) return n.value as number;
    diag.error(posOf(n as Node), `${what} must be a whole number`);
    return dflt;
  };
  const knownKeys = (map: YAMLMap, keys: readonly string[], where: string): void => {
    for (const pair of map.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!keys.includes(k))
        diag.error(posOf(pair.key as Node), `unknown key '${k}' in ${where} (known: ${keys.join(', ')})`);
    }
  };

  knownKeys(root, ['consumer', 'start', 'nats', 'stream', 'state_dir', 'rules'], 'the alerts file');
  const consumer = root.get('consumer', true);
  if (consumer !== undefined) {
    const c = str(consumer, 'consumer');
    if (c !== undefined && /^[A-Za-z0-9_-]+$/.test(c)) cfg.consumer = c;
    else if (c !== undefined)
      diag.error(posOf(consumer), 'consumer: letters, digits, _ and - only (a JetStream durable name)');
  }
  const start = root.get('start', true);
  if (start !== undefined) {
    const s = str(start, 'start');
    if (s === 'new' || s === 'all') cfg.start = s;
    else diag.error(posOf(start), "start must be 'new' or 'all'");
  }
  const nats = root.get('nats', true);
  if (nats !== undefined) {
    const s = str(nats, 'nats');
    if (s !== undefined) cfg.nats = s.split(',').map((u) => u.trim());
  }
  const stream = root.get('stream', true);
  if (stream !== undefined) {
    const s = str(stream, 'stream');
    if (s !== undefined) cfg.stream = s;
  }
  const stateDir = root.get('state_dir', true);
  if (stateDir !== undefined) {
    const s = str(stateDir, 'state_dir');
    if (s !== undefined) cfg.stateDir = s;
  }

  const rules = root.get('rules', true);
  if (!isSeq(rules)) {
    diag.error(posOf(rules ?? root), '`rules:` must be a list of rules');
    diag.throwIfErrors();
    return cfg;
  }
  const names = new Set<string>();
  for (const item of rules.items) {
    const at = posOf(item as Node);
    if (!isMap(item)) {
      diag.error(at, 'a rule must be a mapping with name, match and actions');
      continue;
    }
    knownKeys(item, ['name', 'match', 'all', 'actions'], 'a rule');
    const name = item.has('name') ? str(item.get('name', true), 'name') : undefined;
    if (name === undefined) diag.error(at, 'a rule needs a name');
    else if (names.has(name)) diag.error(at, `duplicate rule name '${name}'`);
    else names.add(name);

    const match: AlertMatch = {};
    const m = item.get('match', true);
    if (isMap(m)) {
      knownKeys(m, MATCH_KEYS, `rule '${name}' match`);
      for (const key of MATCH_KEYS) {
        const v = m.get(key, true);
        if (v === undefined) continue;
        const s = str(v, `match.${key}`);
        if (s !== undefined) match[key] = s;
      }
    } else if (m !== undefined) diag.error(posOf(m as Node), 'match must be a mapping');

    let all: AllCondition | undefined;
    const a = item.get('all', true);
    if (isMap(a)) {
      knownKeys(a, ['actor', 'state'], `rule '${name}' all`);
      const actor = a.has('actor') ? str(a.get('actor', true), 'all.actor') : undefined;
      const state = a.has('state') ? str(a.get('state', true), 'all.state') : undefined;
      if (actor === undefined || state === undefined) diag.error(posOf(a), 'all needs actor and state');
      else all = { actor, state };
    } else if (a !== undefined) diag.error(posOf(a as Node), 'all must be a mapping with actor and state');

    const actions: AlertAction[] = [];
    const acts = item.get('actions', true);
    if (!isSeq(acts) || acts.items.length === 0)
      diag.error(posOf((acts as Node) ?? item), `rule '${name}' needs a non-empty actions list`);
    else {
      for (const act of acts.items) {
        const action = parseAction(act as Node);
        if (action) actions.push(action);
      }
    }
    if (name !== undefined) cfg.rules.push({ name, match, ...(all ? { all } : {}), actions, pos: at });
  }
  diag.throwIfErrors();
  return cfg;

  function parseAction(n: Node): AlertAction | undefined {
    if (!isMap(n) || n.items.length !== 1) {
      diag.error(posOf(n), 'an action is one of: log: MESSAGE, exec: {...}, webhook: {...}');
      return undefined;
    }
    const pair = n.items[0]!;
    const kind = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as Node;
    if (kind === 'log') {
      const message = str(v, 'log');
      return message === undefined ? undefined : { kind: 'log', message };
    }
    if (kind === 'exec') {
      const body = isScalar(v) ? null : v;
      const cmdNode = body && isMap(body) ? body.get('command', true) : v;
      if (body && isMap(body)) knownKeys(body, ['command', 'timeout'], 'exec');
      let argv: string[] = [];
      if (isSeq(cmdNode)) argv = cmdNode.items.map((x) => str(x, 'exec.command') ?? '');
      else {
        const s = str(cmdNode, 'exec.command');
        if (s !== undefined) {
          try {
            argv = splitCommandLine(s);
          } catch (err) {
            diag.error(posOf(cmdNode as Node), (err as Error).message);
          }
        }
      }
      if (argv.length === 0) {
        diag.error(posOf(v), 'exec needs a command');
        return undefined;
      }
      const timeoutMs = duration(body && isMap(body) ? body.get('timeout', true) : undefined, 'exec.timeout', 10_000);
      return { kind: 'exec', argv, timeoutMs };
    }
    if (kind === 'webhook') {
      if (!isMap(v)) {
        diag.error(posOf(v), 'webhook must be a mapping with url');
        return undefined;
      }
      knownKeys(v, ['url', 'timeout', 'retries', 'backoff', 'max_backoff', 'headers'], 'webhook');
      const url = v.has('url') ? str(v.get('url', true), 'webhook.url') : undefined;
      if (url === undefined || !/^https?:\/\//.test(url)) {
        diag.error(posOf(v), 'webhook needs an http:// or https:// url');
        return undefined;
      }
      const headers: Record<string, string> = {};
      const h = v.get('headers', true);
      if (isMap(h))
        for (const p of h.items)
          headers[String(isScalar(p.key) ? p.key.value : '')] = str(p.value, 'webhook header') ?? '';
      else if (h !== undefined) diag.error(posOf(h as Node), 'webhook.headers must be a mapping');
      return {
        kind: 'webhook',
        url,
        timeoutMs: duration(v.get('timeout', true), 'webhook.timeout', 5000),
        retries: count(v.get('retries', true), 'webhook.retries', 5),
        backoffMs: duration(v.get('backoff', true), 'webhook.backoff', 500),
        maxBackoffMs: duration(v.get('max_backoff', true), 'webhook.max_backoff', 30_000),
        headers,
      };
    }
    diag.error(posOf(pair.key as Node), `unknown action '${kind}' (log, exec, webhook)`);
    return undefined;
  }
}
