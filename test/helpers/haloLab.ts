/**
 * e2e scaffolding: a lab of namespaces with halo daemons (and optionally other peers) in it,
 * a temp dir for their configs and state, and one cleanup for all of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeProcess, type Transition } from '../../src/cli/nodeProcess.js';
import { addressesOf, createLab, type Lab, type LabNode } from './netns.js';

export interface HaloLab {
  lab: Lab;
  dir: string;
  hosts: LabNode[];
  /** Write `conf` for host i and return a (not yet started) halo daemon on it. */
  halo(i: number, conf: string, extraArgs?: string[], env?: Record<string, string>): NodeProcess;
  /** halo() and start it; stopStarted() stops it. */
  run(i: number, conf: string): NodeProcess;
  /** SIGTERM every daemon begun with run(): graceful, so no VIP is left for the next scenario. */
  stopStarted(): Promise<void>;
  write(name: string, text: string): string;
  destroy(): Promise<void>;
}

export async function createHaloLab(prefix: string, nodes: number): Promise<HaloLab> {
  const lab = await createLab({ prefix, nodes });
  const dir = mkdtempSync(join(tmpdir(), `halo-${prefix}-`));
  const daemons: NodeProcess[] = [];
  let started: NodeProcess[] = [];
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const hl: HaloLab = {
    lab,
    dir,
    hosts: lab.nodes,
    write,
    halo(i, conf, extraArgs = [], env = {}) {
      const host = lab.nodes[i];
      if (!host) throw new Error(`no lab host ${i}`);
      const path = write(`node${i + 1}.conf`, conf);
      const p = new NodeProcess(
        `node${i + 1}`,
        host,
        ['-c', path, '--state-dir', join(dir, `state${i + 1}`), ...extraArgs],
        undefined,
        env,
      );
      daemons.push(p);
      return p;
    },
    run(i, conf) {
      const d = hl.halo(i, conf);
      d.start();
      started.push(d);
      return d;
    },
    async stopStarted() {
      for (const d of started) await d.kill('SIGTERM');
      started = [];
    },
    async destroy() {
      for (const d of daemons) await d.kill('SIGKILL');
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return hl;
}

export async function hasAddress(host: LabNode, address: string): Promise<boolean> {
  return (await addressesOf(host)).includes(address);
}

/** Which hosts currently carry `address` on eth0. */
export async function holders(hosts: LabNode[], address: string): Promise<number[]> {
  const out: number[] = [];
  for (const [i, h] of hosts.entries()) if (await hasAddress(h, address)) out.push(i);
  return out;
}

export interface InstanceOpts {
  name?: string;
  vrid?: number;
  priority: number;
  version?: 2 | 3;
  advert?: string;
  state?: 'MASTER' | 'BACKUP';
  vips?: string[];
  extra?: string;
}

/** One keepalived-syntax vrrp_instance block; halo and keepalived read the same text. */
export function instanceBlock(o: InstanceOpts): string {
  return `vrrp_instance ${o.name ?? 'VI_1'} {
  interface eth0
  state ${o.state ?? 'BACKUP'}
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.priority}
  advert_int ${o.advert ?? '0.1'}
  version ${o.version ?? 3}
  virtual_ipaddress {
${(o.vips ?? ['192.0.2.100/24']).map((v) => `    ${v}`).join('\n')}
  }
${o.extra ?? ''}
}
`;
}

export type { Transition };
