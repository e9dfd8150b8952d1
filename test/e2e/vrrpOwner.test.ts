import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../../src/io/sleep.js';
import { createHaloLab, type HaloLab, holders, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';

const VIP = '192.0.2.100';
const VI = 'vrrp:VI_1';

describe('the address owner (priority 255) in network namespaces (VRRPv3, advert 0.1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hvo', 2);
  });
  after(async () => {
    await hl.destroy();
  });

  test('starts straight as master with its advert on the wire, and the running master yields to it', async () => {
    const backup = hl.run(1, instanceBlock({ priority: 100 }));
    await backup.waitState(VI, 'master', 5_000);
    const yielded = backup.waitState(VI, 'backup', 5_000, { fresh: true });
    const owner = hl.run(0, instanceBlock({ priority: 255, state: 'MASTER' }));
    const entered = await owner.waitState(VI, 'master', 5_000);
    assert.equal(entered.from, null, 'the owner went to master from its initial state, not through backup');
    // The peer goes back to backup only on hearing the owner's advert.
    await yielded;
    await waitFor(`${VIP} on the owner only`, async () => (await holders(hl.hosts, VIP)).join() === '0', 2_000);
    await sleep(500);
    assert.ok(owner.running(), `the owner is still running (stderr: ${owner.errors.join(' | ')})`);
    await hl.stopStarted();
  });
});
