/**
 * Two connected sockets spliced into one TCP tunnel, as haproxy does in mode tcp:
 *  - bytes flow both ways with backpressure (a slow reader pauses the other side's reads, so a
 *    session holds at most a socket buffer per direction);
 *  - a FIN is forwarded as a FIN (half-close): the other direction keeps flowing until its
 *    own end, as a client that shuts its write side and waits for the answer expects;
 *  - inactivity timeouts per side: `timeout client` / `timeout server`, replaced by `timeout
 *    tunnel` once connected when set (4.2 "timeout tunnel"), and by `timeout client-fin` /
 *    `server-fin` once that side is half-closed;
 *  - an error or reset on one side resets the other; `done` fires once, after both closed.
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
  /** Bytes forwarded: `up` client → server, `down` server → client. */
  bytes(direction: 'up' | 'down', n: number): void;
  timedOut(side: 'client' | 'server'): void;
  done(): void;
}

export interface Splice {
  /** Cut both sides now (shutdown-sessions, stop). */
  kill(): void;
}

function forward(src: Socket, dst: Socket, onBytes: (n: number) => void, onEnd: () => void): void {
  src.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.once('end', () => {
    dst.end();
    onEnd();
  });
}

export function splice(client: Socket, server: Socket, t: SpliceTimeouts, hooks: SpliceHooks): Splice {
  let closed = 0;
  let finished = false;
  const kill = (): void => {
    client.destroy();
    server.destroy();
  };
  const finish = (): void => {
    if (++closed < 2 || finished) return;
    finished = true;
    hooks.done();
  };
  client.setTimeout(t.tunnel ?? t.client ?? 0);
  server.setTimeout(t.tunnel ?? t.server ?? 0);
  // Once either direction is shut, both sides are half-closed: the fin timeouts take over.
  const halfClosed = (): void => {
    if (t.clientFin !== null) client.setTimeout(t.clientFin);
    if (t.serverFin !== null) server.setTimeout(t.serverFin);
  };
  forward(client, server, (n) => hooks.bytes('up', n), halfClosed);
  forward(server, client, (n) => hooks.bytes('down', n), halfClosed);
  for (const [sock, side, peer] of [
    [client, 'client', server],
    [server, 'server', client],
  ] as const) {
    sock.on('timeout', () => {
      hooks.timedOut(side);
      kill();
    });
    // An error is always followed by 'close' with hadError; the reset travels to the peer there.
    sock.on('error', () => undefined);
    sock.once('close', (hadError) => {
      if (hadError) peer.destroy();
      finish();
    });
  }
  return { kill };
}
