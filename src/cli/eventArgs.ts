/**
 * What every command that reads events takes from its command line: the source (local journal
 * or JetStream), time arguments, and how corrupt lines are told to the operator.
 */
import { join } from 'node:path';
import { HaloError } from '../errors.js';
import { type EventEnvelope, MAX_TIME_MS } from '../io/journal/envelope.js';
import { type CorruptReport, type EventSource, type ReadEventsOptions, readEvents } from '../io/journal/eventSource.js';
import { type NatsEventsConfig, natsConfigFromEnv } from '../io/journal/natsConfig.js';

export const TIME_HELP = `Times T: ISO-8601 (2026-11-25T03:14:00Z, 2026-11-25T03:14:00.123+01:00), relative to now
(-10m, -90s, -2h, -1d, -500ms) or 'now'.`;

const RELATIVE = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time argument as wall-clock ms (see TIME_HELP); anything else is HALO_E_USAGE. */
export function parseTimeArg(text: string, now: number = Date.now()): number {
  if (text === 'now') return now;
  const rel = RELATIVE.exec(text);
  const iso = /^\d{4}-\d{2}-\d{2}/.test(text);
  const t = rel ? now - Number(rel[1]) * UNIT_MS[rel[2]!]! : iso ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) {
    const hint = 'ISO-8601 like 2026-11-25T03:14:00Z, or relative like -10m';
    throw new HaloError('HALO_E_USAGE', `not a time: '${text}' (${hint})`, { text });
  }
  if (Math.abs(t) > MAX_TIME_MS) throw new HaloError('HALO_E_USAGE', `time out of range: '${text}'`, { text });
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

/** `--nats URL[,URL]`, else the servers a config file names, else HALO_NATS_URL; null: none. */
export function natsFromArgs(arg: string | undefined, fromFile?: string[]): NatsEventsConfig | null {
  const servers = arg ? arg.split(',').map((s) => s.trim()) : fromFile;
  return servers ? { servers } : natsConfigFromEnv();
}

export interface SourceArgs {
  'state-dir'?: string;
  nats?: string;
  local?: boolean;
  stream?: string;
}

export function sourceFromArgs(values: SourceArgs): EventSource {
  const nats = values.local ? null : natsFromArgs(values.nats);
  if (nats) return { kind: 'nats', config: nats, ...(values.stream === undefined ? {} : { stream: values.stream }) };
  return { kind: 'journal', dir: join(values['state-dir'] ?? '/var/lib/halo', 'journal') };
}

/**
 * The events a command asked for, from the source its options name. Each corrupt line is told
 * on stderr as it is skipped, and their count once the reading ends (or the command stops it).
 */
export async function* commandEvents(
  values: SourceArgs,
  opts: Omit<ReadEventsOptions, 'onCorrupt'>,
): AsyncIterable<EventEnvelope> {
  const corrupt = corruptCounter();
  try {
    yield* readEvents(sourceFromArgs(values), { ...opts, onCorrupt: corrupt.onCorrupt });
  } finally {
    corrupt.report();
  }
}

function corruptCounter(): { onCorrupt: CorruptReport; report: () => void } {
  let count = 0;
  return {
    onCorrupt: (where, text) => {
      count += 1;
      const shown = JSON.stringify(text.slice(0, 80));
      process.stderr.write(`halo: warning: corrupt journal line skipped at ${where}: ${shown}\n`);
    },
    report: () => {
      if (count > 0) process.stderr.write(`halo: ${count} corrupt line(s) skipped\n`);
    },
  };
}
