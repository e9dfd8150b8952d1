/**
 * Reads envelopes back out of JetStream, in one of two ways:
 *
 * - readNatsEvents: an ordered consumer, an ephemeral unacknowledged consumer the client
 *   recreates from the last stream sequence it saw whenever it misses a message or a heartbeat,
 *   so the reader sees the stream in order with no gap. A one-shot read ends once the consumer
 *   reports nothing pending; `follow` keeps reading until the signal aborts. `since` becomes
 *   the consumer's start time, less a margin because the stream's arrival time is not the
 *   envelope's `ts` (clocks differ, and a node's events wait in its journal during a NATS outage
 *   and arrive late: later, never earlier, than their ts but for clock skew). The caller filters
 *   on the envelope fields exactly.
 * - openDurableEvents: a durable consumer with explicit acks, for a reader that must resume
 *   where it stopped and see each event at least once (halo alerts). Each delivery is handed
 *   over with its ack, retry and give-up; the consumer is created on first use and waited for
 *   while the stream does not exist yet (no publisher has run).
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';
import { sleep } from '../sleep.js';
import type { EventEnvelope } from './envelope.js';
import { ALL_EVENTS } from './eventQuery.js';
import { connectionOptions, DEFAULT_STREAM, type NatsEventsConfig } from './natsConfig.js';
import { parseLine } from './segments.js';

export interface NatsReadOptions {
  config: NatsEventsConfig;
  /** Default HALO_EVENTS (or config.stream.name). */
  stream?: string;
  /**
   * Subject filter (subjectFilter); default every event subject. One, not several: multiple
   * filters need nats-server 2.10.
   */
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

export interface DurableReadOptions {
  config: NatsEventsConfig;
  stream?: string;
  /** Durable consumer name. */
  consumer: string;
  /** Connection name shown by the server. */
  name: string;
  /** Where a consumer that does not exist yet starts: only new events, or the whole stream. */
  start: 'new' | 'all';
  ackWaitMs: number;
  maxDeliver: number;
  /** Messages handed out before one is acked; 1 keeps stream order through retries. */
  maxAckPending: number;
  /** Ends the deliveries. */
  signal: AbortSignal;
  /** The consumer could not be read (no stream yet, connection lost); retried after a pause. */
  onRetry?: (err: Error) => void;
  onCreated?: () => void;
}

/** One message of a durable consumer, and what its reader may answer. */
export interface EventDelivery {
  /** null: the payload is not an envelope. */
  env: EventEnvelope | null;
  streamSeq: number;
  subject: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** Acked and confirmed by the server. */
  ack(): Promise<void>;
  /** Deliver again after `delayMs`. */
  retry(delayMs: number): void;
  /** Never deliver again. */
  giveUp(): void;
  /** Still working on it: restart the ack-wait timer. */
  working(): void;
}

export interface DurableEvents {
  readonly deliveries: AsyncIterable<EventDelivery>;
  /** Call after `signal` aborted and the deliveries ended; does not wait for a server that is gone. */
  close(): Promise<void>;
}

const DEFAULT_SKEW_MARGIN_MS = 60_000;
/** Pause before a durable reader looks for its stream or consumer again. */
const DURABLE_RETRY_MS = 1000;

/** The stream a reader reads: its option, else the config's, else HALO_EVENTS. */
export function streamName(config: NatsEventsConfig, stream: string | undefined): string {
  return stream ?? config.stream?.name ?? DEFAULT_STREAM;
}

async function connectReader(config: NatsEventsConfig, name: string, reconnects: number): Promise<NatsConnection> {
  try {
    return await connect({ ...(await connectionOptions(config, name)), maxReconnectAttempts: reconnects });
  } catch (err) {
    if (err instanceof HaloError) throw err;
    const message = `cannot connect to NATS ${config.servers.join(',')}: ${(err as Error).message}`;
    throw new HaloError('HALO_E_NATS', message, { servers: config.servers }, { cause: err });
  }
}

export async function* readNatsEvents(opts: NatsReadOptions): AsyncIterable<EventEnvelope> {
  const stream = streamName(opts.config, opts.stream);
  const nc = await connectReader(opts.config, opts.name ?? 'halo-events', opts.follow ? -1 : 3);
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
        const message = `cannot read stream ${stream}: ${(err as Error).message}`;
        throw new HaloError('HALO_E_NATS', message, { stream }, { cause: err });
      });
    if (opts.signal?.aborted || (!opts.follow && (await consumer.info(true)).num_pending === 0)) return;
    const messages = await consumer.consume({ max_messages: 256 });
    const stop = (): void => void messages.close().catch(() => undefined);
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of messages) {
        const text = m.string();
        const env = parseLine(text);
        if (env) yield env;
        else opts.onCorrupt?.(m.seq, text);
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

/** Connects at once (a bad server list fails here, as HALO_E_NATS); the deliveries follow. */
export async function openDurableEvents(opts: DurableReadOptions): Promise<DurableEvents> {
  const stream = streamName(opts.config, opts.stream);
  const nc = await connectReader(opts.config, opts.name, -1);

  const ensureConsumer = async (): Promise<void> => {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.consumers.info(stream, opts.consumer);
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    await jsm.consumers.add(stream, {
      durable_name: opts.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: opts.start === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
      filter_subject: ALL_EVENTS,
      ack_wait: nanos(opts.ackWaitMs),
      max_deliver: opts.maxDeliver,
      max_ack_pending: opts.maxAckPending,
    });
    opts.onCreated?.();
  };

  async function* deliveries(): AsyncIterable<EventDelivery> {
    while (!opts.signal.aborted) {
      let messages: ConsumerMessages | null = null;
      const stop = (): void => void messages?.close().catch(() => undefined);
      opts.signal.addEventListener('abort', stop, { once: true });
      try {
        await ensureConsumer();
        const consumer = await jetstream(nc).consumers.get(stream, opts.consumer);
        messages = await consumer.consume({ max_messages: opts.maxAckPending });
        if (opts.signal.aborted) stop();
        for await (const m of messages) yield delivery(m);
      } catch (err) {
        if (opts.signal.aborted) break;
        opts.onRetry?.(err as Error);
      } finally {
        opts.signal.removeEventListener('abort', stop);
        await messages?.close().catch(() => undefined);
      }
      await sleep(DURABLE_RETRY_MS, opts.signal);
    }
  }

  return {
    deliveries: deliveries(),
    close: () => nc.close().catch(() => undefined),
  };
}

function delivery(m: JsMsg): EventDelivery {
  return {
    env: parseLine(m.string()),
    streamSeq: m.seq,
    subject: m.subject,
    deliveryCount: m.info.deliveryCount,
    ack: async () => {
      await m.ackAck();
    },
    retry: (delayMs) => m.nak(delayMs),
    // A bare +TERM: nats-server before 2.10.4 ignores `+TERM <reason>`, and then the message
    // would hold the consumer's only ack slot until ack_wait, again and again up to max_deliver.
    giveUp: () => m.term(),
    working: () => m.working(),
  };
}
