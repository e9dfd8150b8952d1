/**
 * haproxy `option httpchk`: connect, send one request, judge the response. The default request
 * is `OPTIONS / HTTP/1.0`; without `http-check expect`, 2xx/3xx mean UP. The response is read
 * up to a cap (haproxy reads one check buffer, tune.bufsize 16 KiB).
 */
import type { Socket } from 'node:net';
import { bodyComplete, judge, needsBody, parseHead } from './httpResponse.js';
import type { HttpCheck, ProbeResult, TcpTarget } from './probe.types.js';
import { errorText, fail, type Outcome, runSocketProbe } from './probeOutcome.js';

const BODY_CAP = 16 * 1024;

export const DEFAULT_HTTP_CHECK: HttpCheck = { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0' };

function requestFor(check: HttpCheck): string {
  const host = check.host ? `Host: ${check.host}\r\n` : '';
  // Ask the server to close: one check, one connection, as haproxy's checks do.
  return `${check.method} ${check.uri} ${check.version}\r\n${host}Connection: close\r\n\r\n`;
}

export function httpProbe(target: TcpTarget, check: HttpCheck, signal: AbortSignal): Promise<ProbeResult> {
  let text = '';
  // Settle once the answer is known; at the close decide from whatever arrived.
  const decide = (atClose: boolean): Outcome | undefined => {
    const final = atClose || text.length >= BODY_CAP;
    const head = parseHead(text);
    if (head === null) return fail('error', `not an HTTP response: ${JSON.stringify(text.slice(0, 64))}`);
    if (head === undefined) return final ? fail('error', 'no status line in the response') : undefined;
    const ready = final || (needsBody(check.expect) ? bodyComplete(head, text) : head.bodyStart !== undefined);
    if (!ready) return undefined;
    try {
      return judge(head, head.bodyStart === undefined ? '' : text.slice(head.bodyStart, BODY_CAP), check.expect);
    } catch (err) {
      return fail('error', `bad expect rule: ${errorText(err)}`);
    }
  };
  return runSocketProbe(target, signal, {
    connected: (socket: Socket, settle) => {
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const o = decide(false);
        if (o) settle(o);
      });
      socket.write(requestFor(check));
    },
    closed: () => decide(true),
  });
}
