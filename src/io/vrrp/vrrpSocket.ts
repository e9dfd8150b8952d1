/**
 * One raw IPPROTO_VRRP socket per interface. raw-socket has no recvmsg(), so a socket cannot
 * tell which interface a packet came in on; binding it to one device (SO_BINDTODEVICE) makes
 * "this socket" mean "this interface". The caller hands `send` a complete IPv4 packet
 * (IP_HDRINCL): the source address is ours to choose, because the VRRPv3 checksum covers it
 * (RFC 5798 §5.2.8) and unicast_src_ip must appear exactly as configured.
 */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import raw from 'raw-socket';
import { HaloError } from '../../errors.js';
import { rawSocketFastPath } from './rawSocketFastPath.js';
import {
  deviceNameOption,
  IP_ADD_MEMBERSHIP,
  IP_HDRINCL,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TOS,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_VRRP,
  ipMreqn,
  SO_BINDTODEVICE,
  SOL_SOCKET,
  TOS_INTERNETWORK_CONTROL,
  VRRP_MCAST_GROUP,
} from './socketOptions.js';

export interface VrrpSocketOptions {
  dev: string;
  /** Default 224.0.0.18; ignored in unicast mode. */
  multicastGroup?: string;
  /** keepalived's unicast_peer mode: no group membership, adverts go to each peer's address. */
  unicast?: boolean;
  /**
   * `packet` is the whole IPv4 datagram (header included) and is the listener's to keep.
   * `receivedAt` is performance.now() when the socket polled readable for it.
   */
  onPacket: (packet: Buffer, from: string, receivedAt: number) => void;
  onError: (err: HaloError) => void;
  /** The socket closed without close() being called (raw-socket closes it on a poll error). */
  onUnexpectedClose?: () => void;
}

export interface VrrpSocket {
  /**
   * Fire and forget: handed to the kernel at once (queued if its buffer is full), never blocks; failures go to
   * onError.
   */
  send(ipPacket: Buffer, dst: string): void;
  /**
   * Refuses new sends at once; closes after the sends already queued have gone out (bounded),
   * so a graceful stop's priority-0 advert is not dropped with the socket.
   */
  close(): Promise<void>;
  readonly dev: string;
  stats: { sent: number; sendErrors: number; received: number };
}

/** How long close() waits for queued sends (a priority-0 advert) to reach the kernel. */
const CLOSE_DRAIN_MS = 200;

/** RFC 5798 §5.1.1.3: adverts carry TTL 255 and receivers drop anything else. */
const VRRP_TTL = 255;
/** Large enough for any IPv4 datagram, so a packet is never silently truncated by recvfrom(). */
const RECV_BUFFER = 65535;

/**
 * Open and configure the socket. Throws HaloError('HALO_E_VRRP_SOCKET') if the device is
 * unknown or the kernel refuses an option; after that, every error goes to `onError`.
 */
export function openVrrpSocket(opts: VrrpSocketOptions): VrrpSocket {
  const { dev } = opts;
  const ifindex = readIfindex(dev);
  const socket = attempt(dev, 'socket', () => raw.createSocket({ protocol: IPPROTO_VRRP, bufferSize: RECV_BUFFER }));
  const stats = { sent: 0, sendErrors: 0, received: 0 };
  let closed = false;

  const fail = (what: string, err: unknown, context: Record<string, unknown> = {}): void => {
    opts.onError(
      new HaloError('HALO_E_VRRP_SOCKET', `${dev}: ${what}: ${errorText(err)}`, { dev, ...context }, { cause: err }),
    );
  };

  let fast: ReturnType<typeof rawSocketFastPath>;
  try {
    fast = rawSocketFastPath(socket, dev);
    configure(socket, dev, ifindex, opts.unicast ? undefined : (opts.multicastGroup ?? VRRP_MCAST_GROUP));
  } catch (err) {
    socket.close();
    throw err;
  }

  // Stamped before raw-socket's own listener reads the packet, which a timer counted from
  // receipt would otherwise lose.
  let readyAt = 0;
  fast.onReadable(() => {
    readyAt = performance.now();
  });
  socket.on('message', (buffer, from) => {
    stats.received++;
    // raw-socket reuses one receive buffer for every recvfrom(): hand out a copy.
    const packet = Buffer.from(buffer);
    try {
      opts.onPacket(packet, from, readyAt);
    } catch (err) {
      fail('packet handler threw', err, { from });
    }
  });
  socket.on('error', (err) => fail('socket error', err));
  socket.on('close', () => {
    if (closed) return;
    closed = true;
    opts.onUnexpectedClose?.();
  });

  /** Sends handed to raw-socket whose callback has not run: it writes on the next writable poll. */
  let inflight = 0;
  let drained: (() => void) | undefined;
  const afterSend = (dst: string) => (err: Error | null) => {
    inflight--;
    if (inflight === 0) drained?.();
    if (err) {
      stats.sendErrors++;
      fail('send failed', err, { dst });
    } else {
      stats.sent++;
    }
  };

  /**
   * Handed to the kernel when the timer fires, as keepalived does (see rawSocketFastPath);
   * false when the datagram still has to be queued (a full socket buffer, or sends queued).
   */
  const sendNow = (ipPacket: Buffer, dst: string): boolean => {
    // The native send parses the address without checking it (raw-socket's send() checks it first).
    if (!isIPv4(dst)) {
      stats.sendErrors++;
      fail('send failed', new Error(`Invalid IP address '${dst}'`), { dst });
      return true;
    }
    try {
      if (!fast.send(ipPacket, dst)) return false;
      stats.sent++;
    } catch (err) {
      stats.sendErrors++;
      fail('send failed', err, { dst });
    }
    return true;
  };

  return {
    dev,
    stats,
    send(ipPacket, dst) {
      // raw-socket would silently re-create an unconfigured socket on send after close.
      if (closed) {
        stats.sendErrors++;
        fail('send failed', new Error('socket is closed'), { dst });
        return;
      }
      if (sendNow(ipPacket, dst)) return;
      inflight++;
      socket.send(ipPacket, 0, ipPacket.length, dst, afterSend(dst));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_DRAIN_MS);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      try {
        socket.close();
      } catch (err) {
        fail('close failed', err);
      }
    },
  };
}

function configure(socket: raw.Socket, dev: string, ifindex: number, group: string | undefined): void {
  const set = (name: string, level: number, option: number, value: number | Buffer): void => {
    attempt(dev, `setsockopt ${name}`, () => {
      if (typeof value === 'number') socket.setOption(level, option, value);
      else socket.setOption(level, option, value, value.length);
    });
  };
  set('IP_HDRINCL', IPPROTO_IP, IP_HDRINCL, 1);
  const name = deviceNameOption(dev);
  set('SO_BINDTODEVICE', SOL_SOCKET, SO_BINDTODEVICE, name);
  // The header we are handed already carries TTL 255 and TOS 0xc0; these make the socket
  // itself agree, so nothing it sends can leave with the kernel's defaults (TTL 64, multicast TTL 1).
  set('IP_TTL', IPPROTO_IP, IP_TTL, VRRP_TTL);
  set('IP_TOS', IPPROTO_IP, IP_TOS, TOS_INTERNETWORK_CONTROL);
  if (group === undefined) return;
  set('IP_MULTICAST_IF', IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', '0.0.0.0', ifindex));
  set('IP_MULTICAST_TTL', IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL);
  // Our own adverts must not come back to us as if a peer had sent them.
  set('IP_MULTICAST_LOOP', IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  set('IP_ADD_MEMBERSHIP', IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, '0.0.0.0', ifindex));
}

/** /sys/class/net is per network namespace (ip netns exec remounts it), so this is the index we bind to. */
function readIfindex(dev: string): number {
  const text = attempt(dev, 'read ifindex', () => readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8'));
  const index = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(index) || index <= 0) {
    throw new HaloError('HALO_E_VRRP_SOCKET', `${dev}: bad ifindex ${JSON.stringify(text)}`, { dev });
  }
  return index;
}

function attempt<T>(dev: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HaloError) throw err;
    throw new HaloError('HALO_E_VRRP_SOCKET', `${dev}: ${what}: ${errorText(err)}`, { dev }, { cause: err });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
