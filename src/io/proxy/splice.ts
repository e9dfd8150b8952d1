/**
 * Two connected sockets spliced into one TCP tunnel, as haproxy does in mode tcp:
 *  - bytes flow both ways with backpressure (a slow reader pauses the other side's reads, so a
 *    session holds at most a socket buffer per direction);
 *  - a FIN is forwarded as a FIN (half-close): the other direction keeps flowing until its
 *    own end, as a client that shuts its write side and waits for the answer expects;
 *  - inactivity timeouts per side: `timeout client` / `timeout server`, replaced by `timeout
 *    tunnel` once connected when set (4.2 "timeout tunnel"), and by `timeout client-fin` /
 *    `server-fin` once either side is half-closed;
 *  - an error or reset on one side resets the other; `done` fires once, after both closed.
 *
 * Inactivity is kept by one IdleSweep per engine, not by `socket.setTimeout`: node re-arms a
 * socket's timer on every read and every write (a libuv clock read and a timer-list move per
 * chunk, per side) and allocates one per socket. Here a chunk costs one field store, and one
 * periodic sweep walks the watched tunnels. Data in either direction counts as activity on
 * both sides, which is what per-socket timers re-armed on both reads and writes amount to.
 */
import type { Socket } from 'node:net';

export interface SpliceTimeouts {
  client: number | null;
  server: number | null;
  tunnel: number | null;
  clientFin: number | null;
  serverFin: number | null;
}

export interface SpliceHooks {
  /** Bytes forwarded since the last report: `up` client → server, `down` server → client. */
  bytes(up: number, down: number): void;
  timedOut(side: 'client' | 'server'): void;
  done(): void;
}

/** Something with deadlines the sweep checks: called with the sweep's clock, in ms. */
export interface Watched {
  sweep(nowMs: number): void;
}

/** Sweep periods: ~1/20 of the shortest timeout, so a timeout fires at most ~10% late. */
const MIN_SWEEP_MS = 10;
const MAX_SWEEP_MS = 1_000;

/**
 * One coarse clock and one interval for every deadline of an engine. `now` advances only at
 * each sweep, so an activity stamp taken from it can be up to one period old: a deadline is
 * therefore due once `now - stamp >= timeout + period` (never early, at most two periods late).
 */
export class IdleSweep {
  /** Milliseconds on the monotonic clock as of the last sweep. */
  now: number;
  readonly periodMs: number;
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    shortestTimeoutMs: number,
    private readonly clock: () => number,
  ) {
    this.periodMs = Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.floor(shortestTimeoutMs / 20)));
    this.now = clock();
  }

  /** Has `timeout` (null: none) passed since `stamp`, a value of `now`? */
  expired(stamp: number, timeout: number | null): boolean {
    return timeout !== null && this.now - stamp >= timeout + this.periodMs;
  }

  add(w: Watched): void {
    this.watched.add(w);
    if (this.timer !== null) return;
    this.now = this.clock();
    // Unref: the listeners and sockets keep the loop alive, the sweep alone must not.
    this.timer = setInterval(this.tick, this.periodMs).unref();
  }

  delete(w: Watched): void {
    this.watched.delete(w);
    if (this.watched.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private readonly tick = (): void => {
    this.now = this.clock();
    for (const w of this.watched) w.sweep(this.now);
  };
}

const ignore = (): void => undefined;

export class Tunnel implements Watched {
  private closed = 0;
  private halfClosed = false;
  private lastActive: number;
  private up = 0;
  private down = 0;

  constructor(
    private readonly client: Socket,
    private readonly server: Socket,
    private readonly t: SpliceTimeouts,
    private readonly idle: IdleSweep,
    private readonly hooks: SpliceHooks,
  ) {
    this.lastActive = idle.now;
    client.on('data', this.onClientData);
    server.on('data', this.onServerData);
    client.on('drain', this.onClientDrain);
    server.on('drain', this.onServerDrain);
    client.once('end', this.onClientEnd);
    server.once('end', this.onServerEnd);
    // An error is always followed by 'close' with hadError; the reset travels to the peer there.
    // (The client has carried an 'error' listener since it was accepted.)
    server.on('error', ignore);
    client.once('close', this.onClientClose);
    server.once('close', this.onServerClose);
    idle.add(this);
  }

  /** Cut both sides now (shutdown-sessions, stop). */
  kill(): void {
    this.client.destroy();
    this.server.destroy();
  }

  sweep(): void {
    this.report();
    const { t, idle } = this;
    const clientTimeout = this.halfClosed && t.clientFin !== null ? t.clientFin : (t.tunnel ?? t.client);
    const serverTimeout = this.halfClosed && t.serverFin !== null ? t.serverFin : (t.tunnel ?? t.server);
    const side = idle.expired(this.lastActive, clientTimeout)
      ? 'client'
      : idle.expired(this.lastActive, serverTimeout)
        ? 'server'
        : null;
    if (side === null) return;
    this.idle.delete(this);
    this.hooks.timedOut(side);
    this.kill();
  }

  private report(): void {
    if (this.up === 0 && this.down === 0) return;
    this.hooks.bytes(this.up, this.down);
    this.up = 0;
    this.down = 0;
  }

  private readonly onClientData = (chunk: Buffer): void => {
    this.up += chunk.length;
    this.lastActive = this.idle.now;
    if (!this.server.write(chunk)) this.client.pause();
  };

  private readonly onServerData = (chunk: Buffer): void => {
    this.down += chunk.length;
    this.lastActive = this.idle.now;
    if (!this.client.write(chunk)) this.server.pause();
  };

  private readonly onClientDrain = (): void => {
    this.lastActive = this.idle.now;
    this.server.resume();
  };

  private readonly onServerDrain = (): void => {
    this.lastActive = this.idle.now;
    this.client.resume();
  };

  // Once either direction is shut, both sides are half-closed: the fin timeouts take over.
  private readonly onClientEnd = (): void => {
    this.halfClosed = true;
    this.lastActive = this.idle.now;
    this.server.end();
  };

  private readonly onServerEnd = (): void => {
    this.halfClosed = true;
    this.lastActive = this.idle.now;
    this.client.end();
  };

  private readonly onClientClose = (hadError: boolean): void => {
    if (hadError) this.server.destroy();
    this.closedOne();
  };

  private readonly onServerClose = (hadError: boolean): void => {
    if (hadError) this.client.destroy();
    this.closedOne();
  };

  private closedOne(): void {
    if (++this.closed < 2) return;
    this.idle.delete(this);
    this.report();
    this.hooks.done();
  }
}
