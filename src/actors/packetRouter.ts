/**
 * One raw VRRP socket per interface (raw-socket has no recvmsg, so the interface is known only
 * by binding one socket to it). Inbound packets are decoded, checked against the instance that
 * owns the VRID (RFC 3768 7.1 / RFC 5798 7.1) and delivered as ADVERT events; everything
 * dropped is counted by reason and never reaches a statechart.
 */
import type { Logger } from '../io/log.js';
import { sleep } from '../io/sleep.js';
import { type LineSink, throttledLog } from '../io/throttledLog.js';
import { decodeIpv4Packet } from '../io/vrrp/codec.js';
import type { LocalInstance } from '../io/vrrp/packet.types.js';
import { checkAdvert } from '../io/vrrp/receiveChecks.js';
import { openVrrpSocket, type VrrpSocket } from '../io/vrrp/vrrpSocket.js';
import type { VrrpInstanceEvent } from '../machines/vrrp/vrrpInstance.types.js';
import type { Counters } from './counters.js';

export interface RoutedInstance {
  name: string;
  local: LocalInstance;
  /** Unicast mode: adverts are accepted only from these sources (keepalived does the same). */
  unicastPeers: string[];
  /** `receivedAt`: performance.now() when the packet reached the daemon, where its timers start. */
  deliver(event: VrrpInstanceEvent, receivedAt: number): void;
}

export interface InterfaceRouter {
  /** The interface's current socket; replaced if the kernel side dies. */
  readonly socket: VrrpSocket;
  close(): Promise<void>;
}

/** How long to wait before reopening a socket that died (an interface that went away and back). */
const REOPEN_DELAY_MS = 1_000;

/** What the interface's socket hands each inbound packet to; close() writes the pending summaries. */
export interface PacketHandler {
  onPacket(buf: Buffer, from: string, receivedAt: number): void;
  close(): void;
}

/**
 * Decode, route by VRID, check and deliver; everything dropped is counted by reason and logged
 * on a budget. A peer or an attacker can send at line rate: each kind of drop is logged in full
 * once, then summarized per interval; halo_vrrp_rx_dropped_total keeps the exact count.
 */
export function createPacketHandler(
  dev: string,
  instances: RoutedInstance[],
  deps: { counters: Counters; log: LineSink },
): PacketHandler {
  const { counters, log } = deps;
  const byVrid = new Map<number, RoutedInstance>();
  for (const inst of instances) byVrid.set(inst.local.vrid, inst);
  const undecodable = throttledLog(log, { level: 'debug', msg: 'vrrp packet dropped', fields: { dev } });
  const refused = throttledLog(log, { level: 'warn', msg: 'vrrp advert dropped', fields: { dev } });
  const mismatched = throttledLog(log, { level: 'warn', msg: 'advert lists other virtual addresses', fields: { dev } });
  const refuse = (inst: RoutedInstance, from: string, reason: string, detail: string): void => {
    counters.inc('halo_vrrp_rx_dropped_total', { dev, instance: inst.name, reason });
    refused.note(`${inst.name} ${reason}`, { instance: inst.name, from, reason, detail }, from);
  };

  const onPacket = (buf: Buffer, from: string, receivedAt: number): void => {
    const decoded = decodeIpv4Packet(buf);
    if (!decoded.ok) {
      counters.inc('halo_vrrp_rx_dropped_total', { dev, reason: decoded.reason });
      undecodable.note(decoded.reason, { from, reason: decoded.reason, detail: decoded.detail }, from);
      return;
    }
    const { packet } = decoded;
    const inst = byVrid.get(packet.vrrp.vrid);
    if (!inst) {
      // Another router's VRID on a shared segment is normal traffic, not an error.
      counters.inc('halo_vrrp_rx_other_vrid_total', { dev });
      return;
    }
    if (inst.unicastPeers.length > 0 && !inst.unicastPeers.includes(packet.ip.src)) {
      refuse(inst, packet.ip.src, 'unknown_peer', `${packet.ip.src} is not a unicast_peer`);
      return;
    }
    const checked = checkAdvert(packet, inst.local);
    if (!checked.ok) {
      refuse(inst, packet.ip.src, checked.reason, checked.detail);
      return;
    }
    if (checked.addressMismatch) {
      counters.inc('halo_vrrp_rx_addr_mismatch_total', { instance: inst.name });
      mismatched.note(
        inst.name,
        { instance: inst.name, from: packet.ip.src, theirs: packet.vrrp.addresses, ours: inst.local.addresses },
        packet.ip.src,
      );
    }
    counters.inc('halo_vrrp_rx_adverts_total', { instance: inst.name });
    inst.deliver(
      {
        type: 'ADVERT',
        priority: packet.vrrp.priority,
        srcIp: packet.ip.src,
        advertIntervalCs: packet.vrrp.advertIntervalCs,
      },
      receivedAt,
    );
  };
  return {
    onPacket,
    close() {
      for (const t of [undecodable, refused, mismatched]) t.close();
    },
  };
}

export function openInterfaceRouter(
  dev: string,
  instances: RoutedInstance[],
  deps: { counters: Counters; log: Logger; multicastGroup?: string },
): InterfaceRouter {
  const { counters, log } = deps;
  const multicast = instances.some((i) => i.unicastPeers.length === 0);
  const handler = createPacketHandler(dev, instances, deps);
  const { onPacket } = handler;
  // A send that fails fails on every advert until the interface comes back.
  const socketErrors = throttledLog(log, { level: 'error', msg: 'vrrp socket error', fields: { dev } });

  /** Aborted by close(): ends a reopen wait at once. */
  const halt = new AbortController();
  const open = (): VrrpSocket =>
    openVrrpSocket({
      dev,
      unicast: !multicast,
      ...(deps.multicastGroup ? { multicastGroup: deps.multicastGroup } : {}),
      onPacket,
      onError: (err) => {
        counters.inc('halo_vrrp_socket_errors_total', { dev });
        socketErrors.note(err.message, { err });
      },
      onUnexpectedClose: () => {
        log.error({ dev }, 'vrrp socket closed unexpectedly; reopening');
        void reopen();
      },
    });
  const reopen = async (): Promise<void> => {
    for (;;) {
      await sleep(REOPEN_DELAY_MS, halt.signal);
      if (halt.signal.aborted) return;
      try {
        socket = open();
        counters.inc('halo_vrrp_socket_reopens_total', { dev });
        return;
      } catch (err) {
        log.error({ dev, err }, 'vrrp socket reopen failed; retrying');
      }
    }
  };
  let socket = open();
  return {
    get socket() {
      return socket;
    },
    close: () => {
      halt.abort();
      handler.close();
      socketErrors.close();
      return socket.close();
    },
  };
}
