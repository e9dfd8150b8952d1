/**
 * One backend at run time: its servers' live state (up, admin, weight, connections), the
 * balancer cursor, the sessions each server carries and the backend's FIFO queue of
 * connections waiting for a free slot (configuration.txt 5.2 "maxconn", 4.2 "timeout queue").
 * Selection itself is the pure balancer; this class only keeps the books around it.
 */
import type { LbBackend, LbServer } from '../../config/lb.model.js';
import {
  type BalancedServer,
  type BalancerCursor,
  type BalancerSettings,
  initialCursor,
  isUsable,
  type Pick,
  type PickRequest,
  pickServer,
} from '../../machines/lb/balancer.js';
import { clampWeight } from '../../machines/lb/serverHealthContext.js';
import type { CounterLabels, ServerUpdate } from './dataPath.types.js';

/** A session as the pool sees it: something it can cut (shutdown-sessions). */
export interface PoolSession {
  kill(reason: string): void;
}

export interface QueueWaiter {
  sourceKey: string;
  exclude?: ReadonlySet<number>;
  /** The waiter now holds a slot on server `index`. */
  grant(index: number): void;
}

/** A waiter in the backend queue; `server` is set when it waits for one server only (source). */
interface QueueEntry {
  waiter: QueueWaiter;
  /** The waiter's exclusions plus servers whose own queue was full when it arrived. */
  exclude: ReadonlySet<number> | undefined;
  server: number | null;
}

export interface PoolServer {
  cfg: LbServer;
  state: BalancedServer;
  /** Waiters bound to this server (counted against its maxqueue). */
  queued: number;
  sessions: Set<PoolSession>;
  /** `{ backend, server }`, built once: counters are summed per labels object. */
  labels: CounterLabels;
}

export class BackendPool {
  readonly servers: PoolServer[];
  /** `{ backend }`, built once (see PoolServer.labels). */
  readonly labels: CounterLabels;
  /** Every server's state, in order: the balancer's input, kept instead of rebuilt per pick. */
  private readonly states: BalancedServer[];
  private readonly settings: BalancerSettings;
  private cursor: BalancerCursor;
  private readonly queue: QueueEntry[] = [];
  /** Waiters in the queue for any server. */
  private unboundQueued = 0;

  constructor(
    readonly cfg: LbBackend,
    private readonly now: () => number,
  ) {
    this.servers = cfg.servers.map((s) => ({
      cfg: s,
      state: {
        weight: s.weight,
        backup: s.backup,
        maxconn: s.maxconn,
        slowstartMs: s.slowstart,
        // haproxy starts every server UP (checked ones at the bottom of the UP band).
        up: true,
        admin: s.disabled ? 'maint' : 'ready',
        upSinceMs: null,
        active: 0,
      },
      queued: 0,
      sessions: new Set(),
      labels: { backend: cfg.name, server: s.name },
    }));
    this.labels = { backend: cfg.name };
    this.states = this.servers.map((s) => s.state);
    this.settings = { algorithm: cfg.balance, allBackups: cfg.options.allbackups };
    this.cursor = initialCursor(this.servers.length);
  }

  get queued(): number {
    return this.queue.length;
  }

  pick(sourceKey: string, exclude?: ReadonlySet<number>): Pick {
    const req: PickRequest = { nowMs: this.now(), sourceKey };
    if (exclude) req.exclude = exclude;
    const r = pickServer(this.states, this.settings, this.cursor, req);
    this.cursor = r.cursor;
    return r.pick;
  }

  /**
   * A slot for a new connection: granted now, queued behind earlier waiters (served in
   * order), or refused when no server is usable. Returns a cancel function while queued.
   *
   * A client bound to one server (`balance source`) waits in that server's queue; once the
   * queue holds the server's `maxqueue` (5.2 "maxqueue") the client is redispatched instead,
   * as if that server were excluded, which breaks persistence as haproxy does. With every
   * candidate's queue full it is refused. (haproxy's leastconn may also queue on a server up
   * to its maxqueue; halo queues unbound clients only in the backend queue.)
   */
  acquire(waiter: QueueWaiter): { kind: 'granted' | 'none' } | { kind: 'queued'; cancel: () => void } {
    let exclude = waiter.exclude;
    // Each pass excludes one more server, so this ends within servers.length + 1 passes.
    for (let pass = 0; pass <= this.servers.length; pass++) {
      const pick = this.route(waiter.sourceKey, exclude);
      if (pick.kind === 'none') return { kind: 'none' };
      if (pick.kind === 'server' && this.servers[pick.index]!.queued === 0 && this.unboundQueued === 0) {
        this.take(pick.index);
        waiter.grant(pick.index);
        return { kind: 'granted' };
      }
      const server = pick.kind === 'server' ? pick.index : (pick.server ?? null);
      if (server !== null && this.queueFull(server)) {
        exclude = new Set(exclude).add(server);
        continue;
      }
      return this.enqueue({ waiter, exclude, server });
    }
    return { kind: 'none' };
  }

  isUsable(index: number): boolean {
    const s = this.servers[index];
    return s !== undefined && isUsable(s.state);
  }

  /** Usable non-backup servers (haproxy's srv_act), for the redispatch rule. */
  usableActiveCount(): number {
    let n = 0;
    for (const s of this.servers) if (!s.cfg.backup && isUsable(s.state)) n++;
    return n;
  }

  /**
   * haproxy's nbsrv (be_usable_srv): the usable active servers; with none, the backups that
   * would take traffic: all of them with `option allbackups`, else only the first.
   */
  usableCount(): number {
    const active = this.usableActiveCount();
    if (active > 0) return active;
    let backups = 0;
    for (const s of this.servers) if (s.cfg.backup && isUsable(s.state)) backups++;
    return this.cfg.options.allbackups ? backups : Math.min(backups, 1);
  }

  take(index: number): void {
    this.servers[index]!.state.active++;
  }

  release(index: number): void {
    const s = this.servers[index]!;
    s.state.active = Math.max(0, s.state.active - 1);
    this.serveQueue();
  }

  /**
   * Hand freed slots to waiters, oldest first. A waiter bound to a full server is passed over;
   * an unbound one that cannot be served means every server is full: stop there.
   */
  serveQueue(): void {
    let i = 0;
    while (i < this.queue.length) {
      const entry = this.queue[i]!;
      const pick = this.pick(entry.waiter.sourceKey, entry.exclude);
      if (pick.kind !== 'server') {
        if (entry.server === null) return;
        i++;
        continue;
      }
      this.dequeue(entry);
      this.take(pick.index);
      entry.waiter.grant(pick.index);
    }
  }

  /**
   * Apply a control-plane change. haproxy's reactions: a server marked DOWN loses its
   * sessions with `on-marked-down shutdown-sessions`; a primary marked UP cuts the backups'
   * sessions with `on-marked-up shutdown-backup-sessions`; a server back UP starts its
   * slowstart ramp. Any change may free capacity for the queue.
   */
  update(u: ServerUpdate): void {
    const s = this.servers.find((x) => x.cfg.name === u.server);
    if (!s) return;
    const wasUsable = isUsable(s.state);
    if (u.up !== undefined && u.up !== s.state.up) {
      s.state.up = u.up;
      if (u.up) s.state.upSinceMs = this.now();
    }
    if (u.admin !== undefined) s.state.admin = u.admin;
    if (u.weight !== undefined) s.state.weight = clampWeight(u.weight);
    if (u.up === false && s.cfg.onMarkedDown === 'shutdown-sessions') this.kill(s, 'server marked down');
    if (u.admin === 'maint' && s.cfg.onMarkedDown === 'shutdown-sessions') this.kill(s, 'server in maintenance');
    if (!wasUsable && isUsable(s.state) && !s.cfg.backup && s.cfg.onMarkedUp === 'shutdown-backup-sessions') {
      for (const b of this.servers) if (b.cfg.backup) this.kill(b, 'primary server marked up');
    }
    this.serveQueue();
  }

  private kill(s: PoolServer, reason: string): void {
    for (const session of [...s.sessions]) session.kill(reason);
  }

  /**
   * What a new client would get: behind earlier waiters it queues too (served in order), so the
   * balancer is asked only when the queue is empty, or for `source`, to learn its server.
   */
  private route(sourceKey: string, exclude: ReadonlySet<number> | undefined): Pick {
    if (this.queue.length === 0 || this.cfg.balance === 'source') return this.pick(sourceKey, exclude);
    return this.anyUsable(exclude) ? { kind: 'queue' } : { kind: 'none' };
  }

  private queueFull(index: number): boolean {
    const s = this.servers[index]!;
    return s.cfg.maxqueue > 0 && s.queued >= s.cfg.maxqueue;
  }

  private enqueue(entry: QueueEntry): { kind: 'queued'; cancel: () => void } {
    this.queue.push(entry);
    if (entry.server === null) this.unboundQueued++;
    else this.servers[entry.server]!.queued++;
    return { kind: 'queued', cancel: () => this.dequeue(entry) };
  }

  private dequeue(entry: QueueEntry): void {
    const i = this.queue.indexOf(entry);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (entry.server === null) this.unboundQueued--;
    else this.servers[entry.server]!.queued--;
  }

  private anyUsable(exclude?: ReadonlySet<number>): boolean {
    return this.servers.some((s, i) => isUsable(s.state) && !exclude?.has(i));
  }
}
