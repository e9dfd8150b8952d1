/**
 * Entry of the data-path worker thread. The whole data path (every listener and session) runs
 * here, on its own event loop, so a saturated proxy never delays the main thread's VRRP
 * adverts, health checks and journal. One worker, not several: node 20's `net` has no
 * SO_REUSEPORT, so two threads cannot accept on one port.
 *
 * Counters are summed here and posted in batches, not per chunk: the main thread sees them at
 * most COUNTER_FLUSH_MS late, and a busy tunnel costs no messages.
 */
import type { MetricName } from '../metricName.js';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { LbConfig } from '../../config/lb.model.js';
import { isHaloError } from '../../errors.js';
import type { CounterLabels, DataPathEvents, FromWorker, ToWorker, VipView } from './dataPath.types.js';
import { createProxyEngine } from './engine.js';

export interface ProxyWorkerData {
  cfg: LbConfig;
  vips: VipView;
  /** The process's nice value before the main thread was raised above the data path. */
  nice: number;
}

const COUNTER_FLUSH_MS = 250;

const port = parentPort!;
const { cfg, vips, nice } = workerData as ProxyWorkerData;
// On Linux a new thread inherits its creator's nice value; the data path must not share the
// control plane's raised one (pid 0 = this thread).
try {
  setPriority(nice);
} catch {
  // not permitted: the worker keeps what it inherited
}
const post = (m: FromWorker): void => port.postMessage(m);

/** Sums keyed by the labels object (built once per frontend, backend and server; see withLabel) and then by name. */
let sums = new Map<CounterLabels, Map<MetricName, number>>();
const flush = (): void => {
  if (sums.size === 0) return;
  const entries: Array<[MetricName, CounterLabels, number]> = [];
  for (const [labels, byName] of sums) for (const [name, n] of byName) entries.push([name, labels, n]);
  sums = new Map();
  post({ type: 'counters', entries });
};
const flusher = setInterval(flush, COUNTER_FLUSH_MS);

const events: DataPathEvents = {
  passive: (backend, server, ok, reason) => post({ type: 'passive', backend, server, ok, reason }),
  count: (name, labels, by) => {
    let byName = sums.get(labels);
    if (!byName) {
      byName = new Map();
      sums.set(labels, byName);
    }
    byName.set(name, (byName.get(name) ?? 0) + by);
  },
  log: (level, obj, msg) => post({ type: 'log', level, obj, msg }),
  listening: (frontend, host, p, on) => post({ type: 'listening', frontend, host, port: p, on }),
};

const engine = createProxyEngine(cfg, vips, events);
engine.ready.then(
  () => post({ type: 'ready', error: null }),
  (err: unknown) =>
    post({
      type: 'ready',
      error: {
        message: err instanceof Error ? err.message : String(err),
        context: isHaloError(err) ? err.context : {},
      },
    }),
);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'server':
      engine.updateServer(m.update);
      return;
    case 'vip':
      engine.setVip(m.address, m.present);
      return;
    case 'stop':
      void engine.stop().then(() => {
        clearInterval(flusher);
        flush();
        post({ type: 'stopped' });
        port.close();
      });
      return;
  }
});
