/**
 * `halo demo`: two halo nodes and a client in network namespaces it creates (192.0.2.0/24, no
 * route out), one VIP. It shows the election, a kill -9 of the master and the backup's
 * takeover, the old master's return, and a graceful stop — each step with its timing, read
 * from the nodes' own transition log lines. Ctrl-C or the end removes everything it made.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { masterDownIntervalCs, skewTimeCs } from '../machines/vrrp/timers.js';
import { createLab, type Lab, type LabNode } from '../io/net/netnsLab.js';
import { NodeProcess } from './nodeProcess.js';

const VIP = '192.0.2.100';
const INSTANCE = 'vrrp:VI_1';
const ADVERT_S = 1;

function nodeConf(priority: number): string {
  return `global_defs {
  router_id demo
}
vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority ${priority}
  advert_int ${ADVERT_S}
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

async function vipAnswers(client: LabNode): Promise<boolean> {
  try {
    await client.exec('ping', ['-c', '1', '-W', '1', VIP]);
    return true;
  } catch {
    return false;
  }
}

export async function demoCommand(_argv: string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('halo demo needs root: it creates network namespaces and runs VRRP with raw sockets inside them.\n');
    return 1;
  }
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  const t0 = Date.now();
  const step = (text: string): void => print(`[+${((Date.now() - t0) / 1000).toFixed(3)}s] ${text}`);
  const dir = mkdtempSync(join(tmpdir(), 'halo-demo-'));
  let lab: Lab | undefined;
  const nodes: NodeProcess[] = [];
  const cleanup = async (): Promise<void> => {
    for (const n of nodes) await n.kill('SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const onInterrupt = (): void => {
    print('interrupted: cleaning up');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    step('creating namespaces: node1, node2, client on a bridge (192.0.2.0/24, no route out)');
    lab = await createLab({ prefix: 'hdemo', nodes: 3 });
    const [h1, h2, client] = lab.nodes as [LabNode, LabNode, LabNode];
    const mdi = masterDownIntervalCs(100, ADVERT_S * 100, 2) * 10;
    const skew = skewTimeCs(100, ADVERT_S * 100, 2) * 10;
    for (const [i, host, prio] of [[1, h1, 101], [2, h2, 100]] as const) {
      const conf = join(dir, `node${i}.conf`);
      writeFileSync(conf, nodeConf(prio));
      nodes.push(
        new NodeProcess(`node${i}`, host, ['-c', conf, '--state-dir', join(dir, `state${i}`)], (t) => {
          if (t.actor === 'vrrp:VI_1') print(`  ${t.node}: ${t.actor} ${t.from ?? '(start)'} -> ${t.to}`);
        }),
      );
    }
    const [n1, n2] = nodes as [NodeProcess, NodeProcess];
    step(`starting node1 (priority 101) and node2 (priority 100), VRRPv2, advert_int ${ADVERT_S}s, VIP ${VIP}`);
    const elected = n1.waitState(INSTANCE, 'master', 10_000);
    n1.start();
    n2.start();
    await elected;
    step('node1 is master');
    while (!(await vipAnswers(client))) await new Promise((r) => setTimeout(r, 100));
    step(`client pings ${VIP}: answered by node1`);

    step('kill -9 node1');
    const killedAt = Date.now();
    const takeover = n2.waitState(INSTANCE, 'master', mdi + 5_000, { fresh: true });
    await n1.kill('SIGKILL');
    const t = await takeover;
    step(`node2 took over ${t.time - killedAt} ms after the kill (RFC 3768 Master_Down_Interval = ${mdi.toFixed(1)} ms)`);
    while (!(await vipAnswers(client))) await new Promise((r) => setTimeout(r, 50));
    step(`client pings ${VIP}: answered (${Date.now() - killedAt} ms after the kill)`);

    step('restarting node1: higher priority, preempt on');
    const back = n1.waitState(INSTANCE, 'master', 10_000, { fresh: true });
    n1.start();
    await back;
    step('node1 is master again; node2 went back to backup');

    step('graceful stop of node1 (SIGTERM: priority-0 advert)');
    const stoppedAt = Date.now();
    const handover = n2.waitState(INSTANCE, 'master', 5_000, { fresh: true });
    await n1.kill('SIGTERM');
    const h = await handover;
    step(`node2 took over ${h.time - stoppedAt} ms after SIGTERM (Skew_Time = ${skew.toFixed(1)} ms)`);
    step('done; removing namespaces');
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await cleanup();
  }
}
