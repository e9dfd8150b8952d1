/** haproxy's plain `check`: the server is healthy if it accepts a TCP connection. */
import type { ProbeResult, TcpTarget } from './probe.types.js';
import { pass, runSocketProbe } from './probeOutcome.js';

export function tcpProbe(target: TcpTarget, signal: AbortSignal): Promise<ProbeResult> {
  return runSocketProbe(target, signal, {
    connected: (_socket, settle) => settle(pass(`connected to ${target.host}:${target.port}`)),
  });
}
