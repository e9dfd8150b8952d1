/**
 * The main thread's handle on the data-path worker (proxyWorker.ts): the same DataPath the
 * engine offers in-process, carried over messages. If the worker dies (a bug, not a socket
 * error: those are handled inside), it is started again with the last known server states
 * and VIP presence, so the load balancer heals instead of staying dark.
 */
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LbConfig } from '../../config/lb.model.js';
import { HaloError } from '../../errors.js';
import { sleep } from '../sleep.js';
import type { DataPath, DataPathEvents, FromWorker, ServerUpdate, ToWorker, VipView } from './dataPath.types.js';
import type { ProxyWorkerData } from './proxyWorker.js';

const RESTART_DELAY_MS = 500;
const STOP_TIMEOUT_MS = 2_000;
/** Binding every listener takes milliseconds; a worker silent this long is hung, and start-up must say so. */
const READY_TIMEOUT_MS = 15_000;

export function startProxyWorker(cfg: LbConfig, vips: VipView, events: DataPathEvents): DataPath {
  const present = new Set(vips.present);
  const servers = new Map<string, ServerUpdate>();
  // The nice value before the control plane raises the main thread: a worker restarted later
  // would inherit the raised one, so it returns to this on start.
  const baseNice = getPriority();
  let worker: Worker;
  /** Aborted by stop(): ends a restart delay at once. */
  const halt = new AbortController();
  let onStopped: (() => void) | null = null;
  let settleReady: { resolve: () => void; reject: (e: Error) => void } | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  ready.catch(() => undefined);
  const readyBound = setTimeout(() => {
    settleReady?.reject(
      new HaloError('HALO_E_LISTEN', `the proxy worker did not report its listeners within ${READY_TIMEOUT_MS} ms`),
    );
    settleReady = null;
  }, READY_TIMEOUT_MS);
  readyBound.unref();
  void ready.finally(() => clearTimeout(readyBound)).catch(() => undefined);

  const onMessage = (m: FromWorker): void => {
    switch (m.type) {
      case 'ready':
        if (m.error) settleReady?.reject(new HaloError('HALO_E_LISTEN', m.error.message, m.error.context));
        else settleReady?.resolve();
        settleReady = null;
        return;
      case 'passive':
        events.passive(m.backend, m.server, m.ok, m.reason);
        return;
      case 'counters':
        for (const [name, labels, by] of m.entries) events.count(name, labels, by);
        return;
      case 'log':
        events.log(m.level, m.obj, m.msg);
        return;
      case 'listening':
        events.listening(m.frontend, m.host, m.port, m.on);
        return;
      case 'stopped':
        onStopped?.();
        return;
    }
  };

  const spawn = (): void => {
    const data: ProxyWorkerData = { cfg, vips: { managed: vips.managed, present: [...present] }, nice: baseNice };
    // A small young generation: dead 64 KiB read buffers and per-session objects are collected
    // before they pile up (peak RSS −20–30 MiB, no measurable CPU cost per connection).
    worker = new Worker(new URL('./proxyWorker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    worker.on('message', onMessage);
    worker.on('error', (err) => events.log('error', { err: err.message, stack: err.stack }, 'proxy worker failed'));
    worker.once('online', () => {
      for (const u of servers.values()) worker.postMessage({ type: 'server', update: u } satisfies ToWorker);
    });
    worker.once('exit', (code) => {
      if (halt.signal.aborted) return;
      if (settleReady) {
        settleReady.reject(new HaloError('HALO_E_LISTEN', `the proxy worker exited (code ${code}) before listening`));
        settleReady = null;
        return;
      }
      events.log('error', { code }, 'proxy worker exited; restarting it');
      void sleep(RESTART_DELAY_MS, halt.signal).then(() => {
        if (!halt.signal.aborted) spawn();
      });
    });
  };
  spawn();
  const send = (m: ToWorker): void => worker.postMessage(m);

  return {
    ready,
    updateServer(u) {
      const key = `${u.backend}/${u.server}`;
      servers.set(key, { ...servers.get(key), ...u });
      send({ type: 'server', update: u });
    },
    setVip(address, on) {
      if (on) present.add(address);
      else present.delete(address);
      send({ type: 'vip', address, present: on });
    },
    async stop() {
      if (halt.signal.aborted) return;
      halt.abort();
      const stopped = new Promise<void>((resolve) => {
        onStopped = resolve;
      });
      send({ type: 'stop' });
      const timeout = new AbortController();
      await Promise.race([stopped, sleep(STOP_TIMEOUT_MS, timeout.signal)]);
      timeout.abort();
      await worker.terminate();
    },
  };
}
