/**
 * The load balancer's data path for one LbConfig: frontends with their listeners, backends
 * with their queues, and the sessions between them. It runs wherever it is created — inside
 * the proxy worker thread in the daemon, in-process in tests — and talks to the control
 * plane only through DataPath (server updates, VIP presence) and DataPathEvents (passive
 * health, counters, logs).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LbBind, LbConfig } from '../../config/lb.model.js';
import { HaloError } from '../../errors.js';
import { type LineSink, throttledLog } from '../throttledLog.js';
import { backendChoice, type ConnectionFacts } from './aclMatch.js';
import { BackendPool } from './backendPool.js';
import type { DataPath, DataPathEvents, ServerUpdate, VipView } from './dataPath.types.js';
import { type ConnectionLimit, FrontendRuntime } from './frontend.js';
import { Session, type SessionContext } from './session.js';
import { IdleSweep } from './splice.js';

/**
 * Process-wide maxconn when `global` sets none. haproxy derives it from `ulimit -n`
 * (about half of it); node cannot read the limit, so a fixed value that fits the common
 * 8192-descriptor limit (two sockets per session) stands in.
 */
export const DEFAULT_GLOBAL_MAXCONN = 4000;

/** The shortest timeout the sweep must honour (connect and inactivity; queue has its own timer). */
function shortestTimeout(cfg: LbConfig): number {
  const all = [
    ...cfg.frontends.flatMap((f) => [f.timeouts.client, f.timeouts.clientFin]),
    ...cfg.backends.flatMap((b) => [b.timeouts.connect, b.timeouts.server, b.timeouts.serverFin, b.timeouts.tunnel]),
  ].filter((t): t is number => t !== null);
  return all.length > 0 ? Math.min(...all) : Number.POSITIVE_INFINITY;
}

/** The data path's log relay as a sink for throttled lines. */
export function sinkOf(events: DataPathEvents): LineSink {
  return {
    debug: (obj, msg) => events.log('debug', obj, msg),
    info: (obj, msg) => events.log('info', obj, msg),
    warn: (obj, msg) => events.log('warn', obj, msg),
    error: (obj, msg) => events.log('error', obj, msg),
  };
}

/** A connection's addresses, read from the socket only when a condition asks (a first read is a syscall). */
function factsOf(client: Socket): ConnectionFacts {
  return {
    get src() {
      return client.remoteAddress ?? '';
    },
    get srcPort() {
      return client.remotePort ?? 0;
    },
    get dst() {
      return client.localAddress ?? '';
    },
    get dstPort() {
      return client.localPort ?? 0;
    },
  };
}

export function createProxyEngine(cfg: LbConfig, vips: VipView, events: DataPathEvents): DataPath {
  const now = (): number => performance.now();
  const pools = new Map(cfg.backends.map((b) => [b.name, new BackendPool(b, now)]));
  const idle = new IdleSweep(shortestTimeout(cfg), now);
  const limit: ConnectionLimit = { max: cfg.global.maxconn ?? DEFAULT_GLOBAL_MAXCONN, active: 0 };
  const managed = new Set(vips.managed);
  const present = new Set(vips.present);
  const sessions = new Set<Session>();
  /** Servers with live errors since their last good connect: only then is a PASSIVE_OK worth sending. */
  const erring = new Set<string>();
  const aborts = throttledLog(sinkOf(events), { level: 'debug', msg: 'session aborted' });
  const listenerErrors = throttledLog(sinkOf(events), { level: 'error', msg: 'listener error' });

  const frontends: FrontendRuntime[] = [];
  const admitAll = (): void => {
    for (const f of frontends) f.admitPending();
  };
  /** Passive health (observe layer4) of one backend's servers. */
  const observerOf = (pool: BackendPool): SessionContext['observe'] => {
    return (index, ok, reason) => {
      const s = pool.servers[index]!.cfg;
      if (s.observe === null) return;
      const key = `${pool.cfg.name}/${s.name}`;
      if (ok) {
        if (erring.delete(key)) events.passive(pool.cfg.name, s.name, true, reason);
        return;
      }
      erring.add(key);
      events.passive(pool.cfg.name, s.name, false, reason);
    };
  };
  const nbsrv = (backend: string): number => pools.get(backend)?.usableCount() ?? 0;

  for (const fe of cfg.frontends) {
    const clientTimeouts = { client: fe.timeouts.client, clientFin: fe.timeouts.clientFin };
    const frontendLabels = { frontend: fe.name };
    /** One session context per backend this frontend can reach. */
    const contexts = new Map<string, SessionContext>();
    for (const name of [...fe.useBackends.map((u) => u.backend), fe.defaultBackend]) {
      const pool = name === null ? undefined : pools.get(name);
      if (pool && !contexts.has(pool.cfg.name)) {
        const observe = observerOf(pool);
        contexts.set(pool.cfg.name, { pool, events, aborts, idle, frontendLabels, clientTimeouts, observe });
      }
    }
    const contextOf = (backend: string | null): SessionContext | null =>
      backend === null ? null : (contexts.get(backend) ?? null);
    // Without a rule that depends on the connection, every client goes to one place, decided now.
    const choice = backendChoice(fe.useBackends, fe.defaultBackend, nbsrv);
    const fixed = choice.kind === 'fixed' ? contextOf(choice.backend) : null;
    frontends.push(
      new FrontendRuntime(
        fe,
        frontendLabels,
        limit,
        events,
        (client: Socket, done) => {
          const ctx = choice.kind === 'fixed' ? fixed : contextOf(choice.choose(factsOf(client)));
          if (!ctx) {
            // No rule matched and there is no default_backend: haproxy closes the connection too.
            events.count('halo_lb_no_backend_total', frontendLabels, 1);
            client.destroy();
            done();
            return;
          }
          const session = new Session(client, ctx, () => {
            sessions.delete(session);
            done();
            admitAll();
          });
          sessions.add(session);
          session.start();
        },
        (host) => managed.has(host),
        listenerErrors,
      ),
    );
  }

  const listenError = (err: unknown): HaloError => {
    const e = err as NodeJS.ErrnoException & { where?: Record<string, unknown> };
    return new HaloError(
      'HALO_E_LISTEN',
      `cannot listen on ${e.where?.host}:${e.where?.port}: ${e.message}`,
      { ...e.where, errno: e.code },
      { cause: err },
    );
  };
  const isFixed = (b: LbBind): boolean => !managed.has(b.host);
  const fixed = frontends.flatMap((f) => f.setWanted(isFixed, true));
  const ready = Promise.all(fixed).then(
    () => undefined,
    (err: unknown) => {
      throw listenError(err);
    },
  );
  // Reported through `ready`; keep an unobserved rejection from crashing the host.
  ready.catch(() => undefined);

  const followVip = (address: string, on: boolean): void => {
    for (const f of frontends) {
      for (const p of f.setWanted((b) => b.host === address && managed.has(address), on)) {
        p.catch((err: unknown) =>
          events.log('error', { address, err: listenError(err).message }, 'cannot listen on a held VIP'),
        );
      }
    }
  };
  for (const address of present) followVip(address, true);

  return {
    ready,
    updateServer(u: ServerUpdate): void {
      pools.get(u.backend)?.update(u);
    },
    setVip(address: string, on: boolean): void {
      if (on) present.add(address);
      else present.delete(address);
      followVip(address, on);
    },
    async stop(): Promise<void> {
      for (const f of frontends) f.close();
      for (const s of [...sessions]) s.kill('stopping');
      aborts.close();
      listenerErrors.close();
    },
  };
}
