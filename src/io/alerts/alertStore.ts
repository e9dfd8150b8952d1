/**
 * What the alerts process must remember across restarts, in one file written atomically before
 * each ack: the actions already fired (`<event id>#<rule>#<action index>`), so a redelivered or
 * re-published event never pages twice, and the StateBook that `all:` conditions read.
 * The fired set keeps the newest `maxKeys` entries: JetStream redelivers within ack_wait and
 * max_deliver, far fewer than that.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HaloError } from '../../errors.js';
import { readJsonFile, writeFileAtomic } from '../journal/atomicFile.js';
import type { StateBook } from './matcher.js';

export interface AlertStore {
  readonly file: string;
  readonly book: StateBook;
  hasFired(key: string): boolean;
  markFired(key: string): void;
  save(): Promise<void>;
}

interface StoreFile {
  v: 1;
  fired: string[];
  book: StateBook;
}

export function firedKey(eventId: string, rule: string, action: number): string {
  return `${eventId}#${rule}#${action}`;
}

export async function openAlertStore(file: string, opts: { maxKeys?: number } = {}): Promise<AlertStore> {
  const maxKeys = opts.maxKeys ?? 100_000;
  let data: StoreFile;
  try {
    await mkdir(dirname(file), { recursive: true });
    const raw = (await readJsonFile(file)) as Partial<StoreFile> | null;
    data = {
      v: 1,
      fired: Array.isArray(raw?.fired) ? raw.fired.filter((k) => typeof k === 'string') : [],
      book: raw?.book && typeof raw.book === 'object' ? raw.book : {},
    };
  } catch (err) {
    // Starting without it could page again for everything redelivered: refuse instead.
    throw new HaloError(
      'HALO_E_JOURNAL_IO',
      `cannot read the alerts store ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  // Insertion-ordered, so the oldest keys are dropped first.
  const fired = new Set(data.fired);
  return {
    file,
    book: data.book,
    hasFired: (key) => fired.has(key),
    markFired: (key) => {
      fired.add(key);
      if (fired.size > maxKeys) fired.delete(fired.values().next().value as string);
    },
    save: async () => {
      try {
        await writeFileAtomic(file, JSON.stringify({ v: 1, fired: [...fired], book: data.book } satisfies StoreFile));
      } catch (err) {
        throw new HaloError('HALO_E_JOURNAL_IO', `cannot write the alerts store ${file}`, { file }, { cause: err });
      }
    },
  };
}
