/**
 * A listener bound to a VIP follows the VRRP instance that owns it, with two real halo daemons
 * (keepalived.conf + haproxy.cfg each) in namespaces: only the VIP holder listens on
 * VIP:3366, the new master's listener starts within 50 ms of its VIP being added (no
 * ip_nonlocal_bind), and a client that keeps connecting gets through the new master right
 * after a kill -9 or a graceful stop. The backend's greeting names the address it was
 * connected from, which is the proxying halo node's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { NodeProcess } from '../../src/cli/nodeProcess.js';
import { masterDownIntervalCs } from '../../src/machines/vrrp/timers.js';
import { type AddressWatch, watchAddress } from '../helpers/keepalivedPeer.js';
import { type LabNode, waitFor } from '../helpers/netns.js';
import { type LogRecord, recordLog } from './fixtures/daemonLog.js';
import {
  createVipLab,
  LB_PORT,
  listensOn,
  type Probe,
  startProbe,
  VIP,
  type VipLab,
  VRRP_ID,
  waitRecord,
} from './fixtures/vipLab.js';

/** The budget from the VIP being added to the listener accepting. */
const LISTEN_BUDGET_MS = 50;
/**
 * From listening to a client getting through: the client's neighbour entry still names the old
 * master until the new one's gratuitous ARP lands, and the probe opens a connection every 5 ms.
 */
const GARP_SLACK_MS = 100;

interface Takeover {
  /** Transition to master → VIP on the interface (ip monitor's stamp). */
  vipAddMs: number;
  /** VIP on the interface → the daemon logs `listening` on it. */
  listenMs: number;
  /** Transition to master → first client greeting through the new master. */
  clientMs: number;
}

describe('a listener on the VIP follows the VRRP instance (2 halo nodes, VRRPv3 advert 0.1 s)', () => {
  let vl: VipLab;
  let probe: Probe;
  let hosts: [LabNode, LabNode];
  const logs: LogRecord[][] = [[], []];
  const start = (i: 0 | 1): void => {
    vl.nodes[i].start();
    logs[i] = recordLog(vl.nodes[i]);
  };

  before(async () => {
    vl = await createVipLab('hvl');
    hosts = [vl.hl.hosts[0]!, vl.hl.hosts[1]!];
    start(0);
    start(1);
    probe = startProbe(vl.client);
  });
  after(async () => {
    probe?.stop();
    await vl?.destroy();
  });

  /** Waits for `node` to take over (after `cause`) and times its VIP, listener and first client. */
  async function takeover(t: TestContext, i: 0 | 1, cause: () => Promise<void>, timeoutMs: number): Promise<Takeover> {
    const node: NodeProcess = vl.nodes[i];
    const addr: AddressWatch = watchAddress(hosts[i], VIP);
    try {
      await addr.ready;
      const became = node.waitState(VRRP_ID, 'master', timeoutMs, { fresh: true });
      await cause();
      const tr = await became;
      const vipAt = await addr.addedSince(tr.time - 5, 2_000);
      const listening = await waitRecord(
        logs[i]!,
        (r) => r.msg === 'listening' && r.host === VIP && (r.time ?? 0) >= tr.time,
        2_000,
        `${node.name} listening on ${VIP}`,
      );
      const hit = await probe.firstSince(tr.time, hosts[i].ip, 3_000);
      const figures = { vipAddMs: vipAt - tr.time, listenMs: listening.time! - vipAt, clientMs: hit.at - tr.time };
      t.diagnostic(
        `${node.name} backup -> master: VIP added +${figures.vipAddMs} ms, ` +
          `listening ${figures.listenMs} ms after the VIP, first client +${figures.clientMs} ms (${hit.greeting})`,
      );
      return figures;
    } finally {
      addr.close();
    }
  }

  test('only the master listens on VIP:3366, and clients reach the backends through it', async () => {
    const [n1, n2] = vl.nodes;
    await n1.waitState(VRRP_ID, 'master', 5_000);
    await n2.waitState(VRRP_ID, 'backup', 5_000);
    await waitFor(`node1 listening on ${VIP}:${LB_PORT}`, () => listensOn(hosts[0], VIP, LB_PORT), 2_000);
    assert.equal(await listensOn(hosts[1], VIP, LB_PORT), false, 'the backup does not listen on the VIP');
    const hit = await probe.firstSince(Date.now(), hosts[0].ip, 3_000);
    assert.match(hit.greeting, new RegExp(`^b[12] ${hosts[0].ip.replaceAll('.', '\\.')}$`));
  });

  test('kill -9 of the master: the backup listens within 50 ms of its VIP and clients get through it', async (t) => {
    const mdiMs = masterDownIntervalCs(100, 10, 3) * 10;
    assert.equal(await listensOn(hosts[1], VIP, LB_PORT), false, 'not listening while backup');
    const f = await takeover(
      t,
      1,
      async () => {
        await vl.nodes[0].kill('SIGKILL');
        // A dead host's VIP goes with its link: the kill leaves the address on node1's eth0.
        await vl.hl.lab.setCable(hosts[0], false);
      },
      mdiMs + 3_000,
    );
    assert.ok(f.listenMs <= LISTEN_BUDGET_MS, `listening ${f.listenMs} ms after the VIP was added`);
    assert.ok(
      f.clientMs <= f.vipAddMs + LISTEN_BUDGET_MS + GARP_SLACK_MS,
      `first client ${f.clientMs} ms after the transition`,
    );
    assert.equal(await listensOn(hosts[1], VIP, LB_PORT), true);
  });

  test('the old master returns and preempts (listener moves back); a graceful stop hands it over again', async (t) => {
    const [n1, n2] = vl.nodes;
    await vl.hl.lab.setCable(hosts[0], true);
    const backAgain = n2.waitState(VRRP_ID, 'backup', 5_000, { fresh: true });
    start(0);
    const back = await n1.waitState(VRRP_ID, 'master', 5_000, { fresh: true });
    await backAgain;
    await waitFor(
      `node2 to stop listening on ${VIP}:${LB_PORT}`,
      async () => !(await listensOn(hosts[1], VIP, LB_PORT)),
      2_000,
    );
    assert.equal(await listensOn(hosts[0], VIP, LB_PORT), true, 'the returning master listens');
    await probe.firstSince(back.time, hosts[0].ip, 3_000);

    const f = await takeover(t, 1, () => n1.kill('SIGTERM'), 3_000);
    assert.ok(f.listenMs <= LISTEN_BUDGET_MS, `listening ${f.listenMs} ms after the VIP was added`);
    assert.ok(
      f.clientMs <= f.vipAddMs + LISTEN_BUDGET_MS + GARP_SLACK_MS,
      `first client ${f.clientMs} ms after the transition`,
    );
    assert.equal(await listensOn(hosts[1], VIP, LB_PORT), true);
    assert.equal(await listensOn(hosts[0], VIP, LB_PORT), false, 'the stopped node no longer listens');
    await n2.kill('SIGTERM');
  });
});
