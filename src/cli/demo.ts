/**
 * `halo demo`: two halo nodes and a client in network namespaces it creates (192.0.2.0/24, no
 * route out), one VIP. It shows the election, a kill -9 of the master and the backup's
 * takeover, the old master's return, and a graceful stop — each step with its timing, read
 * from the nodes' own transition log lines. Ctrl-C or the end removes everything it made.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { masterDownIntervalCs, skewTimeCs } from '../machines/vrrp/timers.js';
import { HaloError } from '../errors.js';
import { createLab, type Lab, type LabNode, macOf, neighbourMac, waitFor } from '../io/net/netnsLab.js';
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

/** What the demo runs, with the Debian package that has it (`bash scripts/setup.sh demo` installs them). */
const TOOLS: ReadonlyArray<readonly [tool: string, pkg: string]> = [
  ['ip', 'iproute2'], // the namespaces, and the daemons' VIPs
  ['arping', 'iputils-arping'], // the new master's gratuitous ARP, which moves the client to it
  ['ping', 'iputils-ping'], // the client's proof that the VIP answers
];
/** Election or takeover plus a gratuitous ARP: a few seconds at advert_int 1 s, even on a busy machine. */
const VIP_ANSWER_TIMEOUT_MS = 10_000;
/** ping's exit status when it sent its packet and no reply came (2 and up: it could not ping). */
const PING_NO_REPLY = 1;

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function checkTools(): void {
  const missing = TOOLS.filter(([tool]) => !onPath(tool));
  if (missing.length === 0) return;
  const names = missing.map(([tool]) => tool).join(', ');
  const pkgs = missing.map(([, pkg]) => pkg).join(' ');
  throw new HaloError(
    'HALO_E_MISSING_TOOL',
    `halo demo needs ${names}, not found on PATH (install: apt-get install ${pkgs}, or bash scripts/setup.sh demo)`,
    { missing: missing.map(([tool]) => tool) },
  );
}

/** One ping from the client: true if the VIP answered, false if not; throws if ping itself failed. */
async function vipAnswers(client: LabNode): Promise<boolean> {
  try {
    await client.exec('ping', ['-c', '1', '-W', '1', VIP]);
    return true;
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string };
    if (e.code === PING_NO_REPLY) return false;
    throw new HaloError(
      'HALO_E_EXEC',
      `ping ${VIP} in ${client.ns} failed: ${e.stderr?.trim() || String(err)}`,
      { ns: client.ns },
      { cause: err },
    );
  }
}

/**
 * Waits (bounded) until `host` answers the client's ping of the VIP: the client's ARP entry for
 * it names the host's MAC. A node killed with -9 keeps its copy of the VIP, so an answer alone
 * could still be the old master's until the new one's gratuitous ARP moves the client.
 */
async function untilVipAnsweredBy(client: LabNode, host: LabNode, name: string): Promise<void> {
  const mac = await macOf(host);
  await waitFor(
    async () =>
      `${name} (${mac}) to answer ${client.ns}'s ping of ${VIP} ` +
      `(ARP entry: ${(await neighbourMac(client, VIP)) ?? 'none'})`,
    async () => (await vipAnswers(client)) && (await neighbourMac(client, VIP)) === mac,
    VIP_ANSWER_TIMEOUT_MS,
    100,
  );
}

export async function demoCommand(_argv: string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    throw new HaloError(
      'HALO_E_NOT_ROOT',
      'halo demo needs root: it creates network namespaces and runs VRRP with raw sockets inside them',
    );
  }
  checkTools();
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
  // All synchronous, then exit: the lab's exit hook (src/io/net/netnsLab.ts) removes the
  // namespaces and anything still running in them.
  const onInterrupt = (): void => {
    print('interrupted: cleaning up');
    for (const n of nodes) n.proc?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    step('creating namespaces: node1, node2, client on a bridge (192.0.2.0/24, no route out)');
    lab = await createLab({ prefix: 'hdemo', nodes: 3 });
    const [h1, h2, client] = lab.nodes as [LabNode, LabNode, LabNode];
    const mdi = masterDownIntervalCs(100, ADVERT_S * 100, 2) * 10;
    const skew = skewTimeCs(100, ADVERT_S * 100, 2) * 10;
    for (const [i, host, prio] of [
      [1, h1, 101],
      [2, h2, 100],
    ] as const) {
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
    await untilVipAnsweredBy(client, h1, 'node1');
    step(`client pings ${VIP}: answered by node1`);

    step('kill -9 node1');
    const killedAt = Date.now();
    const takeover = n2.waitState(INSTANCE, 'master', mdi + 5_000, { fresh: true });
    await n1.kill('SIGKILL');
    const t = await takeover;
    step(
      `node2 took over ${t.time - killedAt} ms after the kill (RFC 3768 Master_Down_Interval = ${mdi.toFixed(1)} ms)`,
    );
    await untilVipAnsweredBy(client, h2, 'node2');
    step(
      `client pings ${VIP}: answered by node2, its gratuitous ARP heard (${Date.now() - killedAt} ms after the kill)`,
    );

    step('restarting node1: higher priority, preempt on');
    const back = n1.waitState(INSTANCE, 'master', 10_000, { fresh: true });
    const yielded = n2.waitState(INSTANCE, 'backup', 10_000, { fresh: true });
    n1.start();
    await Promise.all([back, yielded]);
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
