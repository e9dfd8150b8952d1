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
import { type EventDelivery, openDurableEvents, streamName } from '../journal/natsReader.js';
import type { NatsEventsConfig } from '../journal/natsConfig.js';
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

export async function startAlertConsumer(opts: AlertConsumerOptions): Promise<AlertConsumer> {
  const { log, store } = opts;
  const ackWaitMs = opts.ackWaitMs ?? 60_000;
  const maxDeliver = opts.maxDeliver ?? 10;
  const retryDelayMs = opts.retryDelayMs ?? 30_000;
  const stats: AlertStats = { handled: 0, matched: 0, fired: 0, deduplicated: 0, failed: 0, corrupt: 0 };
  const stopping = new AbortController();
  const stream = streamName(opts.nats, opts.stream);
  const where = { stream, consumer: opts.consumer };
  const events = await openDurableEvents({
    config: opts.nats,
    stream,
    consumer: opts.consumer,
    name: `halo-alerts:${opts.consumer}`,
    start: opts.start,
    ackWaitMs,
    maxDeliver,
    maxAckPending: 1,
    signal: stopping.signal,
    onRetry: (err) => log.warn({ err: err.message, ...where }, 'alerts: consumer not ready; retrying'),
    onCreated: () => log.info({ ...where, start: opts.start }, 'alerts: durable consumer created'),
  });

  const handle = async (d: EventDelivery): Promise<void> => {
    const env = d.env;
    if (!env) {
      stats.corrupt += 1;
      log.warn({ seq: d.streamSeq, subject: d.subject }, 'alerts: message is not an event envelope; skipped');
      d.giveUp();
      stats.handled += 1;
      return;
    }
    recordState(store.book, env);
    let failed = false;
    const keepAlive = setInterval(() => d.working(), Math.max(1000, ackWaitMs / 3));
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
            const delivery = d.deliveryCount;
            log.error(
              { rule: rule.name, id: env.id, action: action.kind, detail: out.detail, delivery },
              'alerts: action failed',
            );
          }
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
    await store.save();
    if (!failed) {
      await d.ack().catch((err: unknown) => {
        log.warn({ err, id: env.id }, 'alerts: ack not confirmed; a redelivery will be deduplicated');
      });
    } else if (d.deliveryCount >= maxDeliver) {
      log.error({ id: env.id, deliveries: d.deliveryCount }, 'alerts: giving up on this event');
      d.giveUp();
    } else if (!stopping.signal.aborted) {
      d.retry(retryDelayMs);
      return;
    }
    stats.handled += 1;
  };

  const running = (async () => {
    for await (const d of events.deliveries) {
      try {
        await handle(d);
      } catch (err) {
        // The store could not be saved, say: the event comes again and its fired actions stay deduplicated.
        log.error({ err, seq: d.streamSeq }, 'alerts: handling an event failed; asking for it again');
        d.retry(retryDelayMs);
      }
    }
  })();

  return {
    stats,
    stop: async () => {
      stopping.abort();
      await running;
      await events.close();
    },
  };
}
