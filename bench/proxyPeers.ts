/**
 * The proxy benchmark's separate processes, one script, two roles:
 *   backend <echoPort> <bulkPort>   echo server (keep-alive request/response, connection rate)
 *                                   and a source that streams zeros until the client leaves
 *   load <mode> <port> <conns> <ms> rr | cps | bulk; prints one JSON line with the result
 *
 * The backend and the load generator share one CPU and, in keep-alive mode, that CPU is the
 * bottleneck for both proxies: every cycle they spend is a request neither proxy sees. So the
 * load loops are plain callbacks (no promise, closure or array growth per request) and
 * latencies go to a preallocated array, which also keeps the generator's own GC pauses (they
 * land in p99 for both proxies alike) rare.
 */
import { connect, createServer } from 'node:net';

const MSG = Buffer.alloc(64, 0x61);
/** Latency samples kept per run: far more than a run produces at 2 s. */
const MAX_SAMPLES = 1_000_000;

function backend(echoPort: number, bulkPort: number): void {
  createServer({ noDelay: true }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      if (!s.write(d)) s.pause();
    });
    s.on('drain', () => s.resume());
  }).listen(echoPort, '127.0.0.1');
  const chunk = Buffer.alloc(64 * 1024);
  createServer((s) => {
    s.on('error', () => undefined);
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk));
    };
    s.on('drain', pump);
    pump();
  }).listen(bulkPort, '127.0.0.1', () => process.stdout.write('ready\n'));
}

interface Load {
  ops: number;
  bytes: number;
  lat: Float64Array;
  samples: number;
}

/** One keep-alive connection: a 64-byte request, wait for the 64-byte echo, again until `end`. */
function rrConnection(port: number, end: number, load: Load, done: () => void): void {
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  let got = 0;
  let t0 = 0;
  const send = (): void => {
    got = 0;
    t0 = performance.now();
    s.write(MSG);
  };
  s.once('connect', send);
  s.on('data', (d: Buffer) => {
    got += d.length;
    if (got < MSG.length) return;
    const now = performance.now();
    if (load.samples < MAX_SAMPLES) load.lat[load.samples++] = now - t0;
    load.ops++;
    if (Date.now() < end) send();
    else s.destroy();
  });
  s.once('error', () => s.destroy());
  s.once('close', done);
}

/** Connect, one byte each way, close; again until `end`. */
function cpsConnection(port: number, end: number, load: Load, done: () => void): void {
  if (Date.now() >= end) {
    done();
    return;
  }
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  let answered = false;
  s.once('connect', () => s.write('x'));
  s.once('data', () => {
    answered = true;
    load.ops++;
    s.destroy();
  });
  s.once('error', () => s.destroy());
  s.once('close', () => {
    // A refused or reset connection counts nothing; back off a little so it does not spin.
    if (answered) cpsConnection(port, end, load, done);
    else setTimeout(() => cpsConnection(port, end, load, done), 10);
  });
}

function bulkConnection(port: number, end: number, load: Load, done: () => void): void {
  const s = connect({ port, host: '127.0.0.1' });
  s.on('data', (d: Buffer) => {
    load.bytes += d.length;
  });
  s.once('error', () => s.destroy());
  s.once('close', done);
  setTimeout(() => s.destroy(), Math.max(0, end - Date.now()));
}

function load(mode: string, port: number, conns: number, ms: number): void {
  const t0 = Date.now();
  const end = t0 + ms;
  const state: Load = { ops: 0, bytes: 0, lat: new Float64Array(mode === 'rr' ? MAX_SAMPLES : 0), samples: 0 };
  const run = mode === 'rr' ? rrConnection : mode === 'cps' ? cpsConnection : bulkConnection;
  let left = conns;
  const done = (): void => {
    if (--left > 0) return;
    const secs = (Date.now() - t0) / 1000;
    const lat = state.lat.subarray(0, state.samples).sort();
    const q = (p: number): number => (lat.length > 0 ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]! : 0);
    const figures = { perSec: state.ops / secs, mbPerSec: state.bytes / secs / 1e6, p50: q(0.5), p99: q(0.99) };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  };
  for (let i = 0; i < conns; i++) run(port, end, state, done);
}

const [role, ...args] = process.argv.slice(2);
if (role === 'backend') backend(Number(args[0]), Number(args[1]));
else load(args[0]!, Number(args[1]), Number(args[2]), Number(args[3]));
