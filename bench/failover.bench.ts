/**
 * `npm run bench:failover`: failover time of halo→halo and keepalived→keepalived in the same
 * run and the same namespaces, kill -9 and graceful stop, medians over N trials, beside the
 * RFC 3768 formula (VRRPv2, advert_int 1 s, backup priority 100). The clock stops when the
 * VIP appears on the backup (`ip monitor address` inside its namespace), the same for both.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HALO_MAIN } from '../src/cli/nodeProcess.js';
import { addressesOf, createLab, type LabNode, waitFor } from '../src/io/net/netnsLab.js';
import { masterDownIntervalCs, skewTimeCs } from '../src/machines/vrrp/timers.js';

const TRIALS = Number(process.env.TRIALS ?? 5);
const VIP = '192.0.2.100';

function conf(priority: number): string {
  return `vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

interface Peer {
  start(): void;
  crash(): Promise<void>;
  stop(): Promise<void>;
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

function haloPeer(host: LabNode, confPath: string, stateDir: string): Peer {
  let proc: ChildProcess | undefined;
  return {
    start: () => {
      proc = host.spawn(process.execPath, [HALO_MAIN, 'run', '-c', confPath, '--state-dir', stateDir, '--log-level', 'warn'], { stdio: 'ignore' });
    },
    crash: async () => {
      proc?.kill('SIGKILL');
      if (proc) await exited(proc);
    },
    stop: async () => {
      proc?.kill('SIGTERM');
      if (proc) await exited(proc);
    },
  };
}

function keepalivedPeer(host: LabNode, confPath: string, dir: string): Peer {
  let proc: ChildProcess | undefined;
  const pid = join(dir, 'keepalived.pid');
  const vrrpPid = join(dir, 'vrrp.pid');
  return {
    start: () => {
      proc = host.spawn('keepalived', ['-n', '-P', '-R', '-G', '-f', confPath, '-p', pid, '-r', vrrpPid], { stdio: 'ignore' });
    },
    // keepalived's VRRP child stops gracefully when its parent dies, so a crash kills the child first.
    crash: async () => {
      try {
        process.kill(Number(readFileSync(vrrpPid, 'utf8').trim()), 'SIGKILL');
      } catch {
        // already gone
      }
      proc?.kill('SIGKILL');
      if (proc) await exited(proc);
    },
    stop: async () => {
      proc?.kill('SIGTERM');
      if (proc) await exited(proc);
    },
  };
}

/** Resolves with the wall-clock ms at which `address` is added on the host's eth0. */
function watchAdd(host: LabNode, address: string): { added: Promise<number>; close(): void } {
  const mon = host.spawn('ip', ['-o', 'monitor', 'address']);
  const added = new Promise<number>((resolve) => {
    createInterface({ input: mon.stdout! }).on('line', (line) => {
      if (!line.startsWith('Deleted') && line.includes(`inet ${address}/`)) resolve(Date.now());
    });
  });
  return { added, close: () => mon.kill('SIGKILL') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function trial(kind: 'halo' | 'keepalived', mode: 'kill' | 'graceful', hosts: [LabNode, LabNode], dir: string): Promise<number> {
  const make = kind === 'halo' ? haloPeer : keepalivedPeer;
  const c1 = join(dir, 'n1.conf');
  const c2 = join(dir, 'n2.conf');
  writeFileSync(c1, conf(150));
  writeFileSync(c2, conf(100));
  const d1 = mkdtempSync(join(dir, 'n1-'));
  const d2 = mkdtempSync(join(dir, 'n2-'));
  const p1 = make(hosts[0], c1, d1);
  const p2 = make(hosts[1], c2, d2);
  try {
    p1.start();
    await waitFor(async () => (await addressesOf(hosts[0])).includes(VIP), 10_000);
    p2.start();
    await new Promise((r) => setTimeout(r, 2_500));
    const watch = watchAdd(hosts[1], VIP);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await (mode === 'kill' ? p1.crash() : p1.stop());
    const t1 = await Promise.race([watch.added, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000))]);
    watch.close();
    return t1 - t0;
  } finally {
    await p1.crash();
    await p2.stop();
    for (const h of hosts) await h.exec('ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const lab = await createLab({ prefix: 'hbf', nodes: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'halo-bench-failover-'));
  const hosts = lab.nodes as [LabNode, LabNode];
  const formula = { kill: masterDownIntervalCs(100, 100, 2) * 10, graceful: skewTimeCs(100, 100, 2) * 10 };
  const results: Record<string, number[]> = {};
  try {
    for (const mode of ['kill', 'graceful'] as const) {
      for (const kind of ['halo', 'keepalived'] as const) {
        const key = `${kind}/${mode}`;
        results[key] = [];
        for (let i = 0; i < TRIALS; i++) {
          const ms = await trial(kind, mode, hosts, dir);
          results[key].push(ms);
          process.stdout.write(`${key} trial ${i + 1}: ${ms} ms\n`);
        }
      }
    }
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`\nfailover, VRRPv2 advert_int 1 s, backup priority 100, median of ${TRIALS}\n`);
  process.stdout.write('mode       formula ms   halo ms   keepalived ms   halo-formula   halo/keepalived\n');
  for (const mode of ['kill', 'graceful'] as const) {
    const h = median(results[`halo/${mode}`]!);
    const k = median(results[`keepalived/${mode}`]!);
    const f = formula[mode];
    process.stdout.write(
      `${mode.padEnd(10)} ${f.toFixed(1).padStart(10)} ${h.toFixed(0).padStart(9)} ${k.toFixed(0).padStart(15)} ${(h - f).toFixed(1).padStart(14)} ${(h / k).toFixed(3).padStart(17)}\n`,
    );
  }
}

void main();
