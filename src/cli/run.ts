/**
 * `halo run -c FILE [-c FILE] [--state-dir DIR] [--node-name NAME]`: the daemon, in the
 * foreground. SIGTERM/SIGINT stop it gracefully (priority-0 adverts, VIPs removed,
 * notify_stop, journal flushed).
 */
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startJournaling } from '../actors/journaling.js';
import { createNodeContext, startNode } from '../actors/node.js';
import type { NodePart } from '../actors/nodePart.js';
import { prepareVrrpPart } from '../actors/vrrpPart.js';
import { loadConfig } from '../config/load.js';
import { HaloError } from '../errors.js';
import { takeChargeOfChildren } from '../io/leftoverHelpers.js';
import { createLogger, type Logger } from '../io/log.js';
import { parseCommandArgs } from './args.js';
import { STOP_BOUND_MS, untilStopSignal } from './signals.js';

export async function runCommandMain(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c', multiple: true },
    'state-dir': { type: 'string' },
    'node-name': { type: 'string' },
    'log-level': { type: 'string' },
  });
  const node = values['node-name'] ?? hostname();
  const stateDir = values['state-dir'] ?? '/var/lib/halo';
  const log = createLogger({ node, ...(values['log-level'] ? { level: values['log-level'] } : {}) });
  const cfg = await loadConfig(values.config ?? []);
  for (const w of cfg.warnings) log.warn({ file: w.pos.file, line: w.pos.line }, w.message);
  const vrrp = cfg.vrrp && cfg.vrrp.instances.length > 0 ? cfg.vrrp : null;
  const lb = cfg.lb && cfg.lb.frontends.length > 0 ? cfg.lb : null;
  if (!vrrp && !lb)
    throw new HaloError(
      'HALO_E_USAGE',
      'nothing to run: the configuration has no vrrp_instance and no haproxy frontend',
    );
  if (vrrp && process.getuid?.() !== 0)
    throw new HaloError(
      'HALO_E_NOT_ROOT',
      'VRRP needs root: raw sockets and `ip addr` on the interface require CAP_NET_RAW and CAP_NET_ADMIN',
    );

  mkdirSync(stateDir, { recursive: true });
  // Before any child starts: what a crashed run on this state dir left is ended, ours are tagged.
  takeChargeOfChildren(stateDir, log);
  const ctx = createNodeContext(node, log);
  // The journal waits on fsyncs, the VRRP part on its `ip` helper: side by side, not one after the other.
  const [journal, vrrpPart] = await bothOrReleased(
    startJournaling({ node, stateDir: stateDir, journalDir: join(stateDir, 'journal'), log }),
    vrrp ? prepareVrrpPart(vrrp, ctx) : Promise.resolve(null),
    (j, part) => Promise.all([j?.close(), part?.stop()]),
  );
  const parts: NodePart[] = [];
  // VRRP first: it declares the VIPs it manages, which the load balancer's listeners follow.
  if (vrrpPart) parts.push(vrrpPart);
  if (lb) {
    // The load balancer's modules (the proxy worker, check clients such as mysql2) load only for
    // a config that has one: a VRRP-only node reaches the wire without them.
    const lbPart = await import('../actors/lbPart.js')
      .then((m) => m.prepareLbPart(lb, ctx))
      .catch(async (err: unknown) => {
        await Promise.all([journal.close(), vrrpPart?.stop()]);
        throw err;
      });
    parts.push(lbPart);
  }
  const running = startNode(ctx, parts, { inspect: journal.inspect });
  log.info(
    {
      instances: vrrp?.instances.map((i) => i.name) ?? [],
      frontends: lb?.frontends.map((f) => f.name) ?? [],
      stateDir,
      boot: journal.boot,
    },
    'halo running',
  );

  const signal = await untilStopSignal();
  // The stop's first synchronous step sends the priority-0 adverts: the peer's Skew_Time starts
  // before this process writes anything.
  const stopped = running.stop();
  const watchdog = stopWatchdog(log);
  log.info({ signal }, 'stopping');
  await stopped;
  watchdog.phase = 'closing the journal';
  await journal.close();
  // Not cleared: a handle left open after this would keep the process alive without it.
  watchdog.phase = 'exiting';
  log.info({ counters: ctx.counters.snapshot() }, 'halo stopped');
  return 0;
}

/**
 * Both results, or, when either fails, the failure, after `release` has undone the one that
 * succeeded: its helpers (`ip` processes, open files) would otherwise keep the process alive.
 */
async function bothOrReleased<A, B>(
  a: Promise<A>,
  b: Promise<B>,
  release: (a: A | undefined, b: B | undefined) => Promise<unknown>,
): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  await release(ra.status === 'fulfilled' ? ra.value : undefined, rb.status === 'fulfilled' ? rb.value : undefined);
  throw ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason;
}

/**
 * Bounds the graceful stop: if the process is still here STOP_BOUND_MS after the signal, it logs
 * the step it was in and what still holds the event loop, and exits 1. Unref'd, so a stop that
 * finishes is never held up by it.
 */
function stopWatchdog(log: Logger): { phase: string } {
  const state = { phase: 'stopping the node' };
  setTimeout(() => {
    const err = new HaloError('HALO_E_TIMEOUT', `graceful stop not done after ${STOP_BOUND_MS} ms (${state.phase})`, {
      phase: state.phase,
      waitingOn: process.getActiveResourcesInfo(),
    });
    log.error({ err }, 'graceful stop timed out; exiting');
    process.exit(1);
  }, STOP_BOUND_MS).unref();
  return state;
}
