/**
 * Binds one VRRP instance statechart to the world: adverts out through the interface's raw
 * socket, VIPs through `ip addr` (serialised), gratuitous ARP through arping (never awaited,
 * killed when the instance leaves master), and notify requests to the instance's notify queue actor.
 */
import { fromCallback } from 'xstate';
import type { VrrpGlobals, VrrpInstanceConfig } from '../config/vrrp.model.js';
import type { Logger } from '../io/log.js';
import { createGarpAnnouncer } from '../io/net/garpAnnouncer.js';
import type { IpBatch } from '../io/net/ipBatch.js';
import { addVip, delVip, type VipSpec } from '../io/net/vip.js';
import { encodeIpv4Packet } from '../io/vrrp/codec.js';
import type { LocalInstance } from '../io/vrrp/packet.types.js';
import type { VrrpSocket } from '../io/vrrp/vrrpSocket.js';
import { vrrpInstanceMachine } from '../machines/vrrp/vrrpInstance.machine.js';
import type {
  AnnouncerEvent,
  AnnouncerInput,
  TrackedInput,
  VrrpInstanceInput,
} from '../machines/vrrp/vrrpInstance.types.js';
import type { ActorBus } from './bus.js';
import type { Counters } from './counters.js';
import { createSerialQueue } from './serialQueue.js';
import type { VipPresence } from './vipPresence.js';
import { actorIds } from './actorIds.js';
import type { PreciseClock } from './preciseClock.js';
import { warmTakeover } from './takeoverWarmup.js';
import { preciseVrrpDelays } from './vrrpTimers.js';

export interface VrrpBindingDeps {
  globals: VrrpGlobals;
  /** This node's address on the instance's interface (or unicast_src_ip). */
  primaryIp: string;
  /** Link state of the interface at start. */
  linkUp: boolean;
  socket: () => VrrpSocket;
  bus: ActorBus;
  counters: Counters;
  vips: VipPresence;
  /** The daemon's long-lived `ip -batch`: VIP changes without a fork on the takeover path. */
  ipBatch: IpBatch;
  /** The node's clock: the instance's RFC timers are tagged precise on it. */
  clock: PreciseClock;
  log: Logger;
}

export function vipSpecs(cfg: VrrpInstanceConfig): VipSpec[] {
  return cfg.vips.map((v) => ({
    address: v.address,
    prefix: v.prefix,
    dev: v.dev ?? cfg.interface,
    ...(v.label ? { label: v.label } : {}),
    ...(v.brd ? { brd: v.brd } : {}),
  }));
}

export function localInstance(cfg: VrrpInstanceConfig): LocalInstance {
  return {
    version: cfg.version,
    vrid: cfg.vrid,
    advertIntervalCs: cfg.advertIntervalCs,
    addresses: cfg.vips.map((v) => v.address),
    unicast: cfg.unicastPeers.length > 0,
    ...(cfg.auth.type === 'pass' ? { authPass: cfg.auth.pass } : {}),
  };
}

export function instanceInput(cfg: VrrpInstanceConfig, primaryIp: string, linkUp = true): VrrpInstanceInput {
  const trackers: TrackedInput[] = [
    ...cfg.trackScripts.map((t) => ({ name: t.name, kind: 'script' as const, weight: t.weight, reverse: t.reverse })),
    ...cfg.trackInterfaces.map((t) => ({
      name: t.name,
      kind: 'interface' as const,
      weight: t.weight,
      reverse: t.reverse,
    })),
    ...cfg.trackFiles.map((t) => ({ name: t.name, kind: 'file' as const, weight: t.weight, reverse: t.reverse })),
  ];
  return {
    name: cfg.name,
    vrid: cfg.vrid,
    version: cfg.version,
    basePriority: cfg.priority,
    advertIntervalCs: cfg.advertIntervalCs,
    preempt: cfg.preempt,
    preemptDelayCs: cfg.preemptDelayCs,
    initialState: cfg.state,
    primaryIp,
    trackers,
    garp: cfg.garp,
    heal: cfg.heal,
    linkUp,
  };
}

export function bindVrrpInstance(cfg: VrrpInstanceConfig, deps: VrrpBindingDeps) {
  const { log, counters, bus } = deps;
  const vips = vipSpecs(cfg);
  const vipOps = createSerialQueue((err) => {
    counters.inc('halo_vip_errors_total', { instance: cfg.name });
    log.error({ err }, 'virtual address change failed');
  });
  const destinations = cfg.unicastPeers.length > 0 ? cfg.unicastPeers : [deps.globals.mcastGroup4];
  const addresses = vips.map((v) => v.address);
  // Only priority and interval vary between adverts, so each packet is built once, as keepalived
  // builds its advert at start-up: the takeover path then runs no encoder or checksum code —
  // and the first advert is built here, not cold on the takeover.
  const packetCache = new Map<string, Buffer[]>();
  const advertPackets = (priority: number, advertIntervalCs: number): Buffer[] => {
    const key = `${priority}/${advertIntervalCs}`;
    let packets = packetCache.get(key);
    if (!packets) {
      packets = destinations.map((dst) =>
        encodeIpv4Packet({
          version: cfg.version,
          vrid: cfg.vrid,
          priority,
          advertIntervalCs,
          addresses,
          ...(cfg.auth.type === 'pass' ? { authPass: cfg.auth.pass } : {}),
          src: deps.primaryIp,
          dst,
        }),
      );
      packetCache.set(key, packets);
    }
    return packets;
  };
  advertPackets(cfg.priority, cfg.advertIntervalCs);
  // The priority-0 advert of a graceful stop starts the peer's Skew_Time: built now, not on the way out.
  advertPackets(0, cfg.advertIntervalCs);

  const logic = vrrpInstanceMachine.provide({
    delays: preciseVrrpDelays(deps.clock, cfg.name),
    actions: {
      sendAdvert: (_, params) => {
        const socket = deps.socket();
        const packets = advertPackets(params.priority, params.advertIntervalCs);
        for (const [i, dst] of destinations.entries()) socket.send(packets[i]!, dst);
        counters.inc('halo_vrrp_tx_adverts_total', { instance: cfg.name });
      },
      addVips: () => {
        for (const vip of vips)
          vipOps.push(() => addVip(vip, deps.ipBatch).then(() => deps.vips.set(vip.address, true)));
        log.info({ vips: addresses }, 'adding virtual addresses');
      },
      removeVips: () => {
        // Listeners on the VIP close first, then the address goes.
        for (const vip of vips) {
          deps.vips.set(vip.address, false);
          vipOps.push(() => delVip(vip, deps.ipBatch));
        }
        log.info({ vips: addresses }, 'removing virtual addresses');
      },
      notify: (_, params) => {
        bus.send(actorIds.notify(cfg.name), { type: 'NOTIFY', state: params.state, priority: params.priority });
      },
    },
    actors: {
      // Each burst after the VIP changes queued before it: arping sends from the VIP, and its fork
      // must not sit in front of the advert or the address change. Leaving master kills the rest.
      announcer: fromCallback<AnnouncerEvent, AnnouncerInput>(({ input, receive }) => {
        const announcer = createGarpAnnouncer(vips, log);
        const burst = (repeat: number): void => vipOps.push(async () => announcer.burst(repeat));
        // On an actor's first macrostep (the address owner is master at start) xstate starts
        // invoked actors before the entry actions run: a microtask puts this burst behind addVips.
        queueMicrotask(() => burst(input.repeat));
        receive((e) => burst(e.repeat));
        return () => announcer.stop();
      }),
    },
  });
  const input = instanceInput(cfg, deps.primaryIp, deps.linkUp);
  const unwarm = warmTakeover(logic, input, {
    clock: deps.clock,
    ipBatch: deps.ipBatch,
    snapshot: () => bus.get(actorIds.vrrp(cfg.name))?.getSnapshot(),
  });
  return { logic, input, vips, vipOps, local: localInstance(cfg), unwarm };
}
