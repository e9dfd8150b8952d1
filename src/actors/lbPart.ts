/**
 * The load-balancer part of a node: from a parsed haproxy.cfg to one `server:<backend>/<name>`
 * health actor per server, bound to the real probe its backend asks for, and the data path
 * (listeners and sessions) in its worker thread. The actors decide; the data path obeys:
 * serverUp / serverDown / adminChanged become server updates, live connection errors come back
 * as PASSIVE_ERROR (observe layer4), and listeners on a VIP follow ctx.vips.
 *
 * The main thread keeps VRRP adverts, checks and the journal; its event-loop lag is logged at
 * debug level every LAG_REPORT_MS so a saturated proxy showing up there would be visible.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fromPromise } from 'xstate';
import type { LbBackend, LbConfig, LbServer } from '../config/lb.model.js';
import { createIcmpPinger } from '../io/checks/icmpPinger.js';
import type { IcmpPinger, ProbeResult, TcpTarget } from '../io/checks/probe.types.js';
import type { DataPathEvents, ServerUpdate } from '../io/proxy/dataPath.types.js';
import { startProxyWorker } from '../io/proxy/workerHost.js';
import { serverHealthMachine } from '../machines/lb/serverHealth.machine.js';
import type { ProbeInput, ServerHealthInput } from '../machines/lb/serverHealth.types.js';
import { actorIds } from './actorIds.js';
import type { NodeContext, NodePart } from './nodePart.js';
import { raiseControlPlane } from './controlPlanePriority.js';
import type { ChildSpec } from './rootMachine.js';
import { probeFor } from './serverProbe.js';

const LAG_REPORT_MS = 10_000;

interface ServerSite {
  backend: LbBackend;
  server: LbServer;
  /** Where checks go: checkAddr:checkPort, else the server's own address and port. */
  target: TcpTarget;
  /** null: the server has no port and no check port, so it cannot be checked. */
  checkPort: number | null;
  timeoutMs: number;
}

function serverSites(cfg: LbConfig): ServerSite[] {
  return cfg.backends.flatMap((backend) =>
    backend.servers.map((server) => {
      const checkPort = server.checkPort ?? server.port;
      const target: TcpTarget = {
        host: server.checkAddr ?? server.host,
        port: checkPort ?? 0,
        ...(server.source ? { source: server.source } : {}),
      };
      return { backend, server, target, checkPort, timeoutMs: backend.timeouts.check ?? server.inter };
    }),
  );
}

export async function prepareLbPart(cfg: LbConfig, ctx: NodeContext): Promise<NodePart> {
  const { log, bus, counters } = ctx;
  let icmp: IcmpPinger | undefined;
  const pinger = (): IcmpPinger => {
    icmp ??= createIcmpPinger();
    return icmp;
  };
  // Probes first: a bad check setting (an unreadable password file) stops here, before any listener.
  const sites = serverSites(cfg);
  const probes = await Promise.all(sites.map((site) => probeFor({ cfg, ...site, pinger }))).catch((err: unknown) => {
    icmp?.close();
    throw err;
  });

  const binds = cfg.frontends.flatMap((f) => f.binds.map((b) => b.host));
  const managed = [...new Set(binds.filter((h) => ctx.vips.isManaged(h)))];
  const dpLog = log.child({ actor: 'proxy' });
  const events: DataPathEvents = {
    passive: (backend, server, ok, reason) =>
      bus.send(actorIds.server(backend, server), ok ? { type: 'PASSIVE_OK' } : { type: 'PASSIVE_ERROR', reason }),
    count: (name, labels, by) => counters.inc(name, labels, by),
    log: (level, obj, msg) => dpLog[level](obj, msg),
    listening: (frontend, host, port, on) =>
      dpLog.info({ frontend, host, port }, on ? 'listening' : 'stopped listening'),
  };
  const dataPath = startProxyWorker(cfg, { managed, present: managed.filter((a) => ctx.vips.has(a)) }, events);
  try {
    await dataPath.ready;
  } catch (err) {
    icmp?.close();
    await dataPath.stop();
    throw err;
  }
  const unsubscribe = ctx.vips.subscribe((address, present) => {
    if (managed.includes(address)) dataPath.setVip(address, present);
  });

  const checked = sites.filter((s) => s.server.check);
  const children: ChildSpec[] = sites.map((site, i) => {
    const { backend, server, checkPort, timeoutMs } = site;
    const id = actorIds.server(backend.name, server.name);
    const slog = log.child({ actor: id });
    if (server.check && checkPort === null)
      slog.warn({ line: server.pos.line }, 'check needs a port (server has none; set `port`): checks disabled');
    const probe = probes[i]!;
    const position = checked.indexOf(site);
    const input: ServerHealthInput = {
      backend: backend.name,
      server: server.name,
      rise: server.rise,
      fall: server.fall,
      interMs: server.inter,
      fastInterMs: server.fastinter,
      downInterMs: server.downinter,
      timeoutMs,
      // haproxy start_checks: the first checks are spread over one interval.
      initialDelayMs: position < 0 ? 0 : Math.floor((server.inter * position) / checked.length),
      checkEnabled: server.check && checkPort !== null,
      initialAdmin: server.disabled ? 'maint' : 'ready',
      onError: server.onError,
      errorLimit: server.errorLimit,
    };
    const update = (u: Omit<ServerUpdate, 'backend' | 'server'>): void =>
      dataPath.updateServer({ backend: backend.name, server: server.name, ...u });
    const logic = serverHealthMachine.provide({
      actors: { probe: fromPromise<ProbeResult, ProbeInput>(({ signal }) => probe(signal)) },
      actions: {
        serverUp: (_, { reason }) => {
          slog.info({ reason }, 'server UP');
          update({ up: true });
        },
        serverDown: (_, { reason }) => {
          slog.warn({ reason }, 'server DOWN');
          update({ up: false });
        },
        adminChanged: (_, { state }) => update({ admin: state }),
        weightChanged: (_, { weight }) => {
          slog.info({ weight }, 'weight set by check');
          update({ weight });
        },
      },
    });
    return { systemId: id, logic, input };
  });

  const lag = monitorEventLoopDelay({ resolution: 10 });
  let lagTimer: NodeJS.Timeout | undefined;
  return {
    children,
    start(): void {
      // The data path competes with checks and adverts for a CPU (the worker keeps its own nice).
      raiseControlPlane(log);
      lag.enable();
      lagTimer = setInterval(() => {
        log.debug(
          { p50Ms: lag.percentile(50) / 1e6, p99Ms: lag.percentile(99) / 1e6, maxMs: lag.max / 1e6 },
          'event loop lag',
        );
        lag.reset();
      }, LAG_REPORT_MS);
      lagTimer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(lagTimer);
      lag.disable();
      unsubscribe();
      icmp?.close();
      await dataPath.stop();
    },
  };
}
