/**
 * The VRRP part of a node: from a parsed keepalived config to instance, tracker, sync-group and
 * notify-queue actors bound to sockets, link watchers and scripts — and back down on a graceful
 * stop (priority-0 adverts, VIPs removed, notify_stop run): keepalived's lifecycle, as actors.
 */
import { waitFor } from 'xstate';
import type { VrrpConfig, VrrpInstanceConfig } from '../config/vrrp.model.js';
import { HaloError } from '../errors.js';
import { watchLink } from '../io/net/linkWatch.js';
import { openIpBatch } from '../io/net/ipBatch.js';
import { delVip, listAddresses, type VipSpec } from '../io/net/vip.js';
import { isNotifyQueueDrained } from '../machines/notify/notifyQueue.machine.js';
import { syncGroupMachine } from '../machines/vrrp/syncGroup.machine.js';
import { isStopped } from '../machines/vrrp/vrrpInstance.machine.js';
import type { VrrpInstanceEvent } from '../machines/vrrp/vrrpInstance.types.js';
import { actorIds } from './actorIds.js';
import { CONTROL_PLANE_NICE, IP_BATCH_FIFO, raiseControlPlane } from './controlPlanePriority.js';
import type { NodeContext, NodePart } from './nodePart.js';
import { bindNotifyQueue } from './notifyBinding.js';
import { type InterfaceRouter, openInterfaceRouter, type RoutedInstance } from './packetRouter.js';
import type { ChildSpec } from './rootMachine.js';
import { bindFileTracker, bindInterfaceTracker, bindScriptTracker, trackingInstances } from './trackerBinding.js';
import { watchTrackFile } from './trackFileWatch.js';
import { primeClock } from './takeoverWarmup.js';
import { bindVrrpInstance, vipSpecs } from './vrrpBinding.js';

export interface VrrpPartOptions {
  /** How long a notify script may run before its queue stops it. */
  notifyTimeoutMs?: number;
}

/** The config's VIPs that are on their interfaces now. */
async function leftBehind(cfg: VrrpConfig): Promise<VipSpec[]> {
  const vips = cfg.instances.flatMap(vipSpecs);
  const devs = [...new Set(vips.map((v) => v.dev))];
  const listed = await Promise.all(devs.map(async (dev) => new Set((await listAddresses(dev)).map((a) => a.address))));
  return vips.filter((v) => listed[devs.indexOf(v.dev)]!.has(v.address));
}

/** Our own address on an interface: the first one that is not one of the config's VIPs. */
async function primaryAddress(inst: VrrpInstanceConfig, vipSet: Set<string>): Promise<string> {
  if (inst.unicastSrcIp) return inst.unicastSrcIp;
  const own = (await listAddresses(inst.interface)).find((a) => !vipSet.has(a.address));
  if (!own) {
    throw new HaloError(
      'HALO_E_NET_COMMAND',
      `interface ${inst.interface} has no IPv4 address of its own for instance ${inst.name}`,
      {
        instance: inst.name,
        dev: inst.interface,
        pos: inst.pos,
      },
    );
  }
  return own.address;
}

export async function prepareVrrpPart(
  cfg: VrrpConfig,
  ctx: NodeContext,
  opts: VrrpPartOptions = {},
): Promise<NodePart> {
  const { log, counters, bus } = ctx;
  const vipSet = new Set(cfg.instances.flatMap((i) => i.vips.map((v) => v.address)));
  ctx.vips.manage(vipSet);
  const notifyTimeoutMs = opts.notifyTimeoutMs ?? 30_000;
  // `ip` adds the VIP on takeover: it must get a CPU as soon as the daemon writes to it.
  const ipBatch = openIpBatch({
    nice: CONTROL_PLANE_NICE,
    fifo: IP_BATCH_FIFO,
    onPriorityError: (message) => log.info({ message }, 'the ip helper runs at normal priority'),
  });
  const closers: Array<() => void> = [];
  const routers = new Map<string, InterfaceRouter>();
  // Opened at the part's start, or earlier on first use: an owner (priority 255) sends its first
  // advert as its actor starts, inside the node's start and before any part's.
  const routerOf = (dev: string): InterfaceRouter => {
    let router = routers.get(dev);
    if (!router) {
      router = openInterfaceRouter(dev, routed.get(dev) ?? [], {
        counters,
        log: log.child({ dev }),
        multicastGroup: cfg.globals.mcastGroup4,
      });
      routers.set(dev, router);
    }
    return router;
  };
  const routed = new Map<string, RoutedInstance[]>();
  const children: ChildSpec[] = [];
  const instanceChildren: ChildSpec[] = [];
  const bindings: Array<{ inst: VrrpInstanceConfig; binding: ReturnType<typeof bindVrrpInstance> }> = [];

  // Link watchers first: each instance starts knowing its link state (a dead link starts in Fault).
  const links = new Map<string, ReturnType<typeof watchLink>>();
  for (const dev of new Set(cfg.instances.map((i) => i.interface))) {
    const w = watchLink(
      dev,
      (up) => {
        for (const i of cfg.instances) if (i.interface === dev) bus.send(actorIds.vrrp(i.name), { type: 'LINK', up });
      },
      log,
    );
    links.set(dev, w);
    closers.push(() => w.close());
  }

  // Nothing may be left running (the ip batch, link monitors) if the config cannot start here.
  try {
    // A VIP this config owns that a crashed run left behind goes before we elect anything. Sent
    // before the instances are bound, so the `ip` helper works while they are; it takes its lines
    // in order, so nothing this run adds later can overtake them.
    const cleared = Promise.allSettled((await leftBehind(cfg)).map((vip) => delVip(vip, ipBatch)));
    for (const inst of cfg.instances) {
      const binding = bindVrrpInstance(inst, {
        globals: cfg.globals,
        primaryIp: await primaryAddress(inst, vipSet),
        linkUp: links.get(inst.interface)?.current() ?? true,
        socket: () => routerOf(inst.interface).socket,
        bus,
        counters,
        vips: ctx.vips,
        ipBatch,
        clock: ctx.clock,
        log: log.child({ actor: actorIds.vrrp(inst.name) }),
      });
      closers.push(binding.unwarm);
      bindings.push({ inst, binding });
      const list = routed.get(inst.interface) ?? [];
      const deliver = (ev: VrrpInstanceEvent, receivedAt: number): void =>
        ctx.clock.armFrom(receivedAt, () => bus.send(actorIds.vrrp(inst.name), ev));
      list.push({ name: inst.name, local: binding.local, unicastPeers: inst.unicastPeers, deliver });
      routed.set(inst.interface, list);
      const nq = bindNotifyQueue(
        { kind: 'INSTANCE', name: inst.name, scripts: inst.notify },
        { log: log.child({ actor: actorIds.notify(inst.name) }), counters, timeoutMs: notifyTimeoutMs },
      );
      // Notify queues before instances, instances before trackers: every report finds its addressee.
      children.push({ systemId: actorIds.notify(inst.name), logic: nq.logic, input: nq.input });
      instanceChildren.push({ systemId: actorIds.vrrp(inst.name), logic: binding.logic, input: binding.input });
    }
    for (const outcome of await cleared) if (outcome.status === 'rejected') throw outcome.reason;
  } catch (err) {
    for (const close of closers) close();
    ipBatch.close();
    throw err;
  }
  for (const group of cfg.syncGroups) {
    const queueId = actorIds.groupNotify(group.name);
    const nq = bindNotifyQueue(
      { kind: 'GROUP', name: group.name, scripts: group.notify },
      { log: log.child({ actor: queueId }), counters, timeoutMs: notifyTimeoutMs },
    );
    children.push({ systemId: queueId, logic: nq.logic, input: nq.input });
    const logic = syncGroupMachine.provide({
      actions: {
        forceMembers: (_, params) => {
          for (const member of group.instances)
            if (member !== params.except) bus.send(actorIds.vrrp(member), { type: 'SYNC', state: params.state });
        },
        // keepalived passes no priority for a group; 0 keeps the generic script's four arguments.
        notify: (_, params) => bus.send(queueId, { type: 'NOTIFY', state: params.state, priority: 0 }),
      },
    });
    children.push({
      systemId: actorIds.sync(group.name),
      logic,
      input: { name: group.name, members: group.instances },
    });
  }
  children.push(...instanceChildren);

  for (const script of cfg.scripts) {
    const users = trackingInstances(cfg, 'script', script.name);
    if (users.length === 0) continue;
    const t = bindScriptTracker(script, users, {
      bus,
      counters,
      log: log.child({ actor: actorIds.script(script.name) }),
    });
    children.push({ systemId: actorIds.script(script.name), logic: t.logic, input: t.input });
  }
  const trackedDevs = [...new Set(cfg.instances.flatMap((i) => i.trackInterfaces.map((t) => t.name)))];
  for (const dev of trackedDevs) {
    const t = bindInterfaceTracker(dev, trackingInstances(cfg, 'interface', dev), bus);
    children.push({ systemId: actorIds.iface(dev), logic: t.logic, input: t.input });
  }
  const trackedFiles = cfg.trackFiles.filter((f) => trackingInstances(cfg, 'file', f.name).length > 0);
  for (const file of trackedFiles) {
    const t = bindFileTracker(file.name, trackingInstances(cfg, 'file', file.name), bus);
    children.push({ systemId: actorIds.file(file.name), logic: t.logic, input: t.input });
  }

  let started = false;
  const start = (): void => {
    started = true;
    raiseControlPlane(log);
    for (const dev of routed.keys()) routerOf(dev);
    // With no VIP to clear, the `ip` helper starts here, after the sockets (its fork holds up the
    // loop), and long before a takeover could need it.
    ipBatch.warm();
    for (const dev of trackedDevs) {
      const w = watchLink(dev, (up) => bus.send(actorIds.iface(dev), { type: 'LINK', up }), log);
      closers.push(() => w.close());
      bus.send(actorIds.iface(dev), { type: 'LINK', up: w.current() });
    }
    for (const file of trackedFiles) {
      closers.push(
        watchTrackFile(file.path, (value) => bus.send(actorIds.file(file.name), { type: 'FILE_VALUE', value })),
      );
    }
    // Each member announces its state (and a fault of its own that starts while the group holds
    // it in FAULT); the group hears it as that member's report.
    for (const group of cfg.syncGroups) {
      for (const member of group.instances) {
        const sub = bus
          .get(actorIds.vrrp(member))
          ?.on('STATUS', ({ state }) => bus.send(actorIds.sync(group.name), { type: 'MEMBER_STATE', member, state }));
        if (sub) closers.push(() => sub.unsubscribe());
      }
    }
    // Last, once the sockets are open and every watcher runs: its throwaway timers only arm here,
    // and their spins take loop turns between the start's own work, never in front of it.
    void primeClock(ctx.clock);
  };

  const shutDownActors = async (): Promise<void> => {
    for (const { inst } of bindings) bus.send(actorIds.vrrp(inst.name), { type: 'SHUTDOWN' });
    for (const { inst } of bindings) {
      const actor = bus.get(actorIds.vrrp(inst.name));
      if (actor) await waitFor(actor, isStopped, { timeout: 2_000 }).catch(() => undefined);
    }
    // notify_stop (and anything queued before it) must run before we exit; each queue's own
    // timeout bounds the wait.
    const queues = [
      ...cfg.instances.map((i) => actorIds.notify(i.name)),
      ...cfg.syncGroups.map((g) => actorIds.groupNotify(g.name)),
    ];
    for (const id of queues) {
      const queue = bus.get(id);
      if (!queue) continue;
      await waitFor(queue, isNotifyQueueDrained, { timeout: notifyTimeoutMs + 1_000 }).catch(() => undefined);
    }
    await Promise.all(bindings.map((b) => b.binding.vipOps.drained()));
  };

  const stop = async (): Promise<void> => {
    // A part that never started (the node's start failed elsewhere) only has helpers to release.
    if (started) await shutDownActors();
    for (const close of closers) close();
    await Promise.all([...routers.values()].map((r) => r.close()));
    ipBatch.close();
  };
  return { children, start, stop };
}
