/**
 * `npm run bench:startup`: how long a (re)started daemon takes to reach the wire, halo beside
 * Debian's keepalived, on the same keepalived.conf (VRRPv3, advert_int 1 s) in a lab namespace,
 * medians over TRIALS (default 9) trials that alternate the two, after one untimed start of
 * each (a restart finds its files in the page cache; a first boot would not).
 *
 * The clock starts just before the spawn of `ip netns exec <ns> <daemon>`, the same for both,
 * and stops at a moment each daemon shows the same way:
 * - priority 255, first advert on the wire: the owner goes Master at once and sends an advert,
 *   which needs the VRRP socket open. tcpdump on the node's port in the switch namespace stamps
 *   it with the kernel's receive time, so neither daemon's logging is in the figure.
 * - priority 100, Backup logged: a backup sends nothing, so the moment is its log line entering
 *   Backup (halo's `transition` to backup, keepalived's "Entering BACKUP STATE"), read from its
 *   stdout as it arrives. halo logs it once the VRRP socket is open (both happen in one
 *   synchronous start), keepalived once its socket is open and the instance initialised.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createHaloLab, type HaloLab, instanceBlock } from '../test/helpers/haloLab.js';
import { sleep } from '../src/io/sleep.js';
import { KeepalivedPeer } from '../test/helpers/keepalivedPeer.js';
import { withTimeout } from '../test/helpers/netns.js';
import { KINDS, type Kind } from './kinds.js';

const TRIALS = Number(process.env.TRIALS ?? 9);
const GOAL_MS = 250;
const WAIT_MS = 10_000;
const SETTLE_MS = 300;
const MOMENTS = ['advert', 'backup'] as const;

type Moment = (typeof MOMENTS)[number];

/** Wall-clock ms with the sub-millisecond part, comparable with tcpdump's -tt stamps. */
const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * The first VRRP packet node 1 sends, stamped by the kernel: tcpdump on node 1's port of the
 * lab's bridge (`p1` in the switch namespace). Resolves `ready` once tcpdump listens.
 */
function firstAdvert(hl: HaloLab): { ready: Promise<void>; at: Promise<number>; close(): void } {
  const dump: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      hl.lab.switchNs,
      'tcpdump',
      '-i',
      'p1',
      '-n',
      '-l',
      '-c',
      '1',
      '--immediate-mode',
      '-tt',
      'ip proto 112',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<never>((_, reject) =>
    dump.once('exit', (code) => reject(new Error(`tcpdump exited (${code}) before an advert`))),
  );
  exited.catch(() => undefined);
  const ready = new Promise<void>((resolve) => {
    let err = '';
    dump.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) resolve();
    });
  });
  const stamped = new Promise<number>((resolve) => {
    createInterface({ input: dump.stdout! }).on('line', (line) => {
      const m = /^(\d+\.\d+) IP .*VRRP/.exec(line);
      if (m) resolve(Number(m[1]) * 1000);
    });
  });
  return {
    ready: Promise.race([ready, exited]),
    at: Promise.race([stamped, exited]),
    close: () => {
      if (dump.exitCode === null && dump.signalCode === null) dump.kill('SIGKILL');
    },
  };
}

/** One start: ms from the spawn to the moment, then the daemon stopped gracefully. */
async function trial(kind: Kind, moment: Moment, hl: HaloLab, tag: string): Promise<number> {
  const conf = instanceBlock({
    priority: moment === 'advert' ? 255 : 100,
    state: moment === 'advert' ? 'MASTER' : 'BACKUP',
    advert: '1',
  });
  const host = hl.hosts[0]!;
  const wire = moment === 'advert' ? firstAdvert(hl) : undefined;
  let stop: () => Promise<void> = async () => undefined;
  try {
    await wire?.ready;
    const t0 = wallNow();
    let reached: Promise<number>;
    if (kind === 'halo') {
      const halo = hl.halo(0, conf);
      stop = () => halo.kill('SIGTERM');
      halo.start();
      reached = moment === 'advert' ? wire!.at : halo.waitState('vrrp:VI_1', 'backup', WAIT_MS).then(wallNow);
    } else {
      const ka = new KeepalivedPeer('ka', host, join(hl.dir, `ka-${tag}`), conf);
      stop = () => ka.stop();
      ka.start();
      reached = moment === 'advert' ? wire!.at : ka.waitState('VI_1', 'BACKUP', WAIT_MS).then(wallNow);
    }
    return (
      (await withTimeout(reached, WAIT_MS, `${kind}: ${moment === 'advert' ? 'its first advert' : 'Backup'}`)) - t0
    );
  } finally {
    wire?.close();
    await stop();
    // The next start does not share the CPUs with this one's exit (its helpers, its journal).
    await sleep(SETTLE_MS);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const lo = s[Math.floor((s.length - 1) / 2)]!;
  const hi = s[Math.ceil((s.length - 1) / 2)]!;
  return (lo + hi) / 2;
}

async function main(): Promise<void> {
  const hl = await createHaloLab('hbs', 1);
  const times = new Map<string, number[]>();
  const loadBefore = loadavg()[0]!;
  try {
    for (const moment of MOMENTS) {
      for (const kind of KINDS) await trial(kind, moment, hl, `warm-${moment}`);
      for (let i = 0; i < TRIALS; i++) {
        for (const kind of KINDS) {
          const ms = await trial(kind, moment, hl, `${moment}${i}`);
          times.set(`${kind}/${moment}`, [...(times.get(`${kind}/${moment}`) ?? []), ms]);
          process.stdout.write(`${kind}/${moment} trial ${i + 1}: ${ms.toFixed(1)} ms\n`);
        }
      }
    }
  } finally {
    await hl.destroy();
  }
  const load = `load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`;
  process.stdout.write(`\nfrom exec to the wire, median of ${TRIALS} (ms); ${load}\n`);
  process.stdout.write(
    `${'moment'.padEnd(34)}${'halo'.padStart(9)}${'keepalived'.padStart(12)}${'ratio'.padStart(8)}\n`,
  );
  const labels: Record<Moment, string> = {
    advert: 'priority 255: first advert on wire',
    backup: 'priority 100: Backup logged',
  };
  for (const moment of MOMENTS) {
    const h = median(times.get(`halo/${moment}`)!);
    const k = median(times.get(`keepalived/${moment}`)!);
    process.stdout.write(
      `${labels[moment].padEnd(34)}${h.toFixed(1).padStart(9)}` +
        `${k.toFixed(1).padStart(12)}${(h / k).toFixed(1).padStart(8)}\n`,
    );
  }
  const worst = Math.max(...MOMENTS.map((m) => median(times.get(`halo/${m}`)!)));
  process.stdout.write(worst <= GOAL_MS ? `goal met: halo ≤ ${GOAL_MS} ms\n` : `goal missed: halo > ${GOAL_MS} ms\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
