/**
 * Publishes the local journal to JetStream. The journal is the outbox: this module only reads
 * it, so a NATS outage delays events and never loses them, and the daemon never waits on NATS.
 *
 * Delivery: each envelope goes to `subjectFor(env)` with `Nats-Msg-Id = env.id`, so a re-sent
 * envelope inside the stream's duplicate window (≥ 2 min) is dropped by the server. Up to
 * `window` publishes are in flight; the ack cursor advances over the contiguous acked prefix and
 * is persisted to <stateDir>/nats-acked.json (atomically, at most every 200 ms and at stop), so a
 * restart resumes after it and re-sends at most those last 200 ms, which the server dedupes.
 *
 * Order: the stream holds a node's envelopes in seq order across disconnects and server restarts.
 * Nothing is published while disconnected (the client would buffer it and send it after the
 * reconnect, ahead of earlier envelopes lost with the old connection); on reconnect every
 * publish still waiting from the old connection counts as failed and the unacked ones go again,
 * oldest first, before anything new. The one case that can reorder is an ack timeout on a live
 * connection (a later envelope stored before an earlier one is re-sent); consumers order by
 * (boot, seq), which the id carries.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  DiscardPolicy,
  type JetStreamClient,
  JetStreamApiCodes,
  JetStreamApiError,
  JetStreamError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  type StreamConfig,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeFileAtomic } from './atomicFile.js';
import { type EventEnvelope, type JournalPosition, SUBJECT_PREFIX, subjectFor } from './envelope.js';
import { JournalTail } from './journalTail.js';
import { connectionOptions, DEFAULT_STREAM, type NatsEventsConfig } from './natsConfig.js';

export type { NatsEventsConfig } from './natsConfig.js';

export interface NatsPublisherStats {
  /** Publish requests sent, re-sends included. */
  published: number;
  /** Envelopes confirmed stored (or confirmed duplicate) by JetStream. */
  acked: number;
  /** Seq of the newest envelope of the contiguous acked prefix. */
  lastAckedSeq: number;
  /** Envelopes read from the journal and not yet acked. */
  pending: number;
  reconnects: number;
  errors: number;
}

export interface NatsPublisher {
  /** Returns at once; connecting and publishing run in the background and never throw. */
  start(): Promise<void>;
  /** Waits briefly for in-flight acks, persists the cursor, closes the connection. */
  stop(): Promise<void>;
  readonly stats: Readonly<NatsPublisherStats>;
}

export interface NatsPublisherOptions {
  config: NatsEventsConfig;
  journalDir: string;
  stateDir: string;
  log: Logger;
  /** Publishes in flight at most; default 256. */
  window?: number;
  /** A publish without an ack after this is failed and re-sent; default 5000 ms. */
  ackTimeoutMs?: number;
  /** Connection name shown by the server; default `halo@<hostname>`. */
  name?: string;
}

export const ACKED_FILE = 'nats-acked.json';
const STREAM_SUBJECTS = `${SUBJECT_PREFIX}.>`;
/** JetStream's default; the floor, so a publisher restart inside it never duplicates. */
const MIN_DUPLICATE_WINDOW_MS = 120_000;
const PERSIST_EVERY_MS = 200;
const POLL_MS = 250;
const STOP_GRACE_MS = 2000;

interface InFlight {
  env: EventEnvelope;
  subject: string;
  payload: string;
  state: 'queued' | 'sending' | 'acked' | 'failed';
  /** Connection epoch of the current attempt (bumped on every disconnect). */
  epoch: number;
  attempt: number;
}

/** Resolves a waiting loop early when something it waits for happens. */
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

export function createNatsPublisher(opts: NatsPublisherOptions): NatsPublisher {
  const { config, journalDir, log } = opts;
  const windowSize = opts.window ?? 256;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
  const streamName = config.stream?.name ?? DEFAULT_STREAM;
  const ackedFile = join(opts.stateDir, ACKED_FILE);
  const counters = { published: 0, acked: 0, lastAckedSeq: 0, reconnects: 0, errors: 0 };

  const wakeup = new Wakeup();
  let inflight: InFlight[] = [];
  let backlog: EventEnvelope[] = [];
  let stopping = false;
  let running: Promise<void> | null = null;
  let nc: NatsConnection | null = null;
  let connected = false;
  let epoch = 0;
  let streamReady = false;
  let recovering = false;
  let failStreak = 0;
  let acked: (JournalPosition & { id: string }) | null = null;
  let persistedId: string | null = null;
  let persistTimer: NodeJS.Timeout | null = null;
  let persisting: Promise<void> = Promise.resolve();
  let lastErrorLog = 0;

  const noteError = (err: unknown, msg: string): void => {
    counters.errors += 1;
    const now = Date.now();
    // One line per second at most: an outage must not flood the log.
    if (now - lastErrorLog >= 1000) {
      lastErrorLog = now;
      log.warn({ err, errors: counters.errors }, msg);
    }
  };

  /** Backoff sleeps end early only for stop(), not for journal writes or acks. */
  const pauses = new Set<() => void>();
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });

  /** Consecutive failed rounds (connects, stream checks, re-send rounds), not failed messages. */
  const backoffMs = (): number => (failStreak === 0 ? 0 : Math.min(5000, 50 * 2 ** Math.min(failStreak, 7)));

  const persist = (): Promise<void> => {
    persisting = persisting.then(async () => {
      const cur = acked;
      if (!cur || cur.id === persistedId) return;
      try {
        await writeFileAtomic(ackedFile, `${JSON.stringify(cur)}\n`);
        persistedId = cur.id;
      } catch (err) {
        noteError(new HaloError('HALO_E_JOURNAL_IO', `cannot store ${ackedFile}`, { file: ackedFile }, { cause: err }), 'nats: ack cursor not stored');
      }
    });
    return persisting;
  };

  const schedulePersist = (): void => {
    persistTimer ??= setTimeout(() => {
      persistTimer = null;
      void persist();
    }, PERSIST_EVERY_MS);
  };

  const advance = (): void => {
    while (inflight[0]?.state === 'acked') {
      const { env } = inflight.shift()!;
      acked = { boot: env.boot, seq: env.seq, id: env.id };
      counters.acked += 1;
      counters.lastAckedSeq = env.seq;
    }
    schedulePersist();
  };

  const isStreamMissing = (err: unknown): boolean =>
    (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) ||
    (err instanceof JetStreamError && /not enabled|no responders/i.test(err.message));

  const send = (js: JetStreamClient, e: InFlight): void => {
    e.attempt += 1;
    e.state = 'sending';
    e.epoch = epoch;
    const attempt = e.attempt;
    counters.published += 1;
    js.publish(e.subject, e.payload, { msgID: e.env.id, expect: { streamName }, timeout: ackTimeoutMs }).then(
      () => {
        // Any attempt's ack means stored, even one we had given up on.
        if (e.state === 'acked') return;
        e.state = 'acked';
        failStreak = 0;
        advance();
        wakeup.notify();
      },
      (err: unknown) => {
        if (e.attempt !== attempt || e.state !== 'sending') return;
        e.state = 'failed';
        recovering = true;
        if (isStreamMissing(err)) streamReady = false;
        noteError(err, 'nats: publish failed; will re-send in order');
        wakeup.notify();
      },
    );
  };

  const ensureStream = async (conn: NatsConnection): Promise<void> => {
    const jsm = await jetstreamManager(conn, { timeout: ackTimeoutMs });
    const dupWindow = nanos(MIN_DUPLICATE_WINDOW_MS);
    let cfg: StreamConfig;
    try {
      cfg = (await jsm.streams.info(streamName)).config;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add({
        name: streamName,
        subjects: [STREAM_SUBJECTS],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        num_replicas: config.stream?.replicas ?? 1,
        max_age: nanos(config.stream?.maxAgeMs ?? 0),
        max_bytes: config.stream?.maxBytes ?? -1,
        duplicate_window: dupWindow,
      });
      log.info({ stream: streamName, subjects: STREAM_SUBJECTS }, 'nats: stream created');
      return;
    }
    // An existing stream is the operator's: keep its limits, insist only on what delivery needs.
    if (!cfg.subjects?.includes(STREAM_SUBJECTS)) {
      throw new HaloError('HALO_E_NATS', `stream ${streamName} does not capture ${STREAM_SUBJECTS}`, { stream: streamName, subjects: cfg.subjects });
    }
    if (cfg.duplicate_window < dupWindow) {
      await jsm.streams.update(streamName, { ...cfg, duplicate_window: dupWindow });
      log.warn({ stream: streamName, was: cfg.duplicate_window }, 'nats: raised duplicate window to 2 min');
    }
  };

  const watchStatus = async (conn: NatsConnection): Promise<void> => {
    for await (const s of conn.status()) {
      if (s.type === 'disconnect') {
        connected = false;
        epoch += 1;
        log.warn({ server: s.server }, 'nats: disconnected; events wait in the journal');
      } else if (s.type === 'reconnect') {
        connected = true;
        counters.reconnects += 1;
        // Replies to requests sent on the old connection will not come: re-send them.
        for (const e of inflight) {
          if (e.state === 'sending' && e.epoch < epoch) {
            e.state = 'failed';
            recovering = true;
          }
        }
        streamReady = false;
        log.info({ server: s.server }, 'nats: reconnected');
        wakeup.notify();
      }
    }
  };

  const connectLoop = async (): Promise<NatsConnection | null> => {
    const name = opts.name ?? `halo@${hostname()}`;
    while (!stopping) {
      try {
        const conn = await connect(await connectionOptions(config, name));
        if (!stopping) return conn;
        await conn.close();
      } catch (err) {
        failStreak += 1;
        noteError(err, 'nats: cannot connect; retrying');
        await pause(backoffMs());
      }
    }
    return null;
  };

  const readCursor = async (): Promise<JournalPosition | null> => {
    try {
      const c = (await readJsonFile(ackedFile)) as Partial<JournalPosition & { id: string }> | null;
      if (c === null) return null;
      if (Number.isSafeInteger(c.boot) && Number.isSafeInteger(c.seq) && typeof c.id === 'string') {
        acked = { boot: c.boot!, seq: c.seq!, id: c.id };
        persistedId = c.id;
        counters.lastAckedSeq = c.seq!;
        return acked;
      }
    } catch (err) {
      noteError(err, 'nats: unreadable ack cursor');
    }
    // Without a cursor, everything is re-sent: duplicates beyond the window beat losing events.
    log.error({ file: ackedFile }, 'nats: ack cursor invalid; publishing the whole journal');
    return null;
  };

  /** Publishes over one connection until stop, or until the client gives the connection up. */
  const publishOver = async (conn: NatsConnection, tail: JournalTail): Promise<void> => {
    nc = conn;
    connected = true;
    streamReady = false;
    failStreak = 0;
    log.info({ server: conn.getServer(), stream: streamName }, 'nats: connected');
    watchStatus(conn).catch((err: unknown) => noteError(err, 'nats: status stream ended'));
    const js = jetstream(conn, { timeout: ackTimeoutMs });
    while (!stopping) {
      if (conn.isClosed()) {
        // Closed for good (e.g. an authorization error): start over with a new connection.
        connected = false;
        epoch += 1;
        for (const e of inflight) if (e.state === 'sending') e.state = 'failed';
        recovering = inflight.length > 0;
        noteError(new HaloError('HALO_E_NATS', 'connection closed', {}), 'nats: connection closed; reconnecting');
        return;
      }
      if (!connected) {
        await wakeup.wait(POLL_MS);
        continue;
      }
      if (!streamReady) {
        try {
          await ensureStream(conn);
          streamReady = true;
        } catch (err) {
          failStreak += 1;
          noteError(err, 'nats: stream not ready; retrying');
          await pause(backoffMs());
          continue;
        }
      }
      if (recovering) {
        if (inflight.some((e) => e.state === 'sending')) {
          await wakeup.wait(POLL_MS);
          continue;
        }
        await pause(backoffMs());
        if (stopping || !connected) continue;
        recovering = false;
        failStreak += 1;
        for (const e of inflight) if (e.state === 'failed') send(js, e);
        continue;
      }
      if (backlog.length === 0 && inflight.length < windowSize) {
        try {
          backlog = await tail.next();
        } catch (err) {
          noteError(new HaloError('HALO_E_JOURNAL_IO', `cannot read journal ${journalDir}`, { dir: journalDir }, { cause: err }), 'nats: journal read failed');
          await wakeup.wait(1000);
          continue;
        }
      }
      let sent = 0;
      // Re-checked after the journal read's await: a disconnect may have come in meanwhile.
      while (connected && !recovering && backlog.length > 0 && inflight.length < windowSize) {
        const env = backlog.shift()!;
        const e: InFlight = { env, subject: subjectFor(env), payload: JSON.stringify(env), state: 'queued', epoch, attempt: 0 };
        inflight.push(e);
        send(js, e);
        sent += 1;
      }
      if (sent === 0) await wakeup.wait(POLL_MS);
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (connected && inflight.some((e) => e.state === 'sending') && Date.now() < deadline) await wakeup.wait(50);
  };

  const run = async (tail: JournalTail, watcher: FSWatcher | null): Promise<void> => {
    try {
      for (let conn = await connectLoop(); conn; conn = stopping ? null : await connectLoop()) {
        await publishOver(conn, tail);
      }
    } finally {
      watcher?.close();
      await tail.close();
    }
  };

  return {
    get stats(): NatsPublisherStats {
      return { ...counters, pending: backlog.length + inflight.length };
    },
    async start() {
      if (running) return;
      stopping = false;
      await mkdir(journalDir, { recursive: true });
      const after = await readCursor();
      const tail = new JournalTail(journalDir, {
        after,
        onCorrupt: (file, line) => log.warn({ file, line }, 'nats: corrupt journal line skipped'),
        onMissing: (file) => log.error({ file }, 'nats: journal segment pruned before it was published'),
      });
      let watcher: FSWatcher | null = null;
      try {
        // inotify wakes the tail within a millisecond of a write; POLL_MS polling is the fallback.
        watcher = watch(journalDir, () => wakeup.notify());
        watcher.on('error', () => undefined);
      } catch (err) {
        log.warn({ err, dir: journalDir }, 'nats: cannot watch the journal; polling');
      }
      running = run(tail, watcher).catch((err: unknown) => {
        noteError(err, 'nats: publisher stopped on an unexpected error');
      });
    },
    async stop() {
      if (!running) return;
      stopping = true;
      wakeup.notify();
      for (const wake of [...pauses]) wake();
      await running;
      running = null;
      if (persistTimer) clearTimeout(persistTimer);
      persistTimer = null;
      await persist();
      const conn = nc;
      nc = null;
      connected = false;
      await conn?.close().catch(() => undefined);
      inflight = [];
      backlog = [];
    },
  };
}
