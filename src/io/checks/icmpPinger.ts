/**
 * The ICMP check: one raw IPPROTO_ICMP socket shared by every ping, one echo identifier per
 * pinger and a sequence number per ping. A reply or an ICMP error is matched to its ping by
 * sequence and then by address, so concurrent pings to many servers never claim each other's
 * answers. The only timer is the caller's AbortSignal (the health machine's check deadline).
 */
import { isIPv4 } from 'node:net';
import raw from 'raw-socket';
import { decodeIcmp, encodeEchoRequest, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_TIME_EXCEEDED } from './icmpEcho.js';
import type { IcmpPinger, ProbeResult } from './probe.types.js';
import { errorText, fail, type Outcome, pass, stopwatch } from './probeOutcome.js';

/** Builds the outcome once the ping's duration is known (an echo reply reports it in its detail). */
type Conclude = (durationMs: number) => Outcome;

interface PendingPing {
  host: string;
  settle(conclude: Conclude): void;
}

/** linux/icmp.h: a bit set in this SOL_RAW option's mask drops that ICMP type before we see it. */
const SOL_RAW = 255;
const ICMP_FILTER = 1;
/** Wake only for what can answer a ping, not for every ICMP packet the host sees. */
const ICMP_FILTER_MASK = ~((1 << ICMP_ECHO_REPLY) | (1 << ICMP_DEST_UNREACH) | (1 << ICMP_TIME_EXCEEDED)) >>> 0;
/** Echoed back by the target; marks the packets as halo's in a capture. */
const PAYLOAD = Buffer.from('halo health check', 'ascii');

/**
 * raw-socket reports a failed sendto() as Error(strerror(errno)) with no code, so the two
 * routing failures are recognised by glibc's text: the local stack has no way to the host.
 */
const UNREACHABLE_SEND_ERRORS = new Set(['No route to host', 'Network is unreachable']);

/** Pingers created in this process so far: two pingers in one process must not share an identifier. */
let created = 0;

/**
 * Opens the socket on the first ping (so a config without ICMP checks needs no CAP_NET_RAW) and
 * again after the kernel or raw-socket closed it; a socket that cannot be opened fails that ping
 * with 'error' and the reason.
 */
export function createIcmpPinger(): IcmpPinger {
  const identifier = (process.pid + created++) & 0xffff;
  const pending = new Map<number, PendingPing>();
  let sequence = 0;
  let socket: raw.Socket | undefined;
  let closed = false;

  /** Forget the socket and fail every ping that was waiting on it. */
  const drop = (detail: string): void => {
    const current = socket;
    socket = undefined;
    current?.close();
    for (const ping of [...pending.values()]) ping.settle(() => fail('error', detail));
  };

  const onMessage = (datagram: Buffer): void => {
    const msg = decodeIcmp(datagram, identifier);
    if (msg.kind !== 'reply' && msg.kind !== 'error') return;
    const ping = pending.get(msg.sequence);
    // A late answer to a ping that has already timed out finds nothing pending.
    if (ping === undefined) return;
    if (msg.kind === 'reply') {
      if (msg.from === ping.host) ping.settle((ms) => pass(`echo reply from ${msg.from} in ${ms} ms`));
      return;
    }
    if (msg.to === ping.host) ping.settle(() => fail('unreachable', `${msg.description} (ICMP from ${msg.from})`));
  };

  const open = (): raw.Socket | string => {
    if (socket) return socket;
    let opened: raw.Socket;
    try {
      opened = raw.createSocket({ protocol: raw.Protocol.ICMP });
    } catch (err) {
      return `cannot open a raw ICMP socket (needs root or CAP_NET_RAW): ${errorText(err)}`;
    }
    try {
      opened.setOption(SOL_RAW, ICMP_FILTER, ICMP_FILTER_MASK);
    } catch (err) {
      opened.close();
      return `cannot set ICMP_FILTER on the raw ICMP socket: ${errorText(err)}`;
    }
    opened.on('message', onMessage);
    // raw-socket closes the socket itself after a poll error; both end every pending ping.
    opened.on('error', (err) => {
      if (socket === opened) drop(`raw ICMP socket error: ${errorText(err)}`);
    });
    opened.on('close', () => {
      if (socket === opened) drop('the raw ICMP socket closed');
    });
    socket = opened;
    return opened;
  };

  const ping = (host: string, signal: AbortSignal): Promise<ProbeResult> => {
    const stamp = stopwatch();
    return new Promise<ProbeResult>((resolve) => {
      const refuse = (o: Outcome): void => resolve(stamp(o));
      if (!isIPv4(host)) return refuse(fail('error', `cannot ping ${JSON.stringify(host)}: not an IPv4 address`));
      if (closed) return refuse(fail('error', 'the pinger is closed'));
      if (signal.aborted) return refuse(fail('timeout', 'aborted before the echo request was sent'));
      const sock = open();
      if (typeof sock === 'string') return refuse(fail('error', sock));

      const seq = sequence;
      sequence = (sequence + 1) & 0xffff;
      let done = false;
      const settle = (conclude: Conclude): void => {
        if (done) return;
        done = true;
        pending.delete(seq);
        signal.removeEventListener('abort', onAbort);
        // Read the stopwatch first: a reply's detail quotes the same duration the result carries.
        const { durationMs } = stamp(pass(''));
        resolve({ ...conclude(durationMs), durationMs });
      };
      const onAbort = (): void => settle(() => fail('timeout', `no echo reply from ${host} before the deadline`));
      pending.set(seq, { host, settle });
      signal.addEventListener('abort', onAbort, { once: true });

      const request = encodeEchoRequest({ identifier, sequence: seq, payload: PAYLOAD });
      // raw-socket queues the send and calls back from its poll handler: nothing here may throw.
      sock.send(request, 0, request.length, host, (err) => {
        if (!err) return;
        const text = errorText(err);
        const reason = UNREACHABLE_SEND_ERRORS.has(text) ? 'unreachable' : 'error';
        settle(() => fail(reason, `cannot send an echo request to ${host}: ${text}`));
      });
    });
  };

  return {
    ping,
    close() {
      if (closed) return;
      closed = true;
      drop('the pinger was closed before an answer came');
    },
  };
}
