/**
 * One client connection's life: wait for a server slot (the backend queue), connect with
 * `retries` and `option redispatch`, send the PROXY header, then splice. haproxy semantics
 * (configuration.txt 4.2 "retries", "option redispatch", "option abortonclose", "timeout queue";
 * src/stream.c for the retry/redispatch decision):
 *  - a failed connect is retried on the same server after a turn-around delay of
 *    min(timeout connect, 1 s), up to `retries` times;
 *  - with redispatch, the last retry goes to another server at once, and so does any retry
 *    whose server is no longer usable (marked DOWN meanwhile): the client sees no error;
 *  - while waiting (queue or connect) the client's first bytes are buffered (bounded); a client
 *    that half-closes is still served unless `abortonclose`; one that goes away is dropped.
 */
import { connect, type Socket } from 'node:net';
import type { BackendPool, PoolSession } from './backendPool.js';
import type { DataPathEvents } from './dataPath.types.js';
import { encodeProxyHeader } from './proxyHeader.js';
import { type Splice, splice } from './splice.js';

/** Bytes read from a client before its server is connected; then reading pauses. */
const EARLY_DATA_CAP = 64 * 1024;
/** haproxy's turn-around delay before retrying the same server. */
const MAX_TURNAROUND_MS = 1_000;

export interface SessionContext {
  frontend: string;
  pool: BackendPool;
  events: DataPathEvents;
  /** The frontend's client-side timeouts (4.2 "timeout client", "timeout client-fin"). */
  clientTimeouts: { client: number | null; clientFin: number | null };
  /** Passive health: a connect outcome on a server with `observe`. */
  observe(serverIndex: number, ok: boolean, reason: string): void;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

export class Session implements PoolSession {
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;
  private clientEnded = false;
  private over = false;
  private retriesLeft: number;
  private serverIndex = -1;
  private server: Socket | null = null;
  private tunnel: Splice | null = null;
  private cancelQueue: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly failed = new Set<number>();

  constructor(
    private readonly client: Socket,
    private readonly ctx: SessionContext,
    private readonly onEnd: () => void,
  ) {
    this.retriesLeft = ctx.pool.cfg.retries;
  }

  start(): void {
    const { client } = this;
    client.on('error', () => undefined);
    client.on('data', this.onEarlyData);
    client.once('end', this.onEarlyEnd);
    client.once('close', this.onEarlyClose);
    client.resume();
    this.acquire();
  }

  kill(reason: string): void {
    this.count('halo_lb_killed_sessions_total', { reason });
    this.tunnel?.kill();
    this.finish();
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

  private get backend(): string {
    return this.ctx.pool.cfg.name;
  }

  private count(name: string, labels: Record<string, string> = {}): void {
    this.ctx.events.count(name, { backend: this.backend, ...labels }, 1);
  }

  private acquire(): void {
    const exclude = this.failed.size > 0 ? this.failed : undefined;
    const r = this.ctx.pool.acquire({
      sourceKey: this.client.remoteAddress ?? '',
      ...(exclude ? { exclude } : {}),
      grant: (index) => {
        this.cancelQueue = null;
        this.clearTimer();
        this.attempt(index);
      },
    });
    if (r.kind === 'none') {
      // With every other server excluded, a redispatch falls back to the last one tried.
      if (this.failed.size > 0 && this.serverIndex >= 0 && this.ctx.pool.isUsable(this.serverIndex)) {
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
    const server = connect({
      host: cfg.host,
      port: cfg.port ?? this.client.localPort ?? 0,
      allowHalfOpen: true,
      noDelay: true,
      ...(cfg.source ? { localAddress: cfg.source } : {}),
    });
    this.server = server;
    const connectTimeout = this.ctx.pool.cfg.timeouts.connect;
    if (connectTimeout !== null) server.setTimeout(connectTimeout);
    const failed = (reason: string): void => {
      server.removeAllListeners();
      server.on('error', () => undefined);
      server.destroy();
      this.connectFailed(index, reason);
    };
    server.once('timeout', () => failed('timeout'));
    server.once('error', (err) => failed(errorCode(err)));
    server.once('connect', () => {
      server.removeAllListeners();
      server.setTimeout(0);
      this.connected(index, server);
    });
  }

  private connectFailed(index: number, reason: string): void {
    const entry = this.ctx.pool.servers[index]!;
    entry.sessions.delete(this);
    this.server = null;
    this.ctx.pool.release(index);
    this.count('halo_lb_connect_errors_total', { server: entry.cfg.name, reason });
    this.ctx.observe(index, false, reason);
    if (this.over) return;
    if (this.retriesLeft <= 0) {
      this.abort(`connect to ${entry.cfg.name} failed: ${reason}`);
      return;
    }
    this.retriesLeft--;
    this.count('halo_lb_retries_total');
    const redispatch = this.ctx.pool.cfg.options.redispatch && (this.retriesLeft === 0 || !this.ctx.pool.isUsable(index));
    if (redispatch) {
      this.count('halo_lb_redispatches_total');
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

  private connected(index: number, server: Socket): void {
    const { client, ctx } = this;
    const entry = ctx.pool.servers[index]!;
    ctx.observe(index, true, 'ok');
    if (this.over) {
      server.destroy();
      return;
    }
    client.off('data', this.onEarlyData);
    client.off('end', this.onEarlyEnd);
    client.off('close', this.onEarlyClose);
    const labels = { frontend: ctx.frontend };
    this.count('halo_lb_server_sessions_total', { server: entry.cfg.name });
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
    if (this.earlyBytes > 0) ctx.events.count('halo_lb_bytes_in_total', labels, this.earlyBytes);
    for (const chunk of this.early) server.write(chunk);
    this.early.length = 0;
    if (this.clientEnded) server.end();
    const be = ctx.pool.cfg.timeouts;
    this.tunnel = splice(
      client,
      server,
      { ...ctx.clientTimeouts, server: be.server, serverFin: be.serverFin, tunnel: be.tunnel },
      {
        bytes: (dir, n) => ctx.events.count(dir === 'up' ? 'halo_lb_bytes_in_total' : 'halo_lb_bytes_out_total', labels, n),
        timedOut: (side) => ctx.events.count('halo_lb_timeouts_total', { ...labels, side }, 1),
        done: () => this.finish(),
      },
    );
    client.resume();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private abort(reason: string): void {
    if (this.over) return;
    this.ctx.events.log('debug', { frontend: this.ctx.frontend, backend: this.backend, reason }, 'session aborted');
    this.server?.destroy();
    this.client.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.clearTimer();
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
