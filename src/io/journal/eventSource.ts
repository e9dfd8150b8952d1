/**
 * The one way to read events back, for every reader: `halo events` (a range, or live),
 * `halo replay` (a range), the visualizer (history, then live). A source is the local journal
 * directory or JetStream; either way the reader gets envelopes in order, filtered by one
 * EventQuery, and a corrupt line or message is reported by place and skipped, never thrown.
 * `halo alerts` needs acks and resuming, which only JetStream has: natsReader.openDurableEvents.
 */
import type { EventEnvelope } from './envelope.js';
import { type EventQuery, matchesQuery, subjectFilter } from './eventQuery.js';
import { readJournal } from './fileJournal.js';
import type { NatsEventsConfig } from './natsConfig.js';
import { readNatsEvents } from './natsReader.js';

export type EventSource =
  | { kind: 'journal'; dir: string }
  | { kind: 'nats'; config: NatsEventsConfig; stream?: string };

/** A skipped line or message: where it was (`file:line`, `stream seq N`) and its text. */
export type CorruptReport = (where: string, text: string) => void;

export interface ReadEventsOptions {
  query?: EventQuery;
  /** Once caught up, keep yielding new events until `signal` aborts; `query.until` still filters. */
  follow?: boolean;
  signal?: AbortSignal;
  onCorrupt?: CorruptReport;
}

/** Envelopes matching the query, oldest first; with `follow`, then each new one as it comes. */
export async function* readEvents(source: EventSource, opts: ReadEventsOptions = {}): AsyncIterable<EventEnvelope> {
  const query = opts.query ?? {};
  const follow = opts.follow ?? false;
  const signal = opts.signal ? { signal: opts.signal } : {};
  const all =
    source.kind === 'nats'
      ? readNatsEvents({
          config: source.config,
          ...(source.stream === undefined ? {} : { stream: source.stream }),
          subject: subjectFilter(query),
          ...(query.since === undefined ? {} : { since: query.since }),
          follow,
          ...signal,
          onCorrupt: (seq, text) => opts.onCorrupt?.(`stream seq ${seq}`, text),
        })
      : readJournal(source.dir, {
          follow,
          ...signal,
          onCorrupt: (file, line, text) => opts.onCorrupt?.(`${file}:${line}`, text),
        });
  for await (const env of all) if (matchesQuery(env, query)) yield env;
}
