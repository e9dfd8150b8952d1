import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { masterDownIntervalCs, skewTimeCs } from '../../src/machines/vrrp/timers.js';
import { macOf, neighbourMac, waitFor } from '../helpers/netns.js';
import { createHaloLab, holders, instanceBlock, type HaloLab } from '../helpers/haloLab.js';

const VIP = '192.0.2.100';
const VI = 'vrrp:VI_1';

describe('halo ↔ halo failover in network namespaces (VRRPv3, advert 0.1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hef', 3);
  });
  after(async () => {
    await hl.destroy();
  });

  test('the higher priority wins the election and exactly one node holds the VIP', async () => {
    const n1 = hl.halo(0, instanceBlock({ priority: 150 }));
    const n2 = hl.halo(1, instanceBlock({ priority: 100 }));
    n1.start();
    n2.start();
    await n1.waitState(VI, 'master', 5_000);
    await n2.waitState(VI, 'backup', 5_000);
    await waitFor(`${VIP} on exactly one node`, async () => (await holders(hl.hosts, VIP)).length === 1, 2_000);
    assert.deepEqual(await holders(hl.hosts, VIP), [0]);
    const client = hl.hosts[2]!;
    assert.match(await client.exec('ping', ['-c', '1', '-W', '1', VIP]), /1 received/);
    assert.equal(await neighbourMac(client, VIP), await macOf(hl.hosts[0]!));

    // kill -9: no goodbye advert, the backup must wait Master_Down_Interval (RFC 5798 6.4.2).
    const mdiMs = masterDownIntervalCs(100, 10, 3) * 10;
    const killedAt = Date.now();
    const takeover = n2.waitState(VI, 'master', mdiMs + 3_000, { fresh: true });
    await n1.kill('SIGKILL');
    const t = await takeover;
    const took = t.time - killedAt;
    assert.ok(took <= mdiMs + 250, `takeover after ${took} ms; Master_Down_Interval is ${mdiMs} ms`);
    assert.ok(took >= mdiMs - 110, `takeover after ${took} ms is earlier than Master_Down_Interval ${mdiMs} ms allows`);
    // A killed daemon leaves its VIP behind (keepalived does too); the new master's gratuitous
    // ARP must move the client's neighbour entry to it.
    await waitFor(`${VIP} on node2`, async () => (await holders(hl.hosts, VIP)).includes(1), 1_000);
    const n2mac = await macOf(hl.hosts[1]!);
    await waitFor(
      `the client's neighbour entry for ${VIP} to name node2's MAC ${n2mac}`,
      async () => (await neighbourMac(client, VIP)) === n2mac,
      2_000,
    );
    assert.match(await client.exec('ping', ['-c', '1', '-W', '1', VIP]), /1 received/);

    // Back with preempt: the higher priority takes the VIP again (after removing the VIP its
    // crashed run left behind).
    // n2 yields on n1's first advert, which can be logged before n1's own transition line:
    // wait for both from before the start.
    const yielded = n2.waitState(VI, 'backup', 5_000, { fresh: true });
    n1.start();
    await n1.waitState(VI, 'master', 5_000, { fresh: true });
    await yielded;
    await waitFor(`${VIP} on node1 only`, async () => (await holders(hl.hosts, VIP)).join() === '0', 1_000);

    // Graceful stop: priority-0 advert, the backup takes over after Skew_Time (RFC 5798 6.4.2).
    const skewMs = skewTimeCs(100, 10, 3) * 10;
    const stoppedAt = Date.now();
    const handover = n2.waitState(VI, 'master', 3_000, { fresh: true });
    await n1.kill('SIGTERM');
    const h = await handover;
    assert.ok(
      h.time - stoppedAt <= skewMs + 250,
      `graceful takeover after ${h.time - stoppedAt} ms; Skew_Time is ${skewMs} ms`,
    );
    assert.deepEqual(await holders(hl.hosts, VIP), [1], 'the stopped node removed its VIP');
    await n2.kill('SIGTERM');
  });
});
