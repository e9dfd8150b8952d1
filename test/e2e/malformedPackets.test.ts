import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../src/io/sleep.js';
import { createHaloLab, type HaloLab, holders, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { spawnJsonChild } from '../io/jsonChild.js';
import { AUTH, barrage, GROUP, VIP, winning } from './fixtures/badAdverts.js';
import { recordLog, stoppedCounters } from './fixtures/daemonLog.js';

const VI = 'vrrp:VI_1';
const REPEAT = 3;
/** The raw-socket peer the io tests use, compiled next to them. */
const PEER = fileURLToPath(new URL('../io/vrrp/fixtures/vrrpPeer.js', import.meta.url));

describe('malformed VRRP packets at a running master (VRRPv2, PASS auth, advert 1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hmp', 3);
  });
  after(async () => {
    await hl.destroy();
  });

  test('the master stays master through the barrage and counts every drop by reason', async () => {
    const conf = (priority: number): string => instanceBlock({ priority, version: 2, advert: '1', extra: `  ${AUTH}` });
    const n1 = hl.halo(0, conf(150));
    const n2 = hl.halo(1, conf(100));
    const h1 = hl.hosts[0]!;
    const attacker = hl.hosts[2]!;
    // n1 first, so n2 never advertises and every advert n1 accepts is one the test sent.
    n1.start();
    const log1 = recordLog(n1);
    await n1.waitState(VI, 'master', 6_000);
    n2.start();
    await n2.waitState(VI, 'backup', 3_000);
    await waitFor(`${VIP} on node1 only`, async () => (await holders(hl.hosts, VIP)).join() === '0', 2_000);

    const peer = spawnJsonChild(attacker, PEER, ['eth0']);
    await peer.next((l) => l.event === 'ready', 5_000);
    const bad = barrage(attacker.ip, h1.ip);
    const seen = [n1.transitions.length, n2.transitions.length];
    for (let round = 0; round < REPEAT; round++) {
      for (const b of bad) peer.write({ dev: 'eth0', dst: b.dst, hex: b.packet.toString('hex') });
      await sleep(50);
    }
    peer.write({ stats: true });
    const stats = (await peer.next((l) => l.event === 'stats', 2_000)).stats as {
      eth0: { sent: number; sendErrors: number };
    };
    assert.deepEqual(
      stats.eth0,
      { ...stats.eth0, sent: bad.length * REPEAT, sendErrors: 0 },
      'every bad packet left the attacker',
    );
    // Longer than one advert interval and than the attacker's priority would need to win.
    await sleep(1_500);
    assert.deepEqual(n1.transitions.slice(seen[0]), [], 'no transition on the master during the barrage');
    assert.deepEqual(n2.transitions.slice(seen[1]), [], 'no transition on the backup during the barrage');
    assert.equal(n1.state(VI), 'master');
    assert.deepEqual(await holders(hl.hosts, VIP), [0]);

    // The router still listens: one valid priority-200 advert makes it yield (RFC 3768 6.4.3).
    const yielded = n1.waitState(VI, 'backup', 2_000, { fresh: true });
    peer.write({ dev: 'eth0', dst: GROUP, hex: winning(attacker.ip).toString('hex') });
    assert.equal((await yielded).event, 'ADVERT');

    await n1.kill('SIGTERM');
    const counters = stoppedCounters(log1);
    const expected = new Map<string, number>();
    for (const b of bad) expected.set(b.counter, (expected.get(b.counter) ?? 0) + REPEAT);
    for (const [key, count] of expected) assert.equal(counters[key], count, `${key} in ${JSON.stringify(counters)}`);
    const drops = Object.entries(counters).filter(([k]) => k.startsWith('halo_vrrp_rx_dropped_total'));
    assert.equal(drops.length, expected.size, `only the expected drop reasons: ${JSON.stringify(drops)}`);
    assert.equal(
      counters['halo_vrrp_rx_adverts_total{instance=VI_1}'],
      1,
      'the one valid advert, and nothing else, was accepted',
    );
    await n2.kill('SIGTERM');
  });
});
