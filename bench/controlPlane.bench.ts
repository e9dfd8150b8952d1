/**
 * `npm run bench:control`: does the data path starve the control plane? Two halo nodes
 * (VRRPv3, advert_int 0.1 s, one haproxy.cfg `listen` on the VIP) in namespaces; the master
 * is driven through four 10 s phases — idle, bulk only, connection churn only, both — while a
 * third host records its adverts on the wire. Per phase: advert gaps and jitter
 * (|gap − 100 ms|; goal p99 ≤ 20 ms), the master's event-loop lag (lbPart's debug line; the
 * histogram's floor is its 10 ms resolution), CPU and run-queue wait of the master's main and
 * data-path threads (schedstat), and any VRRP transition (a spurious failover).
 * BULK and CHURN set the load (default 8 bulk connections, 16 churn workers); the master is
 * pinned to CPU 0 and the lab's other processes to CPU 1 unless PIN=0.
 */
import { advertStats, type Load, createControlPlaneLab } from '../test/e2e/fixtures/controlPlaneLab.js';

const BULK = Number(process.env.BULK ?? 8);
const CHURN = Number(process.env.CHURN ?? 16);
const PIN = process.env.PIN !== '0';
const PHASES: Array<[string, Load | null]> = [
  ['idle', null],
  [`bulk ${BULK}c`, { bulk: BULK, churn: 0 }],
  [`churn ${CHURN}w`, { bulk: 0, churn: CHURN }],
  ['bulk + churn', { bulk: BULK, churn: CHURN }],
];

const cp = await createControlPlaneLab('hcb', { pin: PIN });
try {
  const cols = [
    'phase',
    'MB/s',
    'conn/s',
    'adverts',
    'gap p50',
    'gap max',
    'jit p99',
    'jit max',
    'lag p99',
    'lag max',
    'main cpu',
    'main wait',
    'wkr cpu',
    'wkr wait',
    'transitions',
  ];
  console.log(
    `control plane under proxy load: 10 s per phase, ${PIN ? 'master on CPU 0, peers on CPU 1' : 'unpinned'}; ` +
      `times in ms (cpu/wait: ms per phase)`,
  );
  console.log(cols.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(9))).join(' '));
  let failed = false;
  for (const [name, load] of PHASES) {
    const r = await cp.phase(load);
    const s = advertStats(r.adverts);
    failed ||= s.jitterP99Ms > 20 || r.transitions.length > 0;
    const cells = [
      r.load?.mbPerSec ?? 0,
      r.load?.connsPerSec ?? 0,
      s.count,
      s.gapP50Ms,
      s.gapMaxMs,
      s.jitterP99Ms,
      s.jitterMaxMs,
      r.lag.p99Ms,
      r.lag.maxMs,
      r.threads.main.cpuMs,
      r.threads.main.runDelayMs,
      r.threads.worker.cpuMs,
      r.threads.worker.runDelayMs,
    ].map((v) => v.toFixed(Number.isInteger(v) ? 0 : 1).padStart(9));
    const moves = r.transitions.map((t) => `${t.node}:${t.from}->${t.to}`).join(',') || '-';
    console.log(`${name.padEnd(14)} ${cells.join(' ')} ${moves.padStart(9)}`);
  }
  console.log(
    failed
      ? 'goal missed: advert jitter p99 > 20 ms or a spurious transition'
      : 'goal met: advert jitter p99 ≤ 20 ms and no spurious transition in every phase',
  );
} finally {
  await cp.destroy();
}
