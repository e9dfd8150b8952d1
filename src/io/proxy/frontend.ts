/**
 * A frontend at run time: its listeners and its connection limit. A bind on an address some
 * VRRP instance owns listens only while this node holds that address (the listener follows
 * the VIP, so no `ip_nonlocal_bind` is needed); every other bind always listens.
 *
 * maxconn (4.2 "maxconn", 3.2 global "maxconn"): haproxy stops accepting at the limit and
 * lets the kernel's backlog hold newcomers. Node cannot pause accept() on a listening socket,
 * so accepted-but-over-limit sockets wait here unread (pauseOnConnect), in order, up to
 * PENDING_CAP per frontend; past that they are reset. Memory stays bounded either way.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { LbBind, LbFrontend } from '../../config/lb.model.js';
import type { ThrottledLog } from '../throttledLog.js';
import type { CounterLabels, DataPathEvents } from './dataPath.types.js';

/** Accepted connections that may wait for a free slot: the size of a default listen backlog. */
export const PENDING_CAP = 1024;
/** Retry period for a VIP bind that raced the address (EADDRNOTAVAIL just after `ip addr add`). */
const REBIND_MS = 20;

const ignore = (): void => undefined;

/** Shared by every frontend: the process-wide `maxconn`. */
export interface ConnectionLimit {
  max: number;
  active: number;
}

interface Listener {
  bind: LbBind;
  server: Server | null;
  wanted: boolean;
  retry: NodeJS.Timeout | null;
}

export class FrontendRuntime {
  private readonly listeners: Listener[];
  private readonly pending: Socket[] = [];
  private active = 0;
  private readonly max: number;

  constructor(
    readonly cfg: LbFrontend,
    /** `{ frontend }`, built once (counters are summed per labels object). */
    private readonly labels: CounterLabels,
    private readonly global: ConnectionLimit,
    private readonly events: DataPathEvents,
    /** Starts a session for an admitted client; calls `done` when it ends. */
    private readonly admit: (client: Socket, done: () => void) => void,
    /** Is this address a VIP (a bind on it may race the address and is retried)? */
    private readonly followsVip: (host: string) => boolean,
    /** Errors of a listening socket: a failed accept (EMFILE) recurs with every new client. */
    private readonly listenerErrors: ThrottledLog,
  ) {
    this.listeners = cfg.binds.map((bind) => ({ bind, server: null, wanted: false, retry: null }));
    this.max = cfg.maxconn > 0 ? cfg.maxconn : global.max;
  }

  /** The binds `match` selects should (or should not) listen; resolves when the new ones do. */
  setWanted(match: (bind: LbBind) => boolean, wanted: boolean): Promise<void>[] {
    const started: Promise<void>[] = [];
    for (const l of this.listeners) {
      if (!match(l.bind) || l.wanted === wanted) continue;
      l.wanted = wanted;
      if (wanted) started.push(this.listen(l));
      else this.unlisten(l);
    }
    return started;
  }

  /** Admit waiting clients while both limits allow. */
  admitPending(): void {
    while (this.pending.length > 0 && this.hasRoom()) {
      const sock = this.pending.shift()!;
      if (!sock.destroyed) this.start(sock);
    }
  }

  close(): void {
    for (const l of this.listeners) {
      l.wanted = false;
      this.unlisten(l);
    }
    for (const s of this.pending.splice(0)) s.destroy();
  }

  private hasRoom(): boolean {
    return this.active < this.max && this.global.active < this.global.max;
  }

  private start(sock: Socket): void {
    this.active++;
    this.global.active++;
    this.events.count('halo_lb_sessions_total', this.labels, 1);
    this.admit(sock, () => {
      this.active--;
      this.global.active--;
    });
  }

  private readonly onConnection = (sock: Socket): void => {
    // Kept for the socket's whole life: a reset while waiting or spliced is no crash.
    sock.on('error', ignore);
    if (this.pending.length === 0 && this.hasRoom()) {
      this.start(sock);
      return;
    }
    if (this.pending.length >= PENDING_CAP) {
      this.events.count('halo_lb_denied_total', this.labels, 1);
      sock.resetAndDestroy();
      return;
    }
    this.pending.push(sock);
  };

  private listen(l: Listener): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, this.onConnection);
      l.server = server;
      const where = { frontend: this.cfg.name, host: l.bind.host, port: l.bind.port };
      const failedToListen = (err: NodeJS.ErrnoException): void => {
        l.server = null;
        if (!l.wanted) {
          resolve();
          return;
        }
        // A VIP bind can race the address it follows; keep trying while it is wanted.
        if (err.code === 'EADDRNOTAVAIL' && this.followsVip(l.bind.host) && l.retry === null) {
          l.retry = setTimeout(() => {
            l.retry = null;
            if (l.wanted) this.listen(l).then(resolve, reject);
            else resolve();
          }, REBIND_MS);
          return;
        }
        reject(Object.assign(err, { where }));
      };
      server.once('error', failedToListen);
      server.once('listening', () => {
        // From here an error is the listening socket's (a failed accept), not a failed bind:
        // the server stays, so unlisten can still close it.
        server.off('error', failedToListen);
        server.on('error', (err: NodeJS.ErrnoException) => {
          const key = `${where.frontend} ${where.host}:${where.port} ${err.code ?? err.message}`;
          this.listenerErrors.note(key, { ...where, err: err.message }, `${where.host}:${where.port}`);
        });
        this.events.listening(this.cfg.name, l.bind.host, l.bind.port, true);
        resolve();
      });
      server.listen({ host: l.bind.host, port: l.bind.port, backlog: PENDING_CAP });
    });
  }

  private unlisten(l: Listener): void {
    if (l.retry) clearTimeout(l.retry);
    l.retry = null;
    const server = l.server;
    l.server = null;
    if (!server) return;
    const wasListening = server.listening;
    // Established sessions stay; only accepting stops (a VIP moving away ends them by itself).
    server.close();
    if (wasListening) this.events.listening(this.cfg.name, l.bind.host, l.bind.port, false);
  }
}
