/**
 * Publishes the local journal to JetStream: the io half. The journal is the outbox: this module
 * only reads it, so a NATS outage delays events and never loses them, and the daemon never waits
 * on NATS. The lifecycle (connect, back off, stream, drain, close) is the natsLink machine
 * (src/machines/journal), which src/actors/natsPublisher.ts binds to the link opened here.
 *
 * Pieces: the ack cursor on disk (ackCursor.ts), the stream's set-up (streamSetup.ts), the
 * publish window (publishWindow.ts), and here the connection and its status.
 *
 * Order: the stream holds a node's envelopes in seq order across disconnects and server restarts.
 * Nothing is published while disconnected (the client would buffer it and send it after the
 * reconnect, ahead of earlier envelopes lost with the old connection); on reconnect every
 * publish still waiting from the old connection counts as failed and the unacked ones go again,
 * oldest first, before anything new.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';
import type { Logger } from '../log.js';
import { throttledLog } from '../throttledLog.js';
import { AckCursor } from './ackCursor.js';
import { JournalTail } from './journalTail.js';
import { connectionOptions, type NatsEventsConfig } from './natsConfig.js';
import { PublishWindow } from './publishWindow.js';
import { ensureStream, streamNameOf } from './streamSetup.js';

export { ACKED_FILE } from './ackCursor.js';
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
  /**
   * Publishes what the journal holds once `closeJournal` (if given) has closed it, waits for the
   * acks, persists the cursor and closes the connection, all within NATS_STOP_GRACE_MS.
   */
  stop(opts?: { closeJournal?: () => Promise<void> }): Promise<void>;
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

/** Counters that outlive one link, so `stats` reads the same after stop. */
export interface NatsLinkCounters {
  published: number;
  acked: number;
  reconnects: number;
  errors: number;
}

/** A publish round that failed: `code` as linkFailure names it. */
export interface RoundFailure {
  code: string;
  /** The stream (or JetStream) is gone: set it up again before re-sending. */
  streamLost: boolean;
  /** Some publishes were acked during the round. */
  progressed: boolean;
}

/** What the client says about its connection, as the link machine needs it. */
export type LinkChange = { type: 'down' | 'up'; server: string } | { type: 'closed'; code: string };

/** The side effects of one run of the publisher (start to stop), as the link machine names them. */
export interface NatsLink {
  /** Connects; a connection that arrives after `signal` aborted is closed. Throws a failure code. */
  connect(signal: AbortSignal): Promise<{ server: string }>;
  /** Reports the connection's changes until the returned function is called. */
  watch(report: (change: LinkChange) => void): () => void;
  provision(): Promise<void>;
  /** Publishes until `signal` aborts or a publish round fails; never rejects. */
  pump(signal: AbortSignal): Promise<RoundFailure | null>;
  /** Publishes what the journal holds once `final` has settled, until all is acked. */
  drain(signal: AbortSignal, final: Promise<unknown>): Promise<void>;
  abandonInFlight(): void;
  /** Persists the cursor, stops reading the journal and closes the connection. */
  close(): Promise<void>;
  readonly pending: number;
  readonly lastAckedSeq: number;
}

/**
 * A failure as the journal tells it: a code (the client's error code or class), never the client's
 * message, which may quote a server URL with its credentials. The full error goes to the log.
 */
export function linkFailure(err: unknown): HaloError {
  const seen = new Set<unknown>();
  let code: string | null = null;
  for (let e: unknown = err; e instanceof Error && !seen.has(e) && code === null; e = e.cause) {
    seen.add(e);
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' || typeof c === 'number') code = String(c);
  }
  const failure = code ?? (err instanceof Error ? err.name : 'unknown');
  return new HaloError('HALO_E_NATS', failure, { failure });
}

/** Reads the cursor and opens the journal tail; connecting is left to the link machine. */
export async function openNatsLink(opts: NatsPublisherOptions, counters: NatsLinkCounters): Promise<NatsLink> {
  const { config, journalDir, log } = opts;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
  // An outage must not flood the log: each kind of failure in full once, then a summary.
  const errorLog = throttledLog(log, { level: 'warn', msg: 'nats: publisher error' });
  const noteError = (err: unknown, what: string): void => {
    counters.errors += 1;
    errorLog.note(what, { err, what, errors: counters.errors });
  };

  await mkdir(journalDir, { recursive: true });
  const cursor = new AckCursor(opts.stateDir, log, noteError);
  const tail = new JournalTail(journalDir, {
    after: await cursor.read(),
    onCorrupt: (file, line) => log.warn({ file, line }, 'nats: corrupt journal line skipped'),
    onMissing: (file) => log.error({ file }, 'nats: journal segment pruned before it was published'),
  });
  const window = new PublishWindow({
    tail,
    cursor,
    size: opts.window ?? 256,
    ackTimeoutMs,
    streamName: streamNameOf(config),
    journalDir,
    counters,
    onError: noteError,
  });
  let watcher: FSWatcher | null = null;
  try {
    // inotify wakes the window within a millisecond of a write; polling is the fallback.
    watcher = watch(journalDir, () => window.notify());
    watcher.on('error', () => undefined);
  } catch (err) {
    log.warn({ err, dir: journalDir }, 'nats: cannot watch the journal; polling');
  }

  let link: { conn: NatsConnection; js: JetStreamClient } | null = null;
  const current = (): { conn: NatsConnection; js: JetStreamClient } => {
    if (!link) throw new HaloError('HALO_E_NATS', 'not connected');
    return link;
  };

  return {
    get pending() {
      return window.pending;
    },
    get lastAckedSeq() {
      return cursor.lastSeq;
    },
    async connect(signal) {
      let conn: NatsConnection;
      try {
        conn = await connect(await connectionOptions(config, opts.name ?? `halo@${hostname()}`));
      } catch (err) {
        noteError(err, 'nats: cannot connect; retrying');
        throw linkFailure(err);
      }
      if (signal.aborted) {
        await conn.close().catch(() => undefined);
        throw new HaloError('HALO_E_NATS', 'stopped');
      }
      link = { conn, js: jetstream(conn, { timeout: ackTimeoutMs }) };
      log.info({ server: conn.getServer(), stream: streamNameOf(config) }, 'nats: connected');
      return { server: conn.getServer() };
    },
    watch(report) {
      const { conn } = current();
      let live = true;
      const status = conn.status();
      void (async () => {
        for await (const s of status) {
          if (!live) return;
          if (s.type === 'disconnect') {
            log.warn({ server: s.server }, 'nats: disconnected; events wait in the journal');
            report({ type: 'down', server: s.server });
          } else if (s.type === 'reconnect') {
            counters.reconnects += 1;
            log.info({ server: s.server }, 'nats: reconnected');
            report({ type: 'up', server: s.server });
          }
        }
      })().catch((err: unknown) => noteError(err, 'nats: status stream ended'));
      // Closed for good (e.g. an authorization error): the machine connects anew.
      void conn.closed().then((err) => {
        if (!live) return;
        const failure = linkFailure(err ?? new HaloError('HALO_E_NATS', 'closed'));
        noteError(failure, 'nats: connection closed; reconnecting');
        report({ type: 'closed', code: failure.message });
      });
      return () => {
        live = false;
        (status as { stop?: () => void }).stop?.();
      };
    },
    async provision() {
      try {
        await ensureStream(current().conn, config, log, ackTimeoutMs);
      } catch (err) {
        noteError(err, 'nats: stream not ready; retrying');
        throw linkFailure(err);
      }
    },
    async pump(signal) {
      try {
        const failure = await window.run(current().js, signal);
        if (!failure) return null;
        return {
          code: linkFailure(failure.error).message,
          streamLost: failure.streamLost,
          progressed: failure.progressed,
        };
      } catch (err) {
        noteError(err, 'nats: publishing stopped on an unexpected error');
        return { code: linkFailure(err).message, streamLost: false, progressed: false };
      }
    },
    async drain(signal, final) {
      await window.run(current().js, signal, final);
    },
    abandonInFlight: () => window.abandonSending(),
    async close() {
      watcher?.close();
      errorLog.close();
      await cursor.close();
      const conn = link?.conn;
      link = null;
      // The machine has stopped every run by now; the last one lets go of the tail first.
      await window.idle();
      await tail.close();
      await conn?.close().catch(() => undefined);
    },
  };
}
