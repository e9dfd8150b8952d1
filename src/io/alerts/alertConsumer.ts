/**
 * The alerts process's one loop: a durable JetStream consumer with explicit acks reads the
 * event stream; each envelope updates the StateBook, fires the rules it matches, and is acked
 * only after the fired actions are recorded in the store (alertStore.ts). Delivery is
 * at-least-once and the store makes it effectively once per action: an envelope redelivered
 * after a crash, a lost ack or a consumer reset finds its actions already fired and skips them.
 *
 * max_ack_pending is 1: envelopes are handled one at a time in stream order, so `all:` sees
 * states in the order they happened. An action that fails (webhook gave up, script exit ≠ 0)
 * leaves the envelope un-acked and asks for redelivery after `retryDelayMs`; only the failed
 * actions run again. After `maxDeliver` deliveries the envelope is given up (logged, terminated).
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
import { SUBJECT_PREFIX } from '../journal/envelope.js';
import { connectionOptions, DEFAULT_STREAM, type NatsEventsConfig } from '../journal/natsConfig.js';
import { parseLine } from '../journal/segments.js';
import type { Logger } from '../log.js';
import { runAction } from './actions.js';
import { type AlertStore, firedKey } from './alertStore.js';
import { firedRules, recordState } from './matcher.js';
import type { AlertRule } from './rules.js';

export interface AlertConsumerOptions {
  nats: NatsEventsConfig;
  stream?: string;
  /** Durable consumer name. */
  consumer: string;
  /** Where a consumer that does not exist yet starts: only new events, or the whole stream. */
  start: 'new' | 'all';
  rules: AlertRule[];
  store: AlertStore;
  log: Logger;
  /** Default 60 s; the handler extends it while actions run. */
  ackWaitMs?: number;
  /** Default 10. */
  maxDeliver?: number;
  /** Redelivery delay after a failed action; default 30 s. */
  retryDelayMs?: number;
}

export interface AlertStats {
  /** Envelopes handled (acked or terminated). */
  handled: number;
  /** Rule matches. */
  matched: number;
  /** Actions run successfully. */
  fired: number;
  /** Actions skipped because the store says they already fired. */
  deduplicated: number;
  failed: number;
  corrupt: number;
}

export interface AlertConsumer {
  readonly stats: Readonly<AlertStats>;
  stop(): Promise<void>;
}

const RETRY_MS = 1000;

export async function startAlertConsumer(opts: AlertConsumerOptions): Promise<AlertConsumer> {
  const { log, store } = opts;
  const stream = opts.stream ?? opts.nats.stream?.name ?? DEFAULT_STREAM;
  const ackWaitMs = opts.ackWaitMs ?? 60_000;
  const maxDeliver = opts.maxDeliver ?? 10;
  const retryDelayMs = opts.retryDelayMs ?? 30_000;
  const stats: AlertStats = { handled: 0, matched: 0, fired: 0, deduplicated: 0, failed: 0, corrupt: 0 };
  const stopping = new AbortController();
  let messages: ConsumerMessages | null = null;

  let nc: NatsConnection;
  try {
    nc = await connect(await connectionOptions(opts.nats, `halo-alerts:${opts.consumer}`));
  } catch (err) {
    throw new HaloError('HALO_E_NATS', `cannot connect to NATS ${opts.nats.servers.join(',')}: ${(err as Error).message}`, { servers: opts.nats.servers }, { cause: err });
  }

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopping.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  /** The durable consumer, created on first use; waits for the stream (no publisher yet). */
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
      filter_subject: `${SUBJECT_PREFIX}.>`,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      max_ack_pending: 1,
    });
    log.info({ stream, consumer: opts.consumer, start: opts.start }, 'alerts: durable consumer created');
  };

  const handle = async (m: JsMsg): Promise<void> => {
    const env = parseLine(m.string());
    if (!env) {
      stats.corrupt += 1;
      log.warn({ seq: m.seq, subject: m.subject }, 'alerts: message is not an event envelope; skipped');
      m.term('not an envelope');
      stats.handled += 1;
      return;
    }
    recordState(store.book, env);
    let failed = false;
    const keepAlive = setInterval(() => m.working(), Math.max(1000, ackWaitMs / 3));
    try {
      for (const rule of firedRules(opts.rules, env, store.book)) {
        stats.matched += 1;
        for (const [i, action] of rule.actions.entries()) {
          const key = firedKey(env.id, rule.name, i);
          if (store.hasFired(key)) {
            stats.deduplicated += 1;
            continue;
          }
          const out = await runAction(action, { rule: rule.name, env, log, signal: stopping.signal });
          if (out.ok) {
            store.markFired(key);
            stats.fired += 1;
            log.info({ rule: rule.name, id: env.id, action: action.kind, detail: out.detail }, 'alerts: action fired');
          } else {
            failed = true;
            stats.failed += 1;
            log.error({ rule: rule.name, id: env.id, action: action.kind, detail: out.detail, delivery: m.info.deliveryCount }, 'alerts: action failed');
          }
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
    await store.save();
    if (!failed) {
      await m.ackAck().catch((err: unknown) => log.warn({ err, id: env.id }, 'alerts: ack not confirmed; a redelivery will be deduplicated'));
    } else if (m.info.deliveryCount >= maxDeliver) {
      log.error({ id: env.id, deliveries: m.info.deliveryCount }, 'alerts: giving up on this event');
      m.term('actions failed');
    } else if (!stopping.signal.aborted) {
      m.nak(retryDelayMs);
      return;
    }
    stats.handled += 1;
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      try {
        await ensureConsumer();
        const consumer = await jetstream(nc).consumers.get(stream, opts.consumer);
        messages = await consumer.consume({ max_messages: 1 });
        for await (const m of messages) await handle(m);
      } catch (err) {
        if (stopping.signal.aborted) break;
        log.warn({ err: (err as Error).message, stream }, 'alerts: consumer not ready; retrying');
      }
      messages = null;
      await pause(RETRY_MS);
    }
  };
  const running = run();

  return {
    stats,
    stop: async () => {
      stopping.abort();
      await messages?.close().catch(() => undefined);
      await running;
      await nc.drain().catch(() => undefined);
    },
  };
}
