/**
 * The publish window: envelopes read from the journal tail go to JetStream with
 * `Nats-Msg-Id = id`, up to `size` in flight, and the ack cursor advances over the contiguous
 * acked prefix.
 *
 * Order: a run sends what failed before anything new, oldest first. Once a publish fails, the
 * run sends nothing more and ends when nothing else is in flight, so the link can wait out its
 * backoff and the next run re-sends in order. The one case that can reorder is an ack timeout on
 * a live connection (a later envelope stored before an earlier one is re-sent); consumers order
 * by (boot, seq), which the id carries.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { HaloError } from '../../errors.js';
import type { AckCursor } from './ackCursor.js';
import { type EventEnvelope, subjectFor } from './envelope.js';
import type { JournalTail } from './journalTail.js';
import { isStreamMissing } from './streamSetup.js';

/** Polling fallback when no journal write or ack wakes the run. */
const POLL_MS = 250;
/** A failed journal read is tried again after this. */
const JOURNAL_RETRY_MS = 1000;

export interface PublishWindowOptions {
  tail: JournalTail;
  cursor: AckCursor;
  /** Publishes in flight at most. */
  size: number;
  /** A publish without an ack after this is failed and re-sent. */
  ackTimeoutMs: number;
  streamName: string;
  journalDir: string;
  counters: { published: number; acked: number };
  onError(err: unknown, msg: string): void;
}

/** How a run ended on its own: a publish failed and the rest in flight have settled. */
export interface PublishFailure {
  error: unknown;
  /** The stream (or JetStream) is gone: set it up again before re-sending. */
  streamLost: boolean;
  /** Some publishes were acked during the run. */
  progressed: boolean;
}

interface InFlight {
  env: EventEnvelope;
  subject: string;
  payload: string;
  state: 'sending' | 'acked' | 'failed';
  attempt: number;
}

interface Round {
  failure: { error: unknown; streamLost: boolean } | null;
  progressed: boolean;
}

/** Resolves a waiting run early when something it waits for happens. */
class Wakeup {
  private wake: (() => void) | null = null;
  private pending = false;

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

export class PublishWindow {
  private inflight: InFlight[] = [];
  private backlog: EventEnvelope[] = [];
  private readonly wakeup = new Wakeup();
  private round: Round = { failure: null, progressed: false };
  /** Runs never overlap: a new one starts once the one it replaces has let go of the tail. */
  private active: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PublishWindowOptions) {}

  /** Envelopes read from the journal and not yet acked. */
  get pending(): number {
    return this.backlog.length + this.inflight.length;
  }

  /** Something was written to the journal. */
  notify(): void {
    this.wakeup.notify();
  }

  /**
   * Publishes over `js` until `signal` aborts (null), a publish fails (the failure, once nothing
   * else is in flight), or, given `final`, once it has settled and everything read is acked (null).
   */
  run(js: JetStreamClient, signal: AbortSignal, final?: Promise<unknown>): Promise<PublishFailure | null> {
    const next = this.active.then(() => this.loop(js, signal, final));
    this.active = next.catch(() => undefined);
    return next;
  }

  /** Resolves when the current run (already told to stop) has ended. */
  async idle(): Promise<void> {
    await this.active;
  }

  /** The connection these went out on is gone: their replies will not come, so they go again. */
  abandonSending(): void {
    for (const e of this.inflight) if (e.state === 'sending') e.state = 'failed';
  }

  private async loop(
    js: JetStreamClient,
    signal: AbortSignal,
    final?: Promise<unknown>,
  ): Promise<PublishFailure | null> {
    const round: Round = { failure: null, progressed: false };
    this.round = round;
    let finalSettled = false;
    const settle = (): void => {
      finalSettled = true;
      this.wakeup.notify();
    };
    final?.then(settle, settle);
    const onAbort = (): void => this.wakeup.notify();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const e of this.inflight) if (e.state === 'failed') this.send(js, e);
      while (!signal.aborted) {
        if (round.failure) {
          const settled = !this.inflight.some((e) => e.state === 'sending');
          if (settled) return { ...round.failure, progressed: round.progressed };
          await this.wakeup.wait(POLL_MS);
          continue;
        }
        // Taken before the read: a read that starts after `final` sees everything journaled.
        const drained = finalSettled;
        let caughtUp = false;
        if (this.backlog.length === 0 && this.inflight.length < this.opts.size) {
          try {
            this.backlog = await this.opts.tail.next();
          } catch (err) {
            const { journalDir } = this.opts;
            const cause = new HaloError(
              'HALO_E_JOURNAL_IO',
              `cannot read journal ${journalDir}`,
              { dir: journalDir },
              {
                cause: err,
              },
            );
            this.opts.onError(cause, 'nats: journal read failed');
            await this.wakeup.wait(JOURNAL_RETRY_MS);
            continue;
          }
          caughtUp = this.backlog.length === 0;
        }
        let sent = 0;
        // Re-checked after the journal read's await: the run may have been stopped meanwhile.
        while (!signal.aborted && !round.failure && this.backlog.length > 0 && this.inflight.length < this.opts.size) {
          const env = this.backlog.shift()!;
          const payload = JSON.stringify(env);
          const e: InFlight = { env, subject: subjectFor(env), payload, state: 'sending', attempt: 0 };
          this.inflight.push(e);
          this.send(js, e);
          sent += 1;
        }
        if (drained && caughtUp && this.inflight.length === 0) return null;
        if (sent === 0) await this.wakeup.wait(POLL_MS);
      }
      return null;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private send(js: JetStreamClient, e: InFlight): void {
    e.attempt += 1;
    e.state = 'sending';
    const attempt = e.attempt;
    this.opts.counters.published += 1;
    const { streamName, ackTimeoutMs } = this.opts;
    js.publish(e.subject, e.payload, { msgID: e.env.id, expect: { streamName }, timeout: ackTimeoutMs }).then(
      () => {
        // Any attempt's ack means stored, even one we had given up on.
        if (e.state === 'acked') return;
        e.state = 'acked';
        this.round.progressed = true;
        this.advance();
        this.wakeup.notify();
      },
      (err: unknown) => {
        if (e.attempt !== attempt || e.state !== 'sending') return;
        e.state = 'failed';
        const streamLost = isStreamMissing(err) || (this.round.failure?.streamLost ?? false);
        this.round.failure = { error: this.round.failure?.error ?? err, streamLost };
        this.opts.onError(err, 'nats: publish failed; will re-send in order');
        this.wakeup.notify();
      },
    );
  }

  private advance(): void {
    let last: EventEnvelope | null = null;
    while (this.inflight[0]?.state === 'acked') {
      last = this.inflight.shift()!.env;
      this.opts.counters.acked += 1;
    }
    if (last) this.opts.cursor.advance({ boot: last.boot, seq: last.seq, id: last.id });
  }
}
