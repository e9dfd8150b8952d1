/**
 * The control plane's CPU priority. VRRP timers and adverts are milliseconds-exact; the data
 * path (a worker thread), builds, backups and anything else on the node must not make them
 * wait for a CPU. keepalived has the same knob (`vrrp_priority` in global_defs).
 *
 * Measured on 2 vCPUs: under full proxy load the main thread at nice 0 waited 320–400 ms per
 * 10 s phase to be scheduled and the worst advert gap was off by 4–17 ms; at -10, 140–210 ms and
 * 3–3.5 ms (bench/controlPlane.bench.ts, schedstat).
 */
import { setPriority } from 'node:os';
import type { Logger } from '../io/log.js';

export const CONTROL_PLANE_NICE = -10;

/**
 * SCHED_FIFO priority of the `ip -batch` helper that adds VIPs (see IpBatchOptions.fifo): the
 * lowest real-time level, above every normal task, as keepalived's `vrrp_rt_priority` would be.
 */
export const IP_BATCH_FIFO = 1;

/**
 * On Linux the nice value belongs to the thread (setpriority(2), pid 0 = the calling thread);
 * threads and processes started later inherit it, which is why the proxy worker resets its own.
 * Needs CAP_SYS_NICE, which a VRRP node has; without it halo runs on at the normal priority.
 */
export function raiseControlPlane(log: Logger): void {
  try {
    setPriority(CONTROL_PLANE_NICE);
  } catch (err) {
    log.info(
      { err: (err as Error).message },
      'cannot raise the control plane priority: VRRP timers compete with other work for CPU',
    );
  }
}
