import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startAlertConsumer } from '../../../src/io/alerts/alertConsumer.js';
import { firedKey, openAlertStore } from '../../../src/io/alerts/alertStore.js';
import type { AlertRule } from '../../../src/io/alerts/rules.js';
import { envelope, quietLog } from '../journal/journalFixtures.js';
import { publishedJournal } from '../journal/natsFixtures.js';

const toMaster: AlertRule = {
  name: 'to-master',
  match: { to: 'master' },
  actions: [{ kind: 'log', message: '{actor} master on {node}' }],
  pos: { file: 'test', line: 1 },
};

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('alert consumer (in process)', () => {
  it('waits for the stream, fires on envelopes, counts a message that is no envelope and reads on', {
    timeout: 30_000,
  }, async (t) => {
    const { server, stateDir, publish } = await publishedJournal(t, 'alert-consumer');
    const store = await openAlertStore(join(stateDir, 'alerts-test.json'));
    // Started before anything is published: the stream does not exist yet.
    const nats = { servers: [server.url] };
    const consumer = await startAlertConsumer({
      nats,
      consumer: 'test',
      start: 'all',
      rules: [toMaster],
      store,
      log: quietLog,
    });
    t.after(() => consumer.stop());
    await publish([envelope(1)]);
    const nc = await connect({ servers: server.url });
    t.after(() => nc.close());
    await jetstream(nc).publish('halo.events.n1.vrrp.VI_1', '{"v":1,"id":"n1:1:2"}');
    await publish([envelope(3)]);
    await waitFor('three messages handled', () => consumer.stats.handled >= 3);
    assert.deepEqual(
      { ...consumer.stats },
      { handled: 3, matched: 2, fired: 2, deduplicated: 0, failed: 0, corrupt: 1 },
    );
    assert.ok(store.hasFired(firedKey('n1:1:3', 'to-master', 0)), 'the fired action is in the store');
    // SIGTERM while NATS is down must still end the process.
    await server.stop();
    const stopped = Date.now();
    await consumer.stop();
    assert.ok(Date.now() - stopped < 2000, 'stop ends at once with the server gone');
  });
});
