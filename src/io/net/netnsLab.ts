/**
 * Hosts in network namespaces, for `halo demo` and the e2e tests: one switch namespace holding a
 * bridge, and N node namespaces each with `eth0` on that bridge. No default route and no link to
 * a host interface, so nothing sent in the lab can leave it. Addresses come from the
 * documentation range 192.0.2.0/24 unless the caller names another.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { HaloError } from '../../errors.js';
import { sleep } from '../sleep.js';

const run = promisify(execFile);

export interface LabNode {
  ns: string;
  dev: string;
  ip: string;
  /** Run a command inside the node's namespace and return its stdout. */
  exec(cmd: string, args: string[]): Promise<string>;
  /** Start a long-lived process inside the namespace; the lab kills it on destroy. */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
}

export interface Lab {
  prefix: string;
  switchNs: string;
  nodes: LabNode[];
  /** Take one node's link down or up (from the switch side, as a pulled cable would). */
  setCable(node: LabNode, up: boolean): Promise<void>;
  destroy(): Promise<void>;
}

export interface LabOptions {
  /** Namespace name prefix; keep it short and unique per test file. */
  prefix: string;
  nodes: number;
  /** First three octets; node i gets .(10+i). */
  subnet?: string;
}

/** Each live lab, with a synchronous kill of the processes it started (for the exit hook). */
const live = new Map<Lab, () => void>();
let exitHookInstalled = false;

export async function ip(args: string[]): Promise<string> {
  const { stdout } = await run('ip', args);
  return stdout;
}

export async function nsExec(ns: string, cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, cmd, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function createLab(opts: LabOptions): Promise<Lab> {
  const subnet = opts.subnet ?? '192.0.2';
  const tag = `${opts.prefix}${process.pid % 10000}`;
  const switchNs = `${tag}-sw`;
  const children = new Set<ChildProcess>();
  const nodes: LabNode[] = [];
  const made: string[] = [];

  const killChildren = (): void => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const destroy = async (): Promise<void> => {
    live.delete(lab);
    killChildren();
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((resolve) =>
            c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
          ),
      ),
    );
    for (const ns of made.reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
  };
  const lab: Lab = {
    prefix: tag,
    switchNs,
    nodes,
    destroy,
    setCable: async (node, up) => {
      const peer = `p${nodes.indexOf(node) + 1}`;
      await nsExec(switchNs, 'ip', ['link', 'set', peer, up ? 'up' : 'down']);
    },
  };
  live.set(lab, killChildren);
  installExitHook();

  try {
    await ip(['netns', 'add', switchNs]);
    made.push(switchNs);
    await nsExec(switchNs, 'ip', ['link', 'set', 'lo', 'up']);
    await nsExec(switchNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await nsExec(switchNs, 'ip', ['link', 'set', 'br0', 'up']);
    for (let i = 1; i <= opts.nodes; i++) {
      const ns = `${tag}-n${i}`;
      await ip(['netns', 'add', ns]);
      made.push(ns);
      const peer = `p${i}`;
      await ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', switchNs]);
      await nsExec(switchNs, 'ip', ['link', 'set', peer, 'master', 'br0']);
      await nsExec(switchNs, 'ip', ['link', 'set', peer, 'up']);
      const addr = `${subnet}.${10 + i}`;
      await nsExec(ns, 'ip', ['link', 'set', 'lo', 'up']);
      await nsExec(ns, 'ip', ['addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      await nsExec(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      nodes.push({
        ns,
        dev: 'eth0',
        ip: addr,
        exec: (cmd, args) => nsExec(ns, cmd, args),
        spawn: (cmd, args, spawnOpts) => {
          const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'pipe', ...spawnOpts });
          children.add(child);
          child.once('exit', () => children.delete(child));
          return child;
        },
      });
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return lab;
}

/** A test that dies mid-way still removes its namespaces. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanupSync = (): void => {
    for (const [lab, killChildren] of live) {
      // A namespace goes only when its last process does: its daemons first.
      killChildren();
      for (const node of lab.nodes) {
        try {
          spawn('ip', ['netns', 'del', node.ns], { stdio: 'ignore' });
        } catch {
          // best effort at exit
        }
      }
      try {
        spawn('ip', ['netns', 'del', lab.switchNs], { stdio: 'ignore' });
      } catch {
        // best effort at exit
      }
    }
  };
  process.once('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupSync();
      process.exit(130);
    });
  }
}

/**
 * Poll until `check` returns a truthy value; after `timeoutMs` reject with `what` (called then,
 * so it can name the state the wait last saw), the one thing a reader of the failure needs.
 */
export async function waitFor<T>(
  what: string | (() => string | Promise<string>),
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  stepMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const text = typeof what === 'string' ? what : await what();
      throw new HaloError('HALO_E_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${text}`, { timeoutMs });
    }
    await sleep(stepMs);
  }
}

/** `promise`, or a rejection naming `what` once `timeoutMs` passes without it settling. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new HaloError('HALO_E_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`, { timeoutMs })),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The MAC address of a node's interface. */
export async function macOf(node: LabNode, dev = node.dev): Promise<string> {
  const out = JSON.parse(await node.exec('ip', ['-j', 'link', 'show', 'dev', dev])) as Array<{ address: string }>;
  return out[0]!.address;
}

/** The MAC a node's neighbour (ARP) table holds for `address`, if it holds one. */
export async function neighbourMac(node: LabNode, address: string, dev = node.dev): Promise<string | undefined> {
  const out = JSON.parse(await node.exec('ip', ['-j', 'neigh', 'show', address, 'dev', dev])) as Array<{
    lladdr?: string;
  }>;
  return out[0]?.lladdr;
}

/** The IPv4 addresses on a node's interface. */
export async function addressesOf(node: LabNode, dev = node.dev): Promise<string[]> {
  const out = await node.exec('ip', ['-j', '-4', 'addr', 'show', 'dev', dev]);
  const parsed = JSON.parse(out) as Array<{ addr_info: Array<{ local: string }> }>;
  return parsed.flatMap((l) => l.addr_info.map((a) => a.local));
}
