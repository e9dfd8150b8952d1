/**
 * The boot counter: one more on every daemon start, persisted in the state dir, so envelope ids
 * (`node:boot:seq`) never repeat even though seq restarts at 1 each boot. A repeated id would be
 * silently dropped by JetStream's duplicate window and would break the publisher's ack cursor.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HaloError } from '../../errors.js';
import { readJsonFile, writeFileAtomic } from './atomicFile.js';

export const BOOT_FILE = 'boot.json';

/**
 * Reads `<stateDir>/boot.json`, stores and returns the next boot number (first boot: 1).
 * `atLeast` lets the caller pass the last boot found in the journal, so a lost or restored-old
 * boot file cannot make ids repeat: the result is max(stored, atLeast) + 1.
 */
export async function nextBootId(stateDir: string, opts: { atLeast?: number } = {}): Promise<number> {
  const file = join(stateDir, BOOT_FILE);
  try {
    await mkdir(stateDir, { recursive: true });
    const stored = await readJsonFile(file);
    const prev = stored === null ? 0 : (stored as { boot?: unknown }).boot;
    if (!Number.isSafeInteger(prev) || (prev as number) < 0) {
      throw new HaloError('HALO_E_JOURNAL_IO', `boot counter ${file} is not a valid boot number`, { file, stored });
    }
    const boot = Math.max(prev as number, opts.atLeast ?? 0) + 1;
    await writeFileAtomic(file, `${JSON.stringify({ boot })}\n`);
    return boot;
  } catch (err) {
    if (err instanceof HaloError) throw err;
    throw new HaloError('HALO_E_JOURNAL_IO', `cannot read or store the boot counter ${file}`, { file }, { cause: err });
  }
}
