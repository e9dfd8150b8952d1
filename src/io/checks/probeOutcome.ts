/**
 * Shared by the probes: timing, errno → reason, and the one settle-once socket runner the
 * TCP and HTTP probes are built on.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeReason, ProbeResult, TcpTarget } from './probe.types.js';

export type Outcome = Omit<ProbeResult, 'durationMs'>;

export function pass(detail: string): Outcome {
  return { ok: true, reason: 'ok', detail };
}

export function fail(reason: ProbeReason, detail: string): Outcome {
  return { ok: false, reason, detail };
}

/** Stopwatch started when the probe starts; stamps durationMs on the outcome. */
export function stopwatch(): (o: Outcome) => ProbeResult {
  const started = performance.now();
  return (o) => ({ ...o, durationMs: Math.round(performance.now() - started) });
}

/** The reason an errno stands for, as haproxy's L4CON / L4TOUT / socket error statuses do. */
export function socketErrorReason(err: unknown): ProbeReason {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOENT': // unix socket path missing: nothing listens
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'error';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a socket probe does once connected. */
export interface SocketSession {
  /** Called once the connection is up; call `settle` when the answer is known. */
  connected(socket: Socket, settle: (o: Outcome) => void): void;
  /** The peer closed (or reset) first: decide from what was read, or undefined to report the close. */
  closed?(): Outcome | undefined;
}

/**
 * Connect to `target` and run `session`; aborting `signal` ends the probe with 'timeout' (the
 * health machine aborts it when its check deadline passes). Never rejects; always destroys the
 * socket.
 */
export function runSocketProbe(target: TcpTarget, signal: AbortSignal, session: SocketSession): Promise<ProbeResult> {
  const stamp = stopwatch();
  return new Promise<ProbeResult>((resolve) => {
    if (signal.aborted) {
      resolve(stamp(fail('timeout', 'aborted before connecting')));
      return;
    }
    let connected = false;
    let done = false;
    const socket = connect({ host: target.host, port: target.port, localAddress: target.source });
    const settle = (o: Outcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(stamp(o));
    };
    const onAbort = () =>
      settle(fail('timeout', connected ? 'no complete answer before the deadline' : 'connect timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      connected = true;
      session.connected(socket, settle);
    });
    socket.on('error', (err) => {
      const reason = socketErrorReason(err);
      settle((connected && session.closed?.()) || fail(reason, errorText(err)));
    });
    socket.once('close', () => settle(session.closed?.() ?? fail('reset', 'connection closed')));
  });
}
