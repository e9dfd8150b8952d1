import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NodeProcess } from '../../src/cli/nodeProcess.js';
import { sleep } from '../../src/io/sleep.js';
import { createHaloLab, type HaloLab, holders, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { spawnJsonChild } from '../io/jsonChild.js';

const VI = 'vrrp:VI_1';
const VI2 = 'vrrp:VI_2';
const VIP = '192.0.2.100';
const VIP2 = '192.0.2.101';
const PEER = fileURLToPath(new URL('../io/vrrp/fixtures/vrrpPeer.js', import.meta.url));
/** Comfortably more than Master_Down_Interval at advert 0.1 s (≈ 0.36 s), less than a test's patience. */
const SETTLE_MS = 1_500;

describe('VRRP scenarios in network namespaces (VRRPv3, advert 0.1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hvs', 3);
  });
  afterEach(() => hl.stopStarted());
  after(async () => {
    await hl.destroy();
  });

  const run = (i: number, conf: string): NodeProcess => hl.run(i, conf);
  const vipsAt = async (address: string): Promise<string> => (await holders(hl.hosts, address)).join();
  const expectHolders = (address: string, want: string): Promise<true> =>
    waitFor(
      async () => `${address} held by [${want}] (held by [${await vipsAt(address)}])`,
      async () => (await vipsAt(address)) === want || undefined,
      2_000,
    );

  /**
   * A vrrp_script whose result the test flips: it fails while `flag` exists. Each node gets its
   * own flag, so failing one node's check leaves the other's alone.
   */
  const flagCheck = (node: number, weight: number): { flag: string; block: string } => {
    const flag = join(hl.dir, `fail${node}`);
    rmSync(flag, { force: true });
    const script = hl.write(`chk${node}.sh`, `#!/bin/sh\n[ ! -e ${flag} ]\n`);
    chmodSync(script, 0o755);
    // interval is seconds in keepalived; halo keeps its millisecond fraction.
    const block =
      `vrrp_script chk_flag {\n  script "${script}"\n  interval 0.1\n  weight ${weight}\n  fall 1\n` + `  rise 1\n}\n`;
    return { flag, block };
  };
  const setFlag = (flag: string, failing: boolean): void => {
    if (failing) writeFileSync(flag, '');
    else rmSync(flag, { force: true });
  };

  test(
    'nopreempt: a higher priority that starts later stays backup; ' + 'it takes over only when the master leaves',
    async () => {
      const n1 = run(0, instanceBlock({ priority: 100, extra: '  nopreempt' }));
      await n1.waitState(VI, 'master', 3_000);
      // keepalived clears nopreempt for `state MASTER`, so the late starter is `state BACKUP`.
      const n2 = run(1, instanceBlock({ priority: 150, extra: '  nopreempt' }));
      await n2.waitState(VI, 'backup', 3_000);
      await sleep(SETTLE_MS);
      assert.equal(n2.state(VI), 'backup');
      assert.ok(
        !n2.transitions.some((t) => t.actor === VI && t.to === 'master'),
        'priority 150 with nopreempt never preempted priority 100',
      );
      assert.equal(n1.state(VI), 'master');
      await expectHolders(VIP, '0');

      const takeover = n2.waitState(VI, 'master', 2_000, { fresh: true });
      await n1.kill('SIGTERM');
      await takeover;
      await expectHolders(VIP, '1');
    },
  );

  test(
    'track_script weight -60: a failing check moves the VIP to the peer, ' + 'recovery moves it back (preempt)',
    async () => {
      const c1 = flagCheck(1, -60);
      const c2 = flagCheck(2, -60);
      const track = '  track_script {\n    chk_flag\n  }';
      const n1 = run(0, c1.block + instanceBlock({ priority: 150, extra: track }));
      await n1.waitState(VI, 'master', 3_000);
      const n2 = run(1, c2.block + instanceBlock({ priority: 100, extra: track }));
      await n2.waitState(VI, 'backup', 3_000);
      await expectHolders(VIP, '0');

      // 150 - 60 = 90 < 100: the backup stops accepting the master's adverts and takes over.
      const takeover = n2.waitState(VI, 'master', 3_000, { fresh: true });
      const yielded = n1.waitState(VI, 'backup', 3_000, { fresh: true });
      setFlag(c1.flag, true);
      await takeover;
      await yielded;
      await expectHolders(VIP, '1');

      const back = n1.waitState(VI, 'master', 3_000, { fresh: true });
      const released = n2.waitState(VI, 'backup', 3_000, { fresh: true });
      setFlag(c1.flag, false);
      await back;
      await released;
      await expectHolders(VIP, '0');
      assert.ok(
        !n1.transitions.some((t) => t.actor === VI && t.to === 'fault'),
        'a weighted check changes priority, not state',
      );
    },
  );

  test(
    'sync group: a weight-0 check failing in VI_1 faults the group; ' +
      'VI_1 and VI_2 move together and come back together',
    async () => {
      // The group's generic notify script records `GROUP G1 <STATE> 0` once per group state change.
      const groupLog = (node: number): string => join(hl.dir, `group${node}.log`);
      const group = (node: number): string => {
        rmSync(groupLog(node), { force: true });
        const script = hl.write(`group${node}.sh`, `#!/bin/sh\necho "$@" >> ${groupLog(node)}\n`);
        chmodSync(script, 0o755);
        return `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  notify ${script}\n}\n`;
      };
      const conf = (node: number, priority: number): { flag: string; text: string } => {
        const c = flagCheck(node, 0);
        const vi1 = instanceBlock({ priority, extra: '  track_script {\n    chk_flag\n  }' });
        const vi2 = instanceBlock({ name: 'VI_2', vrid: 52, priority, vips: [`${VIP2}/24`] });
        return { flag: c.flag, text: c.block + vi1 + vi2 + group(node) };
      };
      const c1 = conf(1, 150);
      const n1 = run(0, c1.text);
      await Promise.all([n1.waitState(VI, 'master', 3_000), n1.waitState(VI2, 'master', 3_000)]);
      const n2 = run(1, conf(2, 100).text);
      await Promise.all([n2.waitState(VI, 'backup', 3_000), n2.waitState(VI2, 'backup', 3_000)]);
      await expectHolders(VIP, '0');
      await expectHolders(VIP2, '0');

      const moved = Promise.all([
        n1.waitState(VI, 'fault', 3_000, { fresh: true }),
        n1.waitState(VI2, 'fault', 3_000, { fresh: true }),
        n2.waitState(VI, 'master', 3_000, { fresh: true }),
        n2.waitState(VI2, 'master', 3_000, { fresh: true }),
      ]);
      setFlag(c1.flag, true);
      await moved;
      await expectHolders(VIP, '1');
      await expectHolders(VIP2, '1');

      const back = Promise.all([
        n1.waitState(VI, 'master', 3_000, { fresh: true }),
        n1.waitState(VI2, 'master', 3_000, { fresh: true }),
        n2.waitState(VI, 'backup', 3_000, { fresh: true }),
        n2.waitState(VI2, 'backup', 3_000, { fresh: true }),
      ]);
      setFlag(c1.flag, false);
      await back;
      await expectHolders(VIP, '0');
      await expectHolders(VIP2, '0');
      const lines = await waitFor(
        `5 group notify lines in ${groupLog(1)}`,
        async () => {
          const got = readFileSync(groupLog(1), 'utf8').trim().split('\n');
          return got.length >= 5 ? got : undefined;
        },
        2_000,
      );
      assert.deepEqual(lines, [
        'GROUP G1 BACKUP 0',
        'GROUP G1 MASTER 0',
        'GROUP G1 FAULT 0',
        'GROUP G1 BACKUP 0',
        'GROUP G1 MASTER 0',
      ]);
    },
  );

  test('unicast: adverts go only to the configured peer, and the peer takes over on kill -9', async () => {
    const [h1, h2, h3] = [hl.hosts[0]!, hl.hosts[1]!, hl.hosts[2]!];
    const unicast = (self: string, peer: string): string =>
      `  unicast_src_ip ${self}\n  unicast_peer {\n    ${peer}\n  }`;
    const n1 = run(0, instanceBlock({ priority: 150, extra: unicast(h1.ip, h2.ip) }));
    await n1.waitState(VI, 'master', 3_000);
    const n2 = run(1, instanceBlock({ priority: 100, extra: unicast(h2.ip, h1.ip) }));
    await n2.waitState(VI, 'backup', 3_000);
    await sleep(SETTLE_MS / 3);
    assert.equal(n2.state(VI), 'backup', 'the backup hears the unicast adverts');
    await expectHolders(VIP, '0');

    // A third host on the same bridge, joined to 224.0.0.18, hears nothing: no multicast advert.
    const listener = spawnJsonChild(h3, PEER, ['eth0']);
    await listener.next((l) => l.event === 'ready', 5_000);
    await sleep(500);
    assert.deepEqual(
      listener.lines.filter((l) => l.event === 'packet'),
      [],
      'no VRRP packet reached the non-peer',
    );

    const takeover = n2.waitState(VI, 'master', 3_000, { fresh: true });
    await n1.kill('SIGKILL');
    await takeover;
    // A killed daemon leaves its VIP behind: the new master's copy is what counts here.
    await waitFor(`${VIP} on node2`, async () => (await holders(hl.hosts, VIP)).includes(1), 2_000);
  });

  test('link down: the master goes to fault and the peer takes over; link up: it returns (preempt)', async () => {
    const n1 = run(0, instanceBlock({ priority: 150 }));
    await n1.waitState(VI, 'master', 3_000);
    const n2 = run(1, instanceBlock({ priority: 100 }));
    await n2.waitState(VI, 'backup', 3_000);
    await expectHolders(VIP, '0');

    const fault = n1.waitState(VI, 'fault', 3_000, { fresh: true });
    const takeover = n2.waitState(VI, 'master', 3_000, { fresh: true });
    await hl.lab.setCable(hl.hosts[0]!, false);
    assert.equal((await fault).event, 'LINK');
    await takeover;
    await expectHolders(VIP, '1');

    const backup = n1.waitState(VI, 'backup', 3_000, { fresh: true });
    const back = n1.waitState(VI, 'master', 3_000, { fresh: true });
    const released = n2.waitState(VI, 'backup', 3_000, { fresh: true });
    await hl.lab.setCable(hl.hosts[0]!, true);
    await backup;
    await back;
    await released;
    await expectHolders(VIP, '0');
  });
});
