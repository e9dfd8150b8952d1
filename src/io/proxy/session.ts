/**
 * One client connection's life: wait for a server slot (the backend queue), connect with
 * `retries` and `option redispatch`, send the PROXY header, then splice. haproxy semantics
 * (configuration.txt 4.2 "retries", "option redispatch", "option abortonclose", "timeout queue";
 * src/stream.c for the retry/redispatch decision):
 *  - a failed connect is retried on the same server after a turn-around delay of
 *    min(timeout connect, 1 s), up to `retries` times;
 *  - with redispatch, the retries its interval names (by default the last) go to another server
 *    at once, and so does any retry whose server is no longer usable (marked DOWN meanwhile):
 *    the client sees no error (redispatch.ts);
 *  - while waiting (queue or connect) the client's first bytes are buffered (bounded); a client
 *    that half-closes is still served unless `abortonclose`; one that goes away is dropped.
 */
import type { MetricName } from '../metricName.js';
import { connect, type Socket } from 'node:net';
import type { ThrottledLog } from '../throttledLog.js';
import type { BackendPool, PoolSession, QueueWaiter } from './backendPool.js';
import type { CounterLabels, DataPathEvents } from './dataPath.types.js';
import { encodeProxyHeader } from './proxyHeader.js';
import { shouldRedispatch } from './redispatch.js';
import { type IdleSweep, Tunnel, type Watched } from './splice.js';

/** Bytes read from a client before its server is connected; then reading pauses. */
const EARLY_DATA_CAP = 64 * 1024;
/** haproxy's turn-around delay before retrying the same server. */
const MAX_TURNAROUND_MS = 1_000;

export interface SessionContext {
  pool: BackendPool;
  events: DataPathEvents;
  /** Aborted sessions, logged per kind rather than per session (a dead backend aborts them all). */
  aborts: ThrottledLog;
  /** The engine's one clock and sweep for connect and inactivity timeouts. */
  idle: IdleSweep;
  /** `{ frontend }`, built once per frontend (counters are summed per labels object). */
  frontendLabels: CounterLabels;
  /** The frontend's client-side timeouts (4.2 "timeout client", "timeout client-fin"). */
  clientTimeouts: { client: number | null; clientFin: number | null };
  /** Passive health: a connect outcome on a server with `observe`. */
  observe(serverIndex: number, ok: boolean, reason: string): void;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/**
 * Labels with one more label, interned: the same base and value give the same object, so the
 * rare counters with a variable label (a reason, a side) still sum into one entry each.
 */
const extended = new WeakMap<CounterLabels, Map<string, CounterLabels>>();
function withLabel(base: CounterLabels, name: string, value: string): CounterLabels {
  let byValue = extended.get(base);
  if (!byValue) {
    byValue = new Map();
    extended.set(base, byValue);
  }
  const key = `${name}=${value}`;
  let labels = byValue.get(key);
  if (!labels) {
    labels = { ...base, [name]: value };
    byValue.set(key, labels);
  }
  return labels;
}

const ignore = (): void => undefined;

/**
 * The session is its own queue waiter, its own connect watcher and holds its handlers as
 * fields: a connection costs one object and a few bound functions, not a closure per step.
 */
export class Session implements PoolSession, QueueWaiter, Watched {
  readonly sourceKey: string;
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;
  private clientEnded = false;
  private over = false;
  private retriesLeft: number;
  private serverIndex = -1;
  private server: Socket | null = null;
  private connecting = false;
  /** When the pending connect started, on the sweep's clock; -1 when it has no timeout. */
  private connectStart = -1;
  private tunnel: Tunnel | null = null;
  private cancelQueue: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failed: Set<number> | null = null;

  constructor(
    private readonly client: Socket,
    private readonly ctx: SessionContext,
    private readonly onEnd: () => void,
  ) {
    this.retriesLeft = ctx.pool.cfg.retries;
    // Only `balance source` reads the client address (a getpeername per connection otherwise).
    this.sourceKey = ctx.pool.cfg.balance === 'source' ? (client.remoteAddress ?? '') : '';
  }

  get exclude(): ReadonlySet<number> | undefined {
    return this.failed ?? undefined;
  }

  start(): void {
    const { client } = this;
    client.on('data', this.onEarlyData);
    client.once('end', this.onEarlyEnd);
    client.once('close', this.onEarlyClose);
    client.resume();
    this.acquire();
  }

  kill(reason: string): void {
    this.count('halo_lb_killed_sessions_total', withLabel(this.ctx.pool.labels, 'reason', reason));
    this.tunnel?.kill();
    this.finish();
  }

  /** A slot on server `index` is ours (now or from the queue). */
  grant(index: number): void {
    this.cancelQueue = null;
    this.clearTimer();
    this.attempt(index);
  }

  /** The connect timeout (4.2 "timeout connect"), checked by the engine's sweep. */
  sweep(): void {
    if (this.connectStart >= 0 && this.ctx.idle.expired(this.connectStart, this.ctx.pool.cfg.timeouts.connect))
      this.connectFailed('timeout');
  }

  private readonly onEarlyData = (chunk: Buffer): void => {
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes >= EARLY_DATA_CAP) this.client.pause();
  };

  private readonly onEarlyEnd = (): void => {
    this.clientEnded = true;
    if (this.ctx.pool.cfg.options.abortonclose) this.abort('client closed while waiting (abortonclose)');
  };

  private readonly onEarlyClose = (): void => this.abort('client went away while waiting');

  private readonly onConnect = (): void => this.connected();

  private readonly onConnectError = (err: unknown): void => this.connectFailed(errorCode(err));

  private count(name: MetricName, labels: CounterLabels = this.ctx.pool.labels): void {
    this.ctx.events.count(name, labels, 1);
  }

  private acquire(): void {
    const r = this.ctx.pool.acquire(this);
    if (r.kind === 'none') {
      // With every other server excluded, a redispatch falls back to the last one tried.
      if (this.failed !== null && this.serverIndex >= 0 && this.ctx.pool.isUsable(this.serverIndex)) {
        this.ctx.pool.take(this.serverIndex);
        this.attempt(this.serverIndex);
        return;
      }
      this.count('halo_lb_no_server_total');
      this.abort('no server available');
      return;
    }
    if (r.kind === 'queued') {
      this.cancelQueue = r.cancel;
      this.count('halo_lb_queued_total');
      const t = this.ctx.pool.cfg.timeouts.queue;
      if (t !== null) {
        this.timer = setTimeout(() => {
          this.count('halo_lb_queue_timeouts_total');
          this.abort('queue timeout');
        }, t);
      }
    }
  }

  private attempt(index: number): void {
    if (this.over) {
      this.ctx.pool.release(index);
      return;
    }
    this.serverIndex = index;
    const entry = this.ctx.pool.servers[index]!;
    const cfg = entry.cfg;
    entry.sessions.add(this);
    // A numeric host skips the resolver; the config parser keeps server addresses literal.
    const server = connect({
      host: cfg.host,
      port: cfg.port ?? this.client.localPort ?? 0,
      allowHalfOpen: true,
      noDelay: true,
      ...(cfg.source ? { localAddress: cfg.source } : {}),
    });
    this.server = server;
    this.connecting = true;
    server.once('error', this.onConnectError);
    server.once('connect', this.onConnect);
    if (this.ctx.pool.cfg.timeouts.connect !== null) {
      this.connectStart = this.ctx.idle.now;
      this.ctx.idle.add(this);
    }
  }

  /** Stop watching the pending connect; returns the socket it was for. */
  private endConnect(): Socket {
    const server = this.server!;
    server.off('error', this.onConnectError);
    server.off('connect', this.onConnect);
    if (this.connectStart >= 0) this.ctx.idle.delete(this);
    this.connectStart = -1;
    this.connecting = false;
    return server;
  }

  private connectFailed(reason: string): void {
    const server = this.endConnect();
    server.on('error', ignore);
    server.destroy();
    const index = this.serverIndex;
    const entry = this.ctx.pool.servers[index]!;
    entry.sessions.delete(this);
    this.server = null;
    this.ctx.pool.release(index);
    this.count('halo_lb_connect_errors_total', withLabel(entry.labels, 'reason', reason));
    this.ctx.observe(index, false, reason);
    if (this.over) return;
    if (this.retriesLeft <= 0) {
      this.abort(`connect to ${entry.cfg.name} failed: ${reason}`);
      return;
    }
    this.retriesLeft--;
    this.count('halo_lb_retries_total');
    const { pool } = this.ctx;
    const { retries, options, balance } = pool.cfg;
    const redispatch =
      options.redispatch &&
      shouldRedispatch({
        retry: retries - this.retriesLeft,
        retries,
        interval: options.redispatchInterval,
        serverUsable: pool.isUsable(index),
        activeServers: pool.usableActiveCount(),
        hashed: balance === 'source',
      });
    if (redispatch) {
      this.count('halo_lb_redispatches_total');
      this.failed ??= new Set();
      this.failed.add(index);
      this.acquire();
      return;
    }
    const delay = Math.min(this.ctx.pool.cfg.timeouts.connect ?? MAX_TURNAROUND_MS, MAX_TURNAROUND_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ctx.pool.take(index);
      this.attempt(index);
    }, delay);
  }

  private connected(): void {
    const server = this.endConnect();
    const { client, ctx } = this;
    const index = this.serverIndex;
    const entry = ctx.pool.servers[index]!;
    ctx.observe(index, true, 'ok');
    if (this.over) {
      server.destroy();
      return;
    }
    client.off('data', this.onEarlyData);
    client.off('end', this.onEarlyEnd);
    client.off('close', this.onEarlyClose);
    this.count('halo_lb_server_sessions_total', entry.labels);
    if (entry.cfg.sendProxy) {
      server.write(
        encodeProxyHeader(entry.cfg.sendProxy, {
          srcAddress: client.remoteAddress,
          srcPort: client.remotePort,
          dstAddress: client.localAddress,
          dstPort: client.localPort,
        }),
      );
    }
    if (this.earlyBytes > 0) ctx.events.count('halo_lb_bytes_in_total', ctx.frontendLabels, this.earlyBytes);
    for (const chunk of this.early) server.write(chunk);
    this.early.length = 0;
    if (this.clientEnded) server.end();
    const be = ctx.pool.cfg.timeouts;
    this.tunnel = new Tunnel(
      client,
      server,
      { ...ctx.clientTimeouts, server: be.server, serverFin: be.serverFin, tunnel: be.tunnel },
      ctx.idle,
      this,
    );
    client.resume();
  }

  /** Tunnel hooks (SpliceHooks): the session is its tunnel's listener too. */
  bytes(up: number, down: number): void {
    const { events, frontendLabels } = this.ctx;
    if (up > 0) events.count('halo_lb_bytes_in_total', frontendLabels, up);
    if (down > 0) events.count('halo_lb_bytes_out_total', frontendLabels, down);
  }

  timedOut(side: 'client' | 'server'): void {
    this.ctx.events.count('halo_lb_timeouts_total', withLabel(this.ctx.frontendLabels, 'side', side), 1);
  }

  done(): void {
    this.finish();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private abort(reason: string): void {
    if (this.over) return;
    const backend = this.ctx.pool.cfg.name;
    this.ctx.aborts.note(`${backend}: ${reason}`, { frontend: this.ctx.frontendLabels.frontend, backend, reason });
    this.server?.destroy();
    this.client.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.clearTimer();
    if (this.connecting) this.endConnect().on('error', ignore);
    this.cancelQueue?.();
    this.cancelQueue = null;
    this.client.destroy();
    if (this.serverIndex >= 0) {
      const entry = this.ctx.pool.servers[this.serverIndex]!;
      // Being in the server's session set is holding one of its slots (connecting or spliced).
      if (entry.sessions.delete(this)) {
        this.server?.destroy();
        this.ctx.pool.release(this.serverIndex);
      }
    }
    this.onEnd();
  }
}
