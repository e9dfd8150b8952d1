import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HALO_MAIN } from '../../src/cli/nodeProcess.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { readJournal } from '../../src/io/journal/fileJournal.js';
import { createHaloLab, type HaloLab, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { NATS_SERVER_BIN } from '../helpers/natsServer.js';

const VI = 'vrrp:VI_1';

async function localJournal(dir: string): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const env of readJournal(join(dir, 'journal'))) out.push(env);
  return out;
}

function assertGapless(envs: EventEnvelope[], node: string): void {
  const mine = envs.filter((e) => e.node === node);
  assert.ok(mine.length > 0, `${node} journaled something`);
  assert.deepEqual(
    mine.map((e) => e.seq),
    mine.map((_, i) => i + 1),
    `${node}: seq is gapless from 1`,
  );
}

const path = (envs: EventEnvelope[], node: string): string[] =>
  envs.filter((e) => e.node === node && e.actor === VI).map((e) => `${e.from ?? '∅'}>${e.to}`);

describe('the audit trail of a failover: local journal and JetStream agree', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hej', 3);
  });
  after(async () => {
    await hl.destroy();
  });

  test(
    'a graceful failover is journaled on both nodes, in order, gapless, ' + 'and published once to JetStream',
    async () => {
      // NATS runs on the third lab host; the nodes reach it over the lab bridge only.
      const natsHost = hl.hosts[2]!;
      const natsUrl = `nats://${natsHost.ip}:4222`;
      natsHost.spawn(
        NATS_SERVER_BIN,
        ['-js', '-a', natsHost.ip, '-p', '4222', '-sd', mkdtempSync(join(tmpdir(), 'halo-hej-nats-'))],
        { stdio: 'ignore' },
      );
      await waitFor(
        `nats-server listening on ${natsHost.ip}:4222`,
        async () => (await natsHost.exec('ss', ['-ltn'])).includes(`${natsHost.ip}:4222`),
        10_000,
      );

      const env = { HALO_NATS_URL: natsUrl };
      const n1 = hl.halo(0, instanceBlock({ priority: 150 }), [], env);
      const n2 = hl.halo(1, instanceBlock({ priority: 100 }), [], env);
      n1.start();
      await n1.waitState(VI, 'master', 5_000);
      n2.start();
      await n2.waitState(VI, 'backup', 5_000);
      const takeover = n2.waitState(VI, 'master', 3_000, { fresh: true });
      await n1.kill('SIGTERM');
      await takeover;
      await n2.kill('SIGTERM');

      const j1 = await localJournal(join(hl.dir, 'state1'));
      const j2 = await localJournal(join(hl.dir, 'state2'));
      assertGapless(j1, 'node1');
      assertGapless(j2, 'node2');
      assert.deepEqual(path(j1, 'node1'), ['∅>backup', 'backup>master', 'master>stopped']);
      assert.deepEqual(path(j2, 'node2'), ['∅>backup', 'backup>master', 'master>stopped']);
      const takeoverEnv = j2.find((e) => e.actor === VI && e.to === 'master');
      assert.match(
        String(takeoverEnv?.event.type),
        /masterDown|MASTER_DOWN|xstate\.after/i,
        'the takeover names its cause: the Master_Down timer',
      );

      // Every local event is in the stream exactly once (Nats-Msg-Id dedupe), read back through `halo events`.
      let streamed = 0;
      const stream = await waitFor(
        () => `${j1.length + j2.length} journaled events in the stream (${streamed} so far)`,
        async () => {
          const out = await natsHost.exec(process.execPath, [HALO_MAIN, 'events', '--json', '--nats', natsUrl]);
          const envs = out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as EventEnvelope);
          streamed = envs.length;
          return envs.length >= j1.length + j2.length ? envs : undefined;
        },
        10_000,
        200,
      );
      const ids = stream.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates in the stream');
      assert.deepEqual(
        [...ids].sort(),
        [...j1, ...j2].map((e) => e.id).sort(),
        'the stream holds exactly the journaled events',
      );
      for (const node of ['node1', 'node2']) {
        const seqs = stream.filter((e) => e.node === node).map((e) => e.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `${node}: the stream is in seq order`,
        );
      }
    },
  );
});
