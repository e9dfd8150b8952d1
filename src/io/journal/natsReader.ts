/**
 * Reads envelopes back out of JetStream with an ordered consumer: an ephemeral, unacknowledged
 * consumer the client recreates from the last stream sequence it saw whenever it misses a
 * message or a heartbeat, so the reader sees the stream in order with no gap. A one-shot read
 * ends once the consumer reports nothing pending; `follow` keeps reading until the signal aborts.
 *
 * Filters run on the server where the subject can say them (`halo.events.<node>.<kind>.<name>`,
 * see envelope.ts); `since` becomes the consumer's start time, less a margin because the
 * stream's arrival time is not the envelope's `ts` (clocks differ, and a node's events wait in
 * its journal during a NATS outage and arrive late: later, never earlier, than their ts but for
 * clock skew). The caller filters on the envelope fields exactly.
 */
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';
import { escapeSubjectToken, type EventEnvelope, SUBJECT_PREFIX, splitActorId } from './envelope.js';
import { connectionOptions, DEFAULT_STREAM, type NatsEventsConfig } from './natsConfig.js';
import { parseLine } from './segments.js';

export interface NatsReadOptions {
  config: NatsEventsConfig;
  /** Default HALO_EVENTS (or config.stream.name). */
  stream?: string;
  /** Subject filter (subjectFilter); default every event subject. One, not several: multiple filters need nats-server 2.10. */
  subject?: string;
  /** Deliver from this wall-clock time (ms) on, less `skewMarginMs`; default the whole stream. */
  since?: number;
  /** Default 60 s. */
  skewMarginMs?: number;
  /** Keep reading new events until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** A message whose payload is not an envelope: skipped, reported here. */
  onCorrupt?: (streamSeq: number, text: string) => void;
  /** Connection name shown by the server. */
  name?: string;
}

const ALL_EVENTS = `${SUBJECT_PREFIX}.>`;
const DEFAULT_SKEW_MARGIN_MS = 60_000;

/**
 * The narrowest subject filter for a node and an actor. An actor filter narrows the subject only
 * when it is an exact id (`vrrp:VI_1`) or a whole kind (`vrrp:*`), since NATS wildcards match
 * whole tokens; any other glob is left to the caller's exact filter.
 */
export function subjectFilter(q: { node?: string; actor?: string }): string {
  const node = q.node === undefined ? '*' : escapeSubjectToken(q.node);
  const wholeNode = `${SUBJECT_PREFIX}.${node}.>`;
  if (q.actor === undefined) return q.node === undefined ? ALL_EVENTS : wholeNode;
  const kindOnly = /^([^*?:]+):\*$/.exec(q.actor);
  if (kindOnly) return [SUBJECT_PREFIX, node, escapeSubjectToken(kindOnly[1]!), '*'].join('.');
  if (/[*?]/.test(q.actor)) return wholeNode;
  const { kind, name } = splitActorId(q.actor);
  return [SUBJECT_PREFIX, node, escapeSubjectToken(kind), escapeSubjectToken(name)].join('.');
}

export async function* readNatsEvents(opts: NatsReadOptions): AsyncIterable<EventEnvelope> {
  const stream = opts.stream ?? opts.config.stream?.name ?? DEFAULT_STREAM;
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({ ...(await connectionOptions(opts.config, opts.name ?? 'halo-events')), maxReconnectAttempts: opts.follow ? -1 : 3 });
  } catch (err) {
    throw new HaloError('HALO_E_NATS', `cannot connect to NATS ${opts.config.servers.join(',')}: ${(err as Error).message}`, { servers: opts.config.servers }, { cause: err });
  }
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers
      .get(stream, {
        filter_subjects: opts.subject ?? ALL_EVENTS,
        ...(opts.since === undefined
          ? { deliver_policy: DeliverPolicy.All }
          : { opt_start_time: new Date(opts.since - (opts.skewMarginMs ?? DEFAULT_SKEW_MARGIN_MS)).toISOString() }),
      })
      .catch((err: unknown) => {
        throw new HaloError('HALO_E_NATS', `cannot read stream ${stream}: ${(err as Error).message}`, { stream }, { cause: err });
      });
    if (opts.signal?.aborted || (!opts.follow && (await consumer.info(true)).num_pending === 0)) return;
    const messages = await consumer.consume({ max_messages: 256 });
    const stop = (): void => void messages.close().catch(() => undefined);
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of messages) {
        const env = decode(m, opts.onCorrupt);
        if (env) yield env;
        if (!opts.follow && m.info.pending === 0) break;
      }
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      await messages.close().catch(() => undefined);
    }
  } finally {
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }
}

function decode(m: JsMsg, onCorrupt: NatsReadOptions['onCorrupt']): EventEnvelope | null {
  const text = m.string();
  const env = parseLine(text);
  if (!env) onCorrupt?.(m.seq, text);
  return env;
}
