/** Envelopes and journals for journal tests: temp dirs, a silent logger, n-th envelope. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import { createLogger, type Logger } from '../../../src/io/log.js';

/** Silent unless HALO_TEST_LOG names a level (debugging a failing run). */
export const quietLog: Logger = createLogger({ level: process.env.HALO_TEST_LOG ?? 'silent' });

export function envelope(seq: number, boot = 1, node = 'n1'): EventEnvelope {
  return {
    v: 1,
    id: `${node}:${boot}:${seq}`,
    node,
    boot,
    seq,
    ts: 1_700_000_000_000 + seq,
    actor: seq % 2 ? 'vrrp:VI_1' : 'server:proxy/db1',
    machine: 'vrrpInstance',
    from: seq === 1 ? null : 'backup',
    to: 'master',
    event: { type: 'MASTER_DOWN_TIMEOUT' },
    context: { priority: 100, n: seq },
  };
}

export async function tempDir(t: { after(fn: () => Promise<void>): void }, tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `halo-${tag}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
