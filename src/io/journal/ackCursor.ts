/**
 * The publisher's ack cursor: the newest envelope of the contiguous prefix JetStream has
 * confirmed, kept in <stateDir>/nats-acked.json so a restart resumes after it. Writes are
 * atomic and at most every PERSIST_EVERY_MS (and at close), so a crash re-sends at most that
 * last stretch, which the stream's duplicate window drops.
 */
import { join } from 'node:path';
import { HaloError } from '../../errors.js';
import type { Logger } from '../log.js';
import { readJsonFile, writeFileAtomic } from './atomicFile.js';
import type { JournalPosition } from './envelope.js';

export const ACKED_FILE = 'nats-acked.json';
const PERSIST_EVERY_MS = 200;

export type AckedPosition = JournalPosition & { id: string };

export class AckCursor {
  readonly file: string;
  private acked: AckedPosition | null = null;
  private persistedId: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly onError: (err: unknown, msg: string) => void,
  ) {
    this.file = join(stateDir, ACKED_FILE);
  }

  /** Seq of the newest acked envelope; 0 before any. */
  get lastSeq(): number {
    return this.acked?.seq ?? 0;
  }

  /** The stored cursor, or null: no file, or one that cannot be trusted (then all is re-sent). */
  async read(): Promise<JournalPosition | null> {
    try {
      const c = (await readJsonFile(this.file)) as Partial<AckedPosition> | null;
      if (c === null) return null;
      if (Number.isSafeInteger(c.boot) && Number.isSafeInteger(c.seq) && typeof c.id === 'string') {
        this.acked = { boot: c.boot!, seq: c.seq!, id: c.id };
        this.persistedId = c.id;
        return this.acked;
      }
    } catch (err) {
      this.onError(err, 'nats: unreadable ack cursor');
    }
    // Without a cursor, everything is re-sent: duplicates beyond the window beat losing events.
    this.log.error({ file: this.file }, 'nats: ack cursor invalid; publishing the whole journal');
    return null;
  }

  /** Moves the cursor; the file follows within PERSIST_EVERY_MS. */
  advance(to: AckedPosition): void {
    this.acked = to;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.persist();
    }, PERSIST_EVERY_MS);
  }

  /** Stores the cursor now and stops the periodic write. */
  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.persist();
  }

  private persist(): Promise<void> {
    this.persisting = this.persisting.then(async () => {
      const cur = this.acked;
      if (!cur || cur.id === this.persistedId) return;
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(cur)}\n`);
        this.persistedId = cur.id;
      } catch (err) {
        const { file } = this;
        const cause = new HaloError('HALO_E_JOURNAL_IO', `cannot store ${file}`, { file }, { cause: err });
        this.onError(cause, 'nats: ack cursor not stored');
      }
    });
    return this.persisting;
  }
}
