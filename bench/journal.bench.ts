/**
 * Journal throughput and cost to the caller. Drives a real xstate actor through the transition
 * mapper into the file journal, then publishes a journal to a private nats-server, and prints the
 * median of RUNS runs:
 *   - transitions/s into the local journal (send → mapper → append, until flushed and fsynced)
 *   - added latency per append (time inside journal.append), p50 / p99
 *   - added latency per transition (mapper + append inside actor.send), p50 / p99
 *   - envelopes/s into JetStream (journal → acked by the stream)
 * Run: npm run bench:journal   (tsc -p . && node dist/bench/journal.bench.js)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setup } from 'xstate';
import { openJournal } from '../src/io/journal/fileJournal.js';
import { createNatsPublisher } from '../src/actors/natsPublisher.js';
import { createLogger } from '../src/io/log.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { journaledActor } from '../test/helpers/timedJournal.js';

const RUNS = Number(process.env.RUNS ?? 5);
const TRANSITIONS = Number(process.env.TRANSITIONS ?? 20_000);
const log = createLogger({ level: process.env.HALO_LOG_LEVEL ?? 'silent' });

const flapper = setup({
  types: { context: {} as { priority: number; authPass: string; peers: string[] }, events: {} as { type: 'FLIP' } },
}).createMachine({
  id: 'vrrpInstance',
  context: { priority: 100, authPass: 'secret', peers: ['192.0.2.11', '192.0.2.12'] },
  initial: 'backup',
  states: { backup: { on: { FLIP: 'master' } }, master: { on: { FLIP: 'backup' } } },
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function journalRun(
  dir: string,
): Promise<{ perSec: number; appendP50: number; appendP99: number; transP50: number; transP99: number }> {
  const journal = await openJournal({ dir, log });
  const { actor, appendNs } = journaledActor(flapper, journal, 'bench');
  const transNs: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < TRANSITIONS; i += 1) {
    const t0 = process.hrtime.bigint();
    actor.send({ type: 'FLIP' });
    transNs.push(Number(process.hrtime.bigint() - t0));
    // Yield now and then, as a daemon does between socket events, so the writer can run.
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  await journal.flush();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  actor.stop();
  await journal.close();
  return {
    perSec: TRANSITIONS / secs,
    appendP50: pct(appendNs, 0.5) / 1000,
    appendP99: pct(appendNs, 0.99) / 1000,
    transP50: pct(transNs, 0.5) / 1000,
    transP99: pct(transNs, 0.99) / 1000,
  };
}

async function natsRun(dir: string, url: string, node: string): Promise<number> {
  const journalDir = join(dir, 'journal');
  const journal = await openJournal({ dir: journalDir, log });
  for (let i = 1; i <= TRANSITIONS; i += 1) {
    journal.append({
      v: 1,
      id: `${node}:1:${i}`,
      node,
      boot: 1,
      seq: i,
      ts: Date.now(),
      actor: 'vrrp:VI_1',
      machine: 'vrrpInstance',
      from: 'backup',
      to: 'master',
      event: { type: 'FLIP' },
      context: { priority: 100, peers: ['192.0.2.11'] },
    });
  }
  await journal.close();
  const publisher = createNatsPublisher({ config: { servers: [url] }, journalDir, stateDir: dir, log });
  const start = process.hrtime.bigint();
  await publisher.start();
  const deadline = Date.now() + 60_000;
  while (publisher.stats.acked < TRANSITIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const acked = publisher.stats.acked;
  await publisher.stop();
  if (acked < TRANSITIONS) throw new Error(`only ${acked}/${TRANSITIONS} acked within 60 s`);
  return TRANSITIONS / secs;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'halo-bench-'));
  const server = await startNatsServer();
  try {
    const local: Awaited<ReturnType<typeof journalRun>>[] = [];
    const nats: number[] = [];
    for (let r = 0; r < RUNS; r += 1) {
      local.push(await journalRun(join(root, `local-${r}`)));
      // A node name per run: the ids differ, so the stream's duplicate window drops nothing.
      nats.push(await natsRun(join(root, `nats-${r}`), server.url, `bench${r}`));
    }
    const m = (f: (x: (typeof local)[number]) => number): string => median(local.map(f)).toFixed(2);
    console.log(`journal bench: ${TRANSITIONS} transitions x ${RUNS} runs, medians`);
    console.log(
      `  local journal:      ${median(local.map((x) => x.perSec)).toFixed(0)} transitions/s (send → mapper → append ` +
        `→ flushed+fsynced)`,
    );
    console.log(
      `  append latency:     p50 ${m((x) => x.appendP50)} µs, p99 ${m((x) => x.appendP99)} µs (inside journal.append)`,
    );
    console.log(
      `  transition latency: p50 ${m((x) => x.transP50)} µs, ` +
        `p99 ${m((x) => x.transP99)} µs (actor.send incl. mapper + append)`,
    );
    console.log(`  JetStream:          ${median(nats).toFixed(0)} envelopes/s (journal → acked by the stream)`);
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
