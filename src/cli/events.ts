/**
 * `halo events [--follow] [--node N] [--actor A] [--since T] [--until T] [--json]`: the audit
 * trail. Reads JetStream (an ordered consumer) when NATS is configured (`--nats URL` or
 * HALO_NATS_URL), else the local journal under `--state-dir`/journal. One line per transition,
 * or one envelope per line with `--json`. Corrupt journal lines are skipped with a warning on
 * stderr and counted; they never stop the reader. The event source here is shared with
 * `halo replay`.
 */
import { join } from 'node:path';
import { natsConfigFromEnv } from '../io/journal/natsConfig.js';
import { HaloError } from '../errors.js';
import { globMatch } from '../io/alerts/glob.js';
import type { EventEnvelope } from '../io/journal/envelope.js';
import { JournalTail } from '../io/journal/journalTail.js';
import type { NatsEventsConfig } from '../io/journal/natsConfig.js';
import { readNatsEvents, subjectFilter } from '../io/journal/natsReader.js';
import { parseCommandArgs } from './args.js';

export interface EventQuery {
  node?: string;
  /** Exact actor id or a glob (`vrrp:*`, `server:proxy/*`). */
  actor?: string;
  /** Wall-clock ms, inclusive. */
  since?: number;
  until?: number;
}

export interface EventSource {
  /** Local journal directory, used when `nats` is null. */
  journalDir: string;
  nats: NatsEventsConfig | null;
  stream?: string;
}

export interface ReadEventsOptions {
  source: EventSource;
  query: EventQuery;
  follow?: boolean;
  signal?: AbortSignal;
  /** A corrupt line or message: where (file:line or stream seq) and its text. */
  onCorrupt?: (where: string, text: string) => void;
}

export const TIME_HELP = `Times T: ISO-8601 (2026-11-25T03:14:00Z, 2026-11-25T03:14:00.123+01:00), relative to now
(-10m, -90s, -2h, -1d, -500ms) or 'now'.`;

const RELATIVE = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time argument as wall-clock ms (see TIME_HELP). */
export function parseTimeArg(text: string, now: number = Date.now()): number {
  if (text === 'now') return now;
  const rel = RELATIVE.exec(text);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) throw new HaloError('HALO_E_USAGE', `not a time: '${text}' (ISO-8601 like 2026-11-25T03:14:00Z, or relative like -10m)`, { text });
  return t;
}

/**
 * node:util parseArgs reads `--since -10m` as a missing value followed by an option; the
 * documented form is that one, so glue a relative time to its option (`--since=-10m`).
 */
export function joinTimeArgs(argv: string[], options: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (options.includes(a) && next !== undefined && RELATIVE.test(next)) {
      out.push(`${a}=${next}`);
      i += 1;
    } else out.push(a);
  }
  return out;
}

export function matchesQuery(env: EventEnvelope, q: EventQuery): boolean {
  return (
    (q.node === undefined || env.node === q.node) &&
    (q.actor === undefined || globMatch(q.actor, env.actor)) &&
    (q.since === undefined || env.ts >= q.since) &&
    (q.until === undefined || env.ts <= q.until)
  );
}

const POLL_MS = 200;

/** Envelopes matching the query from JetStream or the local journal, in order. */
export async function* readEvents(opts: ReadEventsOptions): AsyncIterable<EventEnvelope> {
  const { source, query } = opts;
  const all = source.nats
    ? readNatsEvents({
        config: source.nats,
        ...(source.stream === undefined ? {} : { stream: source.stream }),
        subject: subjectFilter(query),
        ...(query.since === undefined ? {} : { since: query.since }),
        follow: opts.follow ?? false,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onCorrupt: (seq, text) => opts.onCorrupt?.(`stream seq ${seq}`, text),
      })
    : readJournalDir(source.journalDir, opts);
  for await (const env of all) if (matchesQuery(env, query)) yield env;
}

async function* readJournalDir(dir: string, opts: ReadEventsOptions): AsyncIterable<EventEnvelope> {
  const tail = new JournalTail(dir, { after: null, onCorrupt: (file, line, text) => opts.onCorrupt?.(`${file}:${line}`, text) });
  try {
    for (;;) {
      const batch = await tail.next();
      yield* batch;
      if (batch.length > 0) continue;
      if (!opts.follow) break;
      if (opts.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, POLL_MS);
        opts.signal?.addEventListener('abort', done, { once: true });
      });
    }
    await tail.finish();
  } finally {
    await tail.close();
  }
}

/** `xstate.after.masterDown.vrrpInstance.backup` → `after masterDown`; others unchanged. */
function eventLabel(type: string): string {
  const m = /^xstate\.(after|done\.actor|error\.actor)\.([^.]+)/.exec(type);
  if (m) return `${m[1]!.replace('.actor', '')} ${m[2]}`;
  return type === 'xstate.init' ? 'init' : type;
}

/** The few context fields an operator scans for, when the machine has them. */
export function contextSummary(ctx: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof ctx.effectivePriority === 'number') parts.push(`prio=${ctx.effectivePriority}`);
  if (typeof ctx.masterIp === 'string') parts.push(`master=${ctx.masterIp}`);
  if (Array.isArray(ctx.faultReasons) && ctx.faultReasons.length > 0) parts.push(`fault=${JSON.stringify(ctx.faultReasons.join('; '))}`);
  if (typeof ctx.health === 'number') parts.push(`health=${ctx.health}`);
  const check = ctx.lastCheck as { reason?: unknown } | null | undefined;
  if (check && typeof check.reason === 'string') parts.push(`check=${check.reason}`);
  return parts.join(' ');
}

/** `2026-11-25T03:14:00.123Z node-b vrrp:VI_1 backup -> master (after masterDown) prio=100` */
export function formatEnvelope(env: EventEnvelope): string {
  const head = `${new Date(env.ts).toISOString()} ${env.node} ${env.actor} ${env.from ?? '-'} -> ${env.to} (${eventLabel(env.event.type)})`;
  const summary = contextSummary(env.context);
  return summary ? `${head} ${summary}` : head;
}

/** Options every reading command takes, and the source they select. */
export const SOURCE_OPTIONS = {
  'state-dir': { type: 'string' },
  nats: { type: 'string' },
  local: { type: 'boolean' },
  stream: { type: 'string' },
} as const;

export const SOURCE_HELP = `  --state-dir DIR   local journal is DIR/journal (default /var/lib/halo)
  --nats URL[,URL]  read JetStream at URL (default: HALO_NATS_URL when set)
  --local           read the local journal even when NATS is configured
  --stream NAME     JetStream stream (default HALO_EVENTS)`;

export function sourceFromArgs(values: { 'state-dir'?: string; nats?: string; local?: boolean; stream?: string }): EventSource {
  const nats = values.local ? null : values.nats ? { servers: values.nats.split(',').map((s) => s.trim()) } : natsConfigFromEnv();
  return {
    journalDir: join(values['state-dir'] ?? '/var/lib/halo', 'journal'),
    nats,
    ...(values.stream === undefined ? {} : { stream: values.stream }),
  };
}

/** Collects corrupt-line warnings on stderr and counts them. */
export function corruptCounter(): { onCorrupt: (where: string, text: string) => void; report: () => number } {
  let count = 0;
  return {
    onCorrupt: (where, text) => {
      count += 1;
      process.stderr.write(`halo: warning: corrupt journal line skipped at ${where}: ${JSON.stringify(text.slice(0, 80))}\n`);
    },
    report: () => {
      if (count > 0) process.stderr.write(`halo: ${count} corrupt line(s) skipped\n`);
      return count;
    },
  };
}

/** Writes honouring back-pressure; resolves false once stdout is gone (`halo events | head`). */
export function stdoutWriter(): (text: string) => Promise<boolean> {
  let closed = false;
  process.stdout.on('error', () => {
    closed = true;
  });
  return async (text) => {
    if (closed) return false;
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    return !closed;
  };
}

/** Aborts on SIGINT/SIGTERM, so `--follow` ends cleanly. */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

const HELP = `usage: halo events [--follow] [--node N] [--actor A] [--since T] [--until T] [--json]
Prints the transitions of every actor, oldest first.
  -f, --follow      keep printing new events (Ctrl-C to stop)
  --node N          only node N
  --actor A         only actor A (exact id, or a glob: 'vrrp:*', 'server:proxy/*')
  --since T         events at or after T
  --until T         events at or before T
  --json            one JSON envelope per line
${SOURCE_HELP}
${TIME_HELP}
`;

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(joinTimeArgs(argv, ['--since', '--until']), {
    ...SOURCE_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    node: { type: 'string' },
    actor: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const now = Date.now();
  const query: EventQuery = {
    ...(values.node === undefined ? {} : { node: values.node }),
    ...(values.actor === undefined ? {} : { actor: values.actor }),
    ...(values.since === undefined ? {} : { since: parseTimeArg(values.since, now) }),
    ...(values.until === undefined ? {} : { until: parseTimeArg(values.until, now) }),
  };
  if (values.follow && query.until !== undefined) throw new HaloError('HALO_E_USAGE', '--follow and --until exclude each other');
  const corrupt = corruptCounter();
  const write = stdoutWriter();
  const stop = abortOnSignals();
  try {
    for await (const env of readEvents({ source: sourceFromArgs(values), query, follow: values.follow ?? false, signal: stop.signal, onCorrupt: corrupt.onCorrupt })) {
      if (!(await write(`${values.json ? JSON.stringify(env) : formatEnvelope(env)}\n`))) break;
    }
  } finally {
    stop.dispose();
    corrupt.report();
  }
  return 0;
}
