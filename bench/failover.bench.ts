/**
 * `npm run bench:failover`: failover time of halo→halo and keepalived→keepalived in the same
 * run and the same namespaces, kill -9 and graceful stop, medians over TRIALS (default 5)
 * trials, beside the RFC 3768 formula (VRRPv2, advert_int 1 s, backup priority 100).
 *
 * The clock stops when the VIP appears on the backup (`ip -ts monitor address` in its
 * namespace), the same for both daemons. It starts at two points, printed as two rows:
 * - on the wire (tcpdump on the backup): the master's last advert before a kill -9, or its
 *   priority-0 advert on a graceful stop. That is when the RFC starts the backup's timer
 *   (RFC 3768 6.4.2), so this row is the one to hold against Master_Down_Interval / Skew_Time.
 * - at the signal. The kill is sent just after an advert, so the backup's timer has a whole
 *   Master_Down_Interval to run (otherwise the phase of the advert cycle, up to 1 s, would
 *   swamp the comparison); for a graceful stop this row adds the stopping daemon's own delay.
 * Trials alternate halo and keepalived so drift in machine load hits both alike.
 *
 * Each node's processes run on their own CPU (master 0, backup 1; PIN=0 to leave them to the
 * scheduler), as on two hosts. Unpinned, the kernel sometimes woke the backup on the CPU where
 * the stopping master was still at work (its VIP removal, journal and exit) and the backup read
 * the priority-0 advert 1.7–2.5 ms late: in 4 of 10 graceful halo trials, every time the two
 * shared a CPU, and never otherwise.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { masterDownIntervalCs, skewTimeCs } from '../src/machines/vrrp/timers.js';
import { createHaloLab, type HaloLab, hasAddress, instanceBlock } from '../test/helpers/haloLab.js';
import { KeepalivedPeer, watchAddress } from '../test/helpers/keepalivedPeer.js';
import { type LabNode, waitFor } from '../test/helpers/netns.js';
import { KINDS, type Kind } from './kinds.js';

const TRIALS = Number(process.env.TRIALS ?? 5);
const PIN = process.env.PIN !== '0';
const VIP = '192.0.2.100';
const ADVERT_CS = 100;
const MASTER_PRIORITY = 150;
const BACKUP_PRIORITY = 100;
const MODES = ['kill', 'graceful'] as const;

type Mode = (typeof MODES)[number];

interface Peer {
  start(): void;
  crash(): Promise<void>;
  stop(): Promise<void>;
  /** The daemon's own processes (keepalived's VRRP child is not a child of our spawn). */
  pids(): number[];
}

interface Measured {
  /** From the advert that (re)started the backup's timer to the VIP on the backup. */
  wire: number;
  /** From the kill or stop signal to the VIP on the backup. */
  signal: number;
}

interface Advert {
  time: number;
  src: string;
  priority: number;
}

interface AdvertWatch {
  ready: Promise<void>;
  readonly adverts: Advert[];
  /** The next advert from `src` after now. */
  next(src: string, timeoutMs: number): Promise<Advert>;
  close(): void;
}

const conf = (priority: number): string => instanceBlock({ priority, version: 2, advert: String(ADVERT_CS / 100) });

function peer(kind: Kind, hl: HaloLab, i: number, priority: number, tag: string): Peer {
  if (kind === 'keepalived') {
    const ka = new KeepalivedPeer(`ka${i}`, hl.hosts[i]!, join(hl.dir, `${tag}-ka${i}`), conf(priority));
    const pidFile = join(ka.dir, 'vrrp.pid');
    return {
      start: () => ka.start(),
      crash: () => ka.crash(),
      stop: () => ka.stop(),
      pids: () =>
        [ka.proc?.pid, existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined].filter(
          (p): p is number => !!p,
        ),
    };
  }
  const halo = hl.halo(i, conf(priority));
  return {
    start: () => halo.start(),
    crash: () => halo.kill('SIGKILL'),
    stop: () => halo.kill('SIGTERM'),
    pids: () => (halo.proc?.pid ? [halo.proc.pid] : []),
  };
}

/** Every thread of `pids` and of their descendants (halo's ip helper, link monitors) onto `cpu`. */
async function pin(pids: number[], cpu: number): Promise<void> {
  const table = (await run('ps', ['-e', '-o', 'pid=,ppid=']))
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = new Set(pids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of table) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of tree) await run('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]);
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

/** tcpdump -tt on `host`: every VRRP advert with the kernel's receive time. */
function watchAdverts(host: LabNode): AdvertWatch {
  const dump: ChildProcess = host.spawn('tcpdump', [
    '-i',
    host.dev,
    '-n',
    '-l',
    '--immediate-mode',
    '-tt',
    'ip proto 112',
  ]);
  const adverts: Advert[] = [];
  let listeners: Array<(a: Advert) => void> = [];
  createInterface({ input: dump.stdout! }).on('line', (line) => {
    // "1795629395.242402 IP 192.0.2.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, ..."
    const m = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv\d, Advertisement, vrid \d+, prio (\d+)/.exec(line);
    if (!m) return;
    const advert = { time: Number(m[1]) * 1000, src: m[2]!, priority: Number(m[3]) };
    adverts.push(advert);
    for (const l of listeners) l(advert);
  });
  const ready = new Promise<void>((resolve, reject) => {
    let err = '';
    dump.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) resolve();
    });
    dump.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
  });
  return {
    ready,
    adverts,
    next: (src, timeoutMs) =>
      new Promise((resolve, reject) => {
        const listener = (a: Advert): void => {
          if (a.src !== src) return;
          clearTimeout(timer);
          listeners = listeners.filter((l) => l !== listener);
          resolve(a);
        };
        const timer = setTimeout(() => {
          listeners = listeners.filter((l) => l !== listener);
          reject(new Error(`no advert from ${src} within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.push(listener);
      }),
    close: () => {
      dump.kill('SIGKILL');
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function trial(kind: Kind, mode: Mode, hl: HaloLab, tag: string): Promise<Measured> {
  const [h1, h2] = hl.hosts as [LabNode, LabNode];
  const p1 = peer(kind, hl, 0, MASTER_PRIORITY, tag);
  const p2 = peer(kind, hl, 1, BACKUP_PRIORITY, tag);
  const adverts = watchAdverts(h2);
  const vip = watchAddress(h2, VIP);
  try {
    p1.start();
    await waitFor(`${VIP} on node1`, () => hasAddress(h1, VIP), 10_000);
    p2.start();
    await Promise.all([adverts.ready, vip.ready]);
    // The backup has heard the master more than once before anything happens.
    await sleep(2.5 * ADVERT_CS * 10);
    if (PIN) for (const [cpu, p] of [p1, p2].entries()) await pin(p.pids(), cpu);
    await adverts.next(h1.ip, 3 * ADVERT_CS * 10);
    const t0 = Date.now();
    await (mode === 'kill' ? p1.crash() : p1.stop());
    const added = await vip.addedSince(t0, 10_000);
    const fromMaster = adverts.adverts.filter((a) => a.src === h1.ip && a.time <= added);
    const ref =
      mode === 'kill'
        ? fromMaster.findLast((a) => a.priority > 0)
        : fromMaster.find((a) => a.priority === 0 && a.time >= t0);
    if (!ref)
      throw new Error(
        `${kind}/${mode}: no ${mode === 'kill' ? 'advert' : 'priority-0 advert'} from the master on the wire`,
      );
    return { wire: added - ref.time, signal: added - t0 };
  } finally {
    adverts.close();
    vip.close();
    await p1.crash();
    await p2.stop();
    // A killed master leaves its VIP behind (keepalived's does too).
    for (const h of hl.hosts) await h.exec('ip', ['addr', 'del', `${VIP}/24`, 'dev', h.dev]).catch(() => undefined);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => (typeof c === 'number' ? c.toFixed(2) : c).padStart(widths[i]!)).join(' ');
}

async function main(): Promise<void> {
  const hl = await createHaloLab('hbf', 2);
  const formula: Record<Mode, number> = {
    kill: masterDownIntervalCs(BACKUP_PRIORITY, ADVERT_CS, 2) * 10,
    graceful: skewTimeCs(BACKUP_PRIORITY, ADVERT_CS, 2) * 10,
  };
  const results = new Map<string, Measured[]>();
  try {
    for (const mode of MODES) {
      for (let i = 0; i < TRIALS; i++) {
        for (const kind of KINDS) {
          const m = await trial(kind, mode, hl, `${mode}${i}`);
          const key = `${kind}/${mode}`;
          results.set(key, [...(results.get(key) ?? []), m]);
          process.stdout.write(
            `${key} trial ${i + 1}: ${m.wire.toFixed(2)} ms from the wire, ${m.signal.toFixed(2)} ms from the signal\n`,
          );
        }
      }
    }
  } finally {
    await hl.destroy();
  }
  const widths = [28, 10, 9, 13, 13, 16];
  process.stdout.write(
    `\nfailover to the backup's VIP, VRRPv2 advert_int 1 s, backup priority ${BACKUP_PRIORITY}, ` +
      `median of ${TRIALS} (ms)${PIN ? ', master on CPU 0, backup on CPU 1' : ', unpinned'}\n`,
  );
  process.stdout.write(
    `${row(['clock starts at', 'formula', 'halo', 'keepalived', 'halo-formula', 'halo-keepalived'], widths)}\n`,
  );
  for (const mode of MODES) {
    for (const from of ['wire', 'signal'] as const) {
      const h = median(results.get(`halo/${mode}`)!.map((m) => m[from]));
      const k = median(results.get(`keepalived/${mode}`)!.map((m) => m[from]));
      const label =
        mode === 'kill'
          ? from === 'wire'
            ? 'kill -9: last advert'
            : 'kill -9: signal'
          : from === 'wire'
            ? 'graceful: priority-0 advert'
            : 'graceful: SIGTERM';
      process.stdout.write(`${row([label, formula[mode], h, k, h - formula[mode], h - k], widths)}\n`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
