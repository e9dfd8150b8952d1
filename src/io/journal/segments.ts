/**
 * The on-disk layout of the journal, shared by the writer (fileJournal.ts), the reader
 * (readJournal) and the NATS publisher's tail:
 *
 *   <dir>/seg-<index>-<boot>-<seq>.ndjson
 *
 * `index` (10 digits) orders segments and keeps names unique; `<boot>-<seq>` is the position of
 * the segment's first envelope, so a reader seeking to an id can skip whole segments without
 * opening them. One envelope per line, `\n`-terminated; a line without its `\n` is a write cut
 * short (crash, full disk) and counts as corrupt once a later segment exists.
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { comparePositions, isEnvelope, type EventEnvelope, type JournalPosition } from './envelope.js';

export interface SegmentInfo {
  file: string;
  index: number;
  first: JournalPosition;
}

const SEGMENT_RE = /^seg-(\d{10})-(\d+)-(\d+)\.ndjson$/;

export function segmentName(index: number, first: JournalPosition): string {
  return `seg-${String(index).padStart(10, '0')}-${first.boot}-${first.seq}.ndjson`;
}

/** Segments in write order; a missing directory is an empty journal. */
export async function listSegments(dir: string): Promise<SegmentInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const m = SEGMENT_RE.exec(name);
    if (m) out.push({ file: join(dir, name), index: Number(m[1]), first: { boot: Number(m[2]), seq: Number(m[3]) } });
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * The segments that can hold envelopes at or after `from`: the last one starting at or before
 * it, and every later one.
 */
export function segmentsFrom(segments: SegmentInfo[], from: JournalPosition | null): SegmentInfo[] {
  if (from === null) return segments;
  let start = 0;
  segments.forEach((s, i) => {
    if (comparePositions(s.first, from) <= 0) start = i;
  });
  return segments.slice(start);
}

/** One line's envelope, or null when the line is corrupt (bad JSON or not an envelope). */
export function parseLine(text: string): EventEnvelope | null {
  try {
    const x: unknown = JSON.parse(text);
    return isEnvelope(x) ? x : null;
  } catch {
    return null;
  }
}

export interface ReadLine {
  text: string;
  /** 1-based line number in the segment. */
  line: number;
}

const CHUNK = 1 << 20;

/**
 * Reads complete lines from one segment, resuming where it left off, so the same cursor serves a
 * one-shot read and a live tail of the segment the writer is still appending to. Bytes after the
 * last `\n` stay in `partial` until the rest of the line arrives.
 */
export class LineCursor {
  readonly file: string;
  private fh: FileHandle | null = null;
  private offset = 0;
  private lineNo = 0;
  private rest: Buffer = Buffer.alloc(0);
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(file: string) {
    this.file = file;
  }

  /** Bytes of an unterminated last line seen so far. */
  get partial(): string {
    return this.rest.toString('utf8');
  }

  get partialLine(): number {
    return this.lineNo + 1;
  }

  /** The complete lines in the next ~1 MiB (maybe none, inside a long line); null at end of file. */
  async read(): Promise<ReadLine[] | null> {
    this.fh ??= await open(this.file, 'r');
    const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.offset);
    if (bytesRead === 0) return null;
    this.offset += bytesRead;
    const data = this.rest.length
      ? Buffer.concat([this.rest, this.buf.subarray(0, bytesRead)])
      : this.buf.subarray(0, bytesRead);
    const out: ReadLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      this.lineNo += 1;
      if (nl > start) out.push({ text: data.toString('utf8', start, nl), line: this.lineNo });
      start = nl + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

export type CorruptHandler = (file: string, line: number, text: string) => void;

/**
 * The last valid envelope position in the journal, scanning segments from the newest back
 * (a segment can be all garbage after a crash). Corrupt lines seen on the way are reported.
 */
export async function lastPosition(
  segments: SegmentInfo[],
  onCorrupt: CorruptHandler,
): Promise<JournalPosition | null> {
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    const seg = segments[i]!;
    let found: JournalPosition | null = null;
    const cursor = new LineCursor(seg.file);
    try {
      for (let lines = await cursor.read(); lines !== null; lines = await cursor.read()) {
        for (const l of lines) {
          const env = parseLine(l.text);
          if (env) found = { boot: env.boot, seq: env.seq };
          else onCorrupt(seg.file, l.line, l.text);
        }
      }
      if (cursor.partial) onCorrupt(seg.file, cursor.partialLine, cursor.partial);
    } finally {
      await cursor.close();
    }
    if (found) return found;
  }
  return null;
}
