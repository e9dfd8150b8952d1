/**
 * The local append-only journal: the outbox every envelope reaches first (ARCHITECTURE.md,
 * "Local journal first, publish second"). NDJSON segments under one directory (layout in
 * segments.ts). `append` only queues: the state machines must never wait on a disk. One writer
 * loop turns queued lines into batched writes and fsyncs at most `fsyncIntervalMs` after a
 * write, so a crash loses at most that window, at the cost of one fsync per window, not per line.
 */
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HaloError } from '../../errors.js';
import type { Logger } from '../log.js';
import { sleep } from '../sleep.js';
import { throttledLog } from '../throttledLog.js';
import { fsyncDir } from './atomicFile.js';
import { type EventEnvelope, type JournalPosition, parseEnvelopeId } from './envelope.js';
import { JournalTail } from './journalTail.js';
import { type CorruptHandler, lastPosition, listSegments, segmentName } from './segments.js';

export interface JournalOptions {
  dir: string;
  /** Rotate once a segment reaches this size; default 64 MiB. */
  segmentBytes?: number;
  /** Rotate a segment older than this at its next write; default: no age limit. */
  segmentAgeMs?: number;
  /** Longest time between a write and its fsync; default 100 ms. */
  fsyncIntervalMs?: number;
  /**
   * Keep at most this many segments, deleting the oldest on rotation; default: keep all. Pruning
   * is the only way the journal loses events, including ones the NATS publisher has not yet sent.
   */
  maxSegments?: number;
  /** Lines queued but not yet written beyond this are dropped (counted); default 64 MiB. */
  maxQueuedBytes?: number;
  /**
   * close() waits this long for the queue to reach the disk, then gives up on what is left
   * (counted as dropped, logged); default 5000 ms. A full disk must not hang the daemon's stop.
   */
  closeTimeoutMs?: number;
  log: Logger;
}

export interface JournalStats {
  /** Envelopes handed to append(). */
  appended: number;
  /** Lines written to a segment. */
  written: number;
  /** Envelopes refused: queue over maxQueuedBytes, or appended after close. */
  dropped: number;
  writeErrors: number;
  /** Corrupt lines found when opening (the tail left by a crash). */
  corruptLines: number;
}

export interface FileJournal {
  /** Never blocks and never throws: queues the line for the writer loop. */
  append(env: EventEnvelope): void;
  /** Resolves when everything appended before the call is written and fsynced. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly stats: Readonly<JournalStats>;
  /** Seq of the newest envelope appended, or found on disk at open; 0 for an empty journal. */
  lastSeq(): number;
  /** Boot and seq of that envelope; null for an empty journal. */
  lastPosition(): JournalPosition | null;
}

interface Queued {
  line: string;
  bytes: number;
  pos: JournalPosition;
}

interface Segment {
  fh: FileHandle;
  file: string;
  bytes: number;
  openedAt: number;
  /** A failed write left part of a line at the end: nothing more may be appended after it. */
  cut: boolean;
}

const MiB = 1024 * 1024;
const RETRY_MS = 1000;

export async function openJournal(opts: JournalOptions): Promise<FileJournal> {
  const { dir, log } = opts;
  const segmentBytes = opts.segmentBytes ?? 64 * MiB;
  const fsyncIntervalMs = opts.fsyncIntervalMs ?? 100;
  const maxQueuedBytes = opts.maxQueuedBytes ?? 64 * MiB;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
  const stats: JournalStats = { appended: 0, written: 0, dropped: 0, writeErrors: 0, corruptLines: 0 };

  let segments: Awaited<ReturnType<typeof listSegments>>;
  let last: JournalPosition | null;
  try {
    await mkdir(dir, { recursive: true });
    segments = await listSegments(dir);
    last = await lastPosition(segments, (file, line) => {
      stats.corruptLines += 1;
      log.warn({ file, line }, 'journal: corrupt line skipped');
    });
  } catch (err) {
    throw new HaloError('HALO_E_JOURNAL_IO', `cannot open journal ${dir}`, { dir }, { cause: err });
  }
  // Each open writes a new segment, never appending after a tail a crash may have cut short.
  let nextIndex = (segments.at(-1)?.index ?? 0) + 1;

  let queue: Queued[] = [];
  let queuedBytes = 0;
  let seg: Segment | null = null;
  let closed = false;
  /** close() timed out: the queue is given up and the writer stops retrying. */
  let abandoned = false;
  /** Lines accepted into the queue so far, and how many of them are on disk and fsynced. */
  let accepted = 0;
  let synced = 0;
  let unsynced = false;
  let syncDue = false;
  let syncTimer: NodeJS.Timeout | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let loop: Promise<void> | null = null;
  let kickScheduled = false;
  // A burst of appends against a full queue is one line, then a summary per interval; stats.dropped is exact.
  const dropLog = throttledLog(log, { level: 'error', msg: 'journal: queue full, dropping events', fields: { dir } });
  const waiters: { target: number; resolve: () => void }[] = [];

  const openSegment = async (first: JournalPosition): Promise<Segment> => {
    const file = join(dir, segmentName(nextIndex, first));
    nextIndex += 1;
    const fh = await open(file, 'wx', 0o640);
    await fsyncDir(dir);
    return { fh, file, bytes: 0, openedAt: Date.now(), cut: false };
  };

  const closeSegment = async (): Promise<void> => {
    const s = seg;
    seg = null;
    if (!s) return;
    try {
      await s.fh.sync();
    } finally {
      await s.fh.close();
    }
  };

  const prune = async (): Promise<void> => {
    if (opts.maxSegments === undefined) return;
    const all = await listSegments(dir);
    for (const old of all.slice(0, Math.max(0, all.length - opts.maxSegments))) {
      await unlink(old.file);
      log.warn({ file: old.file }, 'journal: pruned oldest segment (maxSegments)');
    }
  };

  const resolveWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      if (waiters[i]!.target <= synced) {
        waiters[i]!.resolve();
        waiters.splice(i, 1);
      }
    }
  };

  const writeBatch = async (batch: Queued[]): Promise<void> => {
    if (seg && opts.segmentAgeMs !== undefined && Date.now() - seg.openedAt >= opts.segmentAgeMs) {
      await closeSegment();
      await prune();
    }
    seg ??= await openSegment(batch[0]!.pos);
    const s = seg;
    const buf = Buffer.from(batch.map((q) => q.line).join(''), 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += (await s.fh.write(buf, off, buf.length - off)).bytesWritten;
    } finally {
      // Whatever reached the file counts; the rest goes back to the queue head.
      let done = 0;
      let n = 0;
      while (n < batch.length && done + batch[n]!.bytes <= off) done += batch[n++]!.bytes;
      stats.written += n;
      s.bytes += off;
      s.cut = done < off;
      if (off > 0) unsynced = true;
      if (n < batch.length) {
        const rest = batch.slice(n);
        queue = rest.concat(queue);
        queuedBytes += rest.reduce((a, q) => a + q.bytes, 0);
      }
    }
    if (s.bytes >= segmentBytes) {
      await closeSegment();
      synced = stats.written;
      unsynced = false;
      await prune();
    }
  };

  const runLoop = async (): Promise<void> => {
    while ((queue.length > 0 && !retryTimer && !abandoned) || syncDue) {
      if (queue.length > 0 && !retryTimer && !abandoned) {
        const batch = queue;
        queue = [];
        queuedBytes = 0;
        try {
          await writeBatch(batch);
        } catch (err) {
          stats.writeErrors += 1;
          log.error({ err, dir }, 'journal: write failed; retrying');
          // A partly written line must not be glued to the retried lines: the retry goes to a
          // new segment and the cut line reads as that segment's corrupt tail. A write that failed
          // at a line boundary (ENOSPC on the first byte) keeps its segment, so a disk that stays
          // full does not leave one empty segment per retry.
          if (seg?.cut) await closeSegment().catch(() => undefined);
          if (!abandoned) {
            retryTimer = setTimeout(() => {
              retryTimer = null;
              kick();
            }, RETRY_MS);
          }
        }
        if (unsynced && !syncTimer) syncTimer = setTimeout(onSyncTimer, fsyncIntervalMs);
      }
      if (syncDue) {
        syncDue = false;
        if (unsynced && seg) {
          const target = stats.written;
          try {
            await seg.fh.sync();
            synced = target;
            unsynced = false;
          } catch (err) {
            stats.writeErrors += 1;
            log.error({ err, dir }, 'journal: fsync failed');
          }
        } else if (!unsynced) {
          synced = stats.written;
        }
        resolveWaiters();
      }
    }
  };

  const kick = (): void => {
    if (loop) {
      kickScheduled = true;
      return;
    }
    loop = runLoop().finally(() => {
      loop = null;
      if (kickScheduled) {
        kickScheduled = false;
        kick();
      }
    });
  };

  function onSyncTimer(): void {
    syncTimer = null;
    syncDue = true;
    kick();
  }

  let immediate = false;
  const append = (env: EventEnvelope): void => {
    stats.appended += 1;
    if (closed) {
      stats.dropped += 1;
      return;
    }
    const line = `${JSON.stringify(env)}\n`;
    const bytes = Buffer.byteLength(line);
    if (queuedBytes + bytes > maxQueuedBytes) {
      stats.dropped += 1;
      dropLog.note('queue full', { dropped: stats.dropped });
      return;
    }
    queue.push({ line, bytes, pos: { boot: env.boot, seq: env.seq } });
    queuedBytes += bytes;
    accepted += 1;
    last = { boot: env.boot, seq: env.seq };
    // One setImmediate per burst: appends in the same tick become one write.
    if (!immediate) {
      immediate = true;
      setImmediate(() => {
        immediate = false;
        kick();
      });
    }
  };

  const flush = (): Promise<void> => {
    if (accepted <= synced && !unsynced) return Promise.resolve();
    return new Promise<void>((resolve) => {
      waiters.push({ target: accepted, resolve });
      syncDue = true;
      kick();
    });
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      flush().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    closed = true;
    dropLog.close();
    abandoned = !flushed;
    if (syncTimer) clearTimeout(syncTimer);
    if (retryTimer) clearTimeout(retryTimer);
    await loop;
    if (abandoned) {
      // The write loop is retrying (full disk, failing device): what it still holds never reaches
      // the disk. Say so loudly rather than hold up the stop.
      const lost = queue.length;
      stats.dropped += lost;
      queue = [];
      queuedBytes = 0;
      log.error(
        { dir, lost, writeErrors: stats.writeErrors, waitedMs: closeTimeoutMs },
        'journal: closed with events still unwritten; they are lost',
      );
    }
    await closeSegment().catch((err: unknown) => {
      stats.writeErrors += 1;
      log.error({ err, dir }, 'journal: closing the segment failed');
    });
  };

  return {
    append,
    flush,
    close,
    stats,
    lastSeq: () => last?.seq ?? 0,
    lastPosition: () => (last ? { ...last } : null),
  };
}

export interface ReadJournalOptions {
  /** Start at this envelope id (inclusive). */
  fromId?: string;
  /** Start after this envelope id (exclusive): where a consumer that has seen it resumes. */
  afterId?: string;
  onCorrupt?: CorruptHandler;
  /** Once caught up, keep reading what the writer appends (polling) until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

/** How often a following reader looks for new lines once it has caught up. */
const FOLLOW_POLL_MS = 200;

/**
 * Every envelope in the journal, in order, then (with `follow`) each one appended later.
 * Corrupt or truncated lines are skipped and reported to onCorrupt; they never end the
 * iteration. A journal that cannot be read is a HALO_E_JOURNAL_IO error.
 */
export async function* readJournal(dir: string, opts: ReadJournalOptions = {}): AsyncIterable<EventEnvelope> {
  const tail = new JournalTail(dir, { after: startAfter(opts), onCorrupt: opts.onCorrupt ?? (() => undefined) });
  const io = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      const message = `cannot read journal ${dir}: ${(err as Error).message}`;
      throw new HaloError('HALO_E_JOURNAL_IO', message, { dir }, { cause: err });
    }
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const batch = await io(() => tail.next());
      if (batch.length > 0) {
        yield* batch;
        continue;
      }
      if (!opts.follow) break;
      await sleep(FOLLOW_POLL_MS, opts.signal);
    }
    // Only a one-pass read may call the last segment's unterminated line corrupt: a followed
    // journal's writer may still be finishing it.
    await io(() => tail.finish());
  } finally {
    await tail.close();
  }
}
function startAfter(opts: ReadJournalOptions): JournalPosition | null {
  const id = opts.afterId ?? opts.fromId;
  if (id === undefined) return null;
  const pos = parseEnvelopeId(id);
  if (!pos) throw new HaloError('HALO_E_USAGE', `not an event id: ${id}`, { id });
  return opts.afterId !== undefined ? pos : { boot: pos.boot, seq: pos.seq - 1 };
}
