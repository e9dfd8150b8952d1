/**
 * halo's data path against Debian's haproxy, same run, same fast backend, same pinning: both
 * proxies on CPU 0 (haproxy with nbthread 1, matching halo's one data-path worker), backend
 * and load generator (separate node processes, bench/proxyPeers.ts) on CPU 1. Prints the
 * median of RUNS runs per metric and halo/haproxy ratios against the goals:
 *   keep-alive req/s ≥ 0.9×, bulk MB/s ≥ 0.9×, new connections/s ≥ 0.75×, p99 ≤ 1.5×.
 * Run: npm run bench:proxy   (tsc -p . && node dist/bench/proxy.bench.js); RUNS, SECONDS tune it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.RUNS ?? 3);
const MS = Number(process.env.SECONDS ?? 2) * 1000;
const here = fileURLToPath(new URL('.', import.meta.url));
const PEERS = join(here, 'proxyPeers.js');
const HALO = resolve(here, '../src/cli/main.js');

interface Result {
  perSec: number;
  mbPerSec: number;
  p50: number;
  p99: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitAccepting(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function pinned(cpu: number, cmd: string, args: string[]): ChildProcess {
  return spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function runLoad(mode: string, port: number, conns: number): Promise<Result> {
  return new Promise((res, rej) => {
    const p = pinned(1, process.execPath, [PEERS, 'load', mode, String(port), String(conns), String(MS)]);
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
    });
    p.on('exit', () => {
      try {
        res(JSON.parse(out) as Result);
      } catch {
        rej(new Error(`load ${mode} printed ${out}`));
      }
    });
  });
}

/** Peak resident set (VmHWM) of a process, MiB. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'halo-bench-proxy-'));
  const [beEcho, beBulk, hEcho, hBulk, xEcho, xBulk] = await Promise.all(Array.from({ length: 6 }, freePort)) as [number, number, number, number, number, number];
  const procs: ChildProcess[] = [];
  try {
    const backend = pinned(1, process.execPath, [PEERS, 'backend', String(beEcho), String(beBulk)]);
    procs.push(backend);
    await waitAccepting(beBulk);
    const sections = (echo: number, bulk: number): string => `
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen echo
    bind 127.0.0.1:${echo}
    server e 127.0.0.1:${beEcho}
listen bulk
    bind 127.0.0.1:${bulk}
    server b 127.0.0.1:${beBulk}
`;
    writeFileSync(join(dir, 'halo.cfg'), `global\n    maxconn 8000\n${sections(hEcho, hBulk)}`);
    writeFileSync(join(dir, 'haproxy.cfg'), `global\n    maxconn 8000\n    nbthread 1\n${sections(xEcho, xBulk)}`);
    const halo = pinned(0, process.execPath, [HALO, 'run', '-c', join(dir, 'halo.cfg'), '--state-dir', join(dir, 'state'), '--node-name', 'bench', '--log-level', 'warn']);
    const haproxy = pinned(0, 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
    procs.push(halo, haproxy);
    await Promise.all([waitAccepting(hEcho), waitAccepting(xEcho)]);

    const targets = { halo: { echo: hEcho, bulk: hBulk }, haproxy: { echo: xEcho, bulk: xBulk } } as const;
    const metrics: Record<'halo' | 'haproxy', { rr: Result[]; cps: Result[]; bulk: Result[] }> = {
      halo: { rr: [], cps: [], bulk: [] },
      haproxy: { rr: [], cps: [], bulk: [] },
    };
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so drift on a shared machine hits both alike.
      for (const name of ['halo', 'haproxy'] as const) {
        const t = targets[name];
        metrics[name].rr.push(await runLoad('rr', t.echo, 32));
        metrics[name].cps.push(await runLoad('cps', t.echo, 16));
        metrics[name].bulk.push(await runLoad('bulk', t.bulk, 4));
      }
    }
    const summary = (name: 'halo' | 'haproxy') => ({
      rps: median(metrics[name].rr.map((r) => r.perSec)),
      p50: median(metrics[name].rr.map((r) => r.p50)),
      p99: median(metrics[name].rr.map((r) => r.p99)),
      cps: median(metrics[name].cps.map((r) => r.perSec)),
      mbps: median(metrics[name].bulk.map((r) => r.mbPerSec)),
      rss: peakRssMiB(name === 'halo' ? halo.pid! : haproxy.pid!),
    });
    // taskset execs the program, so the child's pid is the proxy's own.
    const h = summary('halo');
    const x = summary('haproxy');
    const row = (label: string, a: number, b: number, goal: string, digits = 0): void => {
      const ratio = b > 0 ? a / b : Number.NaN;
      console.log(`${label.padEnd(24)} ${a.toFixed(digits).padStart(10)} ${b.toFixed(digits).padStart(10)} ${ratio.toFixed(2).padStart(7)}  ${goal}`);
    };
    console.log(`proxy bench: median of ${RUNS} runs × ${MS} ms; proxies on CPU 0, backend + load on CPU 1`);
    console.log(`${'metric'.padEnd(24)} ${'halo'.padStart(10)} ${'haproxy'.padStart(10)} ${'ratio'.padStart(7)}  goal`);
    row('keep-alive req/s (32c)', h.rps, x.rps, '≥ 0.90');
    row('new connections/s (16c)', h.cps, x.cps, '≥ 0.75');
    row('bulk MB/s (4c)', h.mbps, x.mbps, '≥ 0.90', 1);
    row('latency p50 ms', h.p50, x.p50, '', 3);
    row('latency p99 ms', h.p99, x.p99, '≤ 1.50', 3);
    row('peak RSS MiB', h.rss, x.rss, '', 1);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
