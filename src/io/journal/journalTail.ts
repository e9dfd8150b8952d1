/**
 * Reads the journal in order from a position on, across segments, and keeps up with a journal
 * that is still being written: the one reader behind `readJournal` (one pass, or following)
 * and the NATS publisher (live tail). A segment is finished once a later one exists (the writer closes a
 * segment before it creates the next), so only then is its unterminated last line corrupt.
 */
import { comparePositions, type EventEnvelope, type JournalPosition } from './envelope.js';
import {
  type CorruptHandler,
  LineCursor,
  listSegments,
  parseLine,
  type SegmentInfo,
  segmentsFrom,
} from './segments.js';

export interface JournalTailOptions {
  /** Yield only envelopes after this position (exclusive); null: from the start. */
  after: JournalPosition | null;
  onCorrupt: CorruptHandler;
  /** A segment vanished before it was read (pruned by maxSegments): its events are gone. */
  onMissing?: (file: string) => void;
}

export class JournalTail {
  private readonly dir: string;
  private readonly opts: JournalTailOptions;
  private cursor: LineCursor | null = null;
  private segIndex = -1;
  /** Seeking: drop envelopes at or before `after` until the first one past it. */
  private seeking: boolean;

  constructor(dir: string, opts: JournalTailOptions) {
    this.dir = dir;
    this.opts = opts;
    this.seeking = opts.after !== null;
  }

  /** The next envelopes in order; [] when caught up with what is on disk. */
  async next(): Promise<EventEnvelope[]> {
    for (;;) {
      if (!this.cursor && !(await this.advance())) return [];
      const cursor = this.cursor!;
      let lines: Awaited<ReturnType<LineCursor['read']>>;
      try {
        lines = await cursor.read();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.opts.onMissing?.(cursor.file);
        this.cursor = null;
        continue;
      }
      if (lines !== null) {
        const out = this.accept(cursor.file, lines);
        if (out.length > 0) return out;
        continue;
      }
      // At the end of this segment. Move on only if the writer has started a newer one; re-read
      // first, since the writer may have appended between our read and its rotation.
      if (!(await this.hasNewer())) return [];
      const tail: EventEnvelope[] = [];
      for (let more = await cursor.read(); more !== null; more = await cursor.read())
        tail.push(...this.accept(cursor.file, more));
      await this.finishSegment();
      if (tail.length > 0) return tail;
    }
  }

  /** One-pass readers call this at the end: the last segment's unterminated line is corrupt. */
  async finish(): Promise<void> {
    if (this.cursor) {
      for (let more = await this.cursor.read(); more !== null; more = await this.cursor.read()) {
        this.accept(this.cursor.file, more);
      }
      await this.finishSegment();
    }
  }

  async close(): Promise<void> {
    const c = this.cursor;
    this.cursor = null;
    await c?.close();
  }

  private accept(file: string, lines: { text: string; line: number }[]): EventEnvelope[] {
    const out: EventEnvelope[] = [];
    for (const l of lines) {
      const env = parseLine(l.text);
      if (!env) {
        this.opts.onCorrupt(file, l.line, l.text);
        continue;
      }
      if (this.seeking) {
        if (comparePositions(env, this.opts.after!) <= 0) continue;
        this.seeking = false;
      }
      out.push(env);
    }
    return out;
  }

  private async finishSegment(): Promise<void> {
    const c = this.cursor!;
    if (c.partial) this.opts.onCorrupt(c.file, c.partialLine, c.partial);
    this.cursor = null;
    await c.close();
  }

  private async segmentsAhead(): Promise<SegmentInfo[]> {
    const all = await listSegments(this.dir);
    const candidates = this.segIndex < 0 ? segmentsFrom(all, this.opts.after) : all;
    return candidates.filter((s) => s.index > this.segIndex);
  }

  private async hasNewer(): Promise<boolean> {
    return (await this.segmentsAhead()).length > 0;
  }

  private async advance(): Promise<boolean> {
    const next = (await this.segmentsAhead())[0];
    if (!next) return false;
    this.segIndex = next.index;
    this.cursor = new LineCursor(next.file);
    return true;
  }
}
