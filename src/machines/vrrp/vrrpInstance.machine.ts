/**
 * One VRRP instance as a statechart: RFC 3768 6.4 / RFC 5798 6.4 (Initialize, Backup, Master)
 * plus keepalived's FAULT and STOP. Pure: adverts, VIPs and notify scripts are named actions
 * the wiring provides with `.provide()`, GARPs an actor it provides that lives exactly as long
 * as the master state (so nothing announces the VIPs once we gave them up); every timer is an
 * xstate delay.
 *
 * Top-level states are atomic so the state value is always one VrrpStateName string; timers
 * that must outlive a re-arm (Adver_Timer, GARP, preempt_delay) are delayed self-events with
 * ids, Master_Down_Timer is the backup state's `after`, re-armed with `reenter: true`.
 *
 * Where the RFC leaves room we follow keepalived (keepalived/vrrp/vrrp.c, vrrp_scheduler.c):
 * - `state MASTER` with priority < 255 starts as BACKUP with a full Master_Down_Timer, and
 *   clears nopreempt and preempt_delay (vrrp_complete_instance; vrrp_init_state only takes the
 *   fast path to MASTER for the address owner).
 * - The address owner goes straight to MASTER (RFC 5798 6.4.1) whatever its `state`.
 * - The instance stays in `initialize` until every weight-0 tracker and every track_file has
 *   reported (keepalived's num_script_init keeps the instance down until its scripts' first
 *   result); a script with init_fail reports failure at once (see scriptTracker.machine.ts).
 *   The own link is assumed up until a LINK event says otherwise.
 * - A master going to FAULT sends a priority-0 advert first (vrrp_state_leave_master).
 * - Another master heard while master means both were master while they could not hear each
 *   other (a partition that healed), and clients follow whichever sent the last GARP
 *   (keepalived vrrp_state_master_rx). RFC 3768 / RFC 5798 6.4.3 discard a lower-priority
 *   advert; like keepalived (unless `lower_prio_no_advert`) we answer it at once with ours, and
 *   re-send GARPs (`garp_lower_prio_repeat`, again after `garp_lower_prio_delay`), so the
 *   clients come back. Before yielding to a higher priority we send one advert of ours
 *   (`higher_prio_send_advert`), so the winner hears the split brain and re-announces: with
 *   both on, a heal ends with the winner's GARPs whichever advert crosses first. Each exchange
 *   is journaled once: the yield by its state change, the kept mastership by a self-transition
 *   marked `meta: { journal: true }` (see transitionMapper.ts).
 * - A priority change from a tracker takes effect on the next advert sent and on the next
 *   Master_Down_Timer armed; keepalived also shifts a running backup deadline by the change in
 *   Skew_Time (< 1 s), which a pure chart without a clock cannot do.
 */
import {
  and,
  assertEvent,
  assign,
  cancel,
  emit,
  enqueueActions,
  fromCallback,
  not,
  raise,
  type SnapshotFrom,
  setup,
} from 'xstate';
import { advertLoses, advertWins, effectivePriority, PRIORITY_OWNER } from './priority.js';
import { masterDownIntervalMs, skewTimeMs } from './timers.js';
import type {
  AnnouncerEvent,
  AnnouncerInput,
  TrackerStatus,
  VrrpInstanceContext,
  VrrpInstanceEmitted,
  VrrpInstanceEvent,
  VrrpInstanceInput,
  VrrpStateName,
  VrrpTimerEvent,
} from './vrrpInstance.types.js';

type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
type SyncState = 'master' | 'backup' | 'fault';

const LINK_DOWN_REASON = 'interface down';
const ADVER_TIMER_ID = 'adverTimer';
const GARP_DELAY_ID = 'garpDelay';
const GARP_REFRESH_ID = 'garpRefresh';
const LOWER_PRIO_GARP_ID = 'lowerPrioGarp';
const ANNOUNCER_ID = 'announcer';
const PREEMPT_DELAY_ID = 'preemptDelay';

/** Priority and own fault reasons follow from the trackers' last reports and the link. */
function statusFrom(
  ctx: VrrpInstanceContext,
  trackers: TrackerStatus[],
  linkUp: boolean,
): Partial<VrrpInstanceContext> {
  const reported = trackers.filter((t): t is TrackerStatus & { ok: boolean } => t.ok !== null);
  const result = effectivePriority(ctx.basePriority, reported);
  const faultReasons = [...(linkUp ? [] : [LINK_DOWN_REASON]), ...result.reasons];
  return {
    trackers,
    linkUp,
    effectivePriority: result.priority,
    faultReasons,
    // A member the sync group holds in FAULT that now has a fault of its own comes up on its
    // own when that clears (keepalived counts it in num_member_fault).
    syncFault: ctx.syncFault && faultReasons.length === 0,
  };
}

/** What a tracker report or a link change does to priority and own faults (nothing for a tracker we do not use). */
function statusAfter(
  ctx: VrrpInstanceContext,
  event: VrrpInstanceEvent | VrrpTimerEvent,
): Partial<VrrpInstanceContext> {
  if (event.type === 'LINK') return statusFrom(ctx, ctx.trackers, event.up);
  if (event.type !== 'TRACK' || !ctx.trackers.some((t) => t.name === event.name)) return {};
  const trackers = ctx.trackers.map((t) =>
    t.name === event.name ? { ...t, ok: event.ok, ...(event.value === undefined ? {} : { value: event.value }) } : t,
  );
  return statusFrom(ctx, trackers, ctx.linkUp);
}

function initialContext(input: VrrpInstanceInput): VrrpInstanceContext {
  const startsMaster = input.initialState === 'MASTER';
  const ctx: VrrpInstanceContext = {
    name: input.name,
    vrid: input.vrid,
    version: input.version,
    primaryIp: input.primaryIp,
    basePriority: input.basePriority,
    effectivePriority: input.basePriority,
    advertIntervalCs: input.advertIntervalCs,
    masterAdvertIntervalCs: input.advertIntervalCs,
    // keepalived: nopreempt is reset for the address owner and for `state MASTER`;
    // preempt_delay is reset for `state MASTER` (vrrp_complete_instance).
    preempt: input.preempt || startsMaster || input.basePriority === PRIORITY_OWNER,
    preemptDelayCs: startsMaster ? 0 : input.preemptDelayCs,
    preemptDelay: 'idle',
    garp: input.garp,
    heal: input.heal,
    splitBrains: 0,
    lastSplitBrain: null,
    trackers: input.trackers.map((t) => ({ ...t, ok: null })),
    linkUp: input.linkUp ?? true,
    faultReasons: [],
    syncFault: false,
    masterIp: null,
    masterPriority: null,
    downTimerMs: 0,
    becameMaster: 0,
    releasedMaster: 0,
  };
  return { ...ctx, ...statusFrom(ctx, ctx.trackers, ctx.linkUp) };
}

const notifyAs = (state: NotifyState) => ({
  type: 'notify' as const,
  params: ({ context }: { context: VrrpInstanceContext }) => ({ state, priority: context.effectivePriority }),
});

/**
 * Announce the state being entered. Every state but `backup` announces on entry; `backup` is
 * re-entered on each accepted advert (re-arming Master_Down_Timer), so the transitions that come
 * into it from another state announce it.
 */
const announce = (state: VrrpStateName) => ({ type: 'announce' as const, params: { state } });

/** An advert of ours: the effective priority, the configured interval. */
const ourAdvert = (context: VrrpInstanceContext) => ({
  priority: context.effectivePriority,
  advertIntervalCs: context.advertIntervalCs,
});

const advertise = {
  type: 'sendAdvert' as const,
  params: ({ context }: { context: VrrpInstanceContext }) => ourAdvert(context),
};

/** RFC 3768 6.4.3 / RFC 5798 6.4.3: a master that stops sends an advert with priority 0. */
const advertiseResign = {
  type: 'sendAdvert' as const,
  params: ({ context }: { context: VrrpInstanceContext }) => ({
    priority: 0,
    advertIntervalCs: context.advertIntervalCs,
  }),
};

/** keepalived clears preempt_time whenever the instance enters BACKUP afresh or leaves it. */
const resetPreemptDelay = ['cancelPreemptDelay', 'preemptDelayIdle'] as const;

export const vrrpInstanceMachine = setup({
  types: {
    input: {} as VrrpInstanceInput,
    context: {} as VrrpInstanceContext,
    events: {} as VrrpInstanceEvent | VrrpTimerEvent,
    emitted: {} as VrrpInstanceEmitted,
    children: {} as { announcer: 'announcer' },
  },
  actors: {
    // Provided by the wiring; the default sends nothing so the chart runs on its own in tests.
    announcer: fromCallback<AnnouncerEvent, AnnouncerInput>(() => undefined),
  },
  actions: {
    // Effects the wiring provides; the defaults do nothing so the chart runs on its own in tests.
    sendAdvert: (_, _params: { priority: number; advertIntervalCs: number }) => {},
    addVips: () => {},
    removeVips: () => {},
    notify: (_, _params: { state: NotifyState; priority: number }) => {},

    applyStatus: assign(({ context, event }) => statusAfter(context, event)),
    announce: emit(({ context }, params: { state: VrrpStateName }) => ({
      type: 'STATUS' as const,
      state: params.state,
      ownFault: context.faultReasons.length > 0,
    })),
    holdBySync: assign({ syncFault: true }),
    releaseBySync: assign({ syncFault: false }),

    /** RFC 3768 6.4.2 / RFC 5798 6.4.2: Master_Down_Timer = Master_Down_Interval. */
    armMasterDown: assign({
      downTimerMs: ({ context }) =>
        masterDownIntervalMs(context.effectivePriority, context.masterAdvertIntervalCs, context.version),
    }),
    /** RFC 3768 6.4.2 / RFC 5798 6.4.2: on a priority-0 advert, Master_Down_Timer = Skew_Time. */
    armSkew: assign({
      downTimerMs: ({ context }) =>
        skewTimeMs(context.effectivePriority, context.masterAdvertIntervalCs, context.version),
    }),
    /** RFC 5798 6.4.2: a backup sets Master_Adver_Interval from the accepted advert (v3 only). */
    learnMaster: assign(({ context, event }) => {
      assertEvent(event, 'ADVERT');
      return {
        masterIp: event.srcIp,
        masterPriority: event.priority,
        masterAdvertIntervalCs: context.version === 3 ? event.advertIntervalCs : context.advertIntervalCs,
      };
    }),
    recordMaster: assign(({ event }) => {
      assertEvent(event, 'ADVERT');
      return { masterIp: event.srcIp, masterPriority: event.priority };
    }),
    /** keepalived vrrp_state_leave_fault: the learned interval is forgotten. */
    forgetMasterInterval: assign({ masterAdvertIntervalCs: ({ context }) => context.advertIntervalCs }),

    startPreemptDelay: raise({ type: 'PREEMPT_DELAY_EXPIRED' }, { delay: 'preemptDelay', id: PREEMPT_DELAY_ID }),
    cancelPreemptDelay: cancel(PREEMPT_DELAY_ID),
    preemptDelayIdle: assign({ preemptDelay: 'idle' }),
    preemptDelayRunning: assign({ preemptDelay: 'running' }),
    preemptDelayExpired: assign({ preemptDelay: 'expired' }),

    becomeMaster: assign({
      becameMaster: ({ context }) => context.becameMaster + 1,
      masterAdvertIntervalCs: ({ context }) => context.advertIntervalCs,
      masterIp: ({ context }) => context.primaryIp,
      masterPriority: ({ context }) => context.effectivePriority,
    }),
    countRelease: assign({ releasedMaster: ({ context }) => context.releasedMaster + 1 }),
    /** What this master heard from another master and what it sent back (see HealSettings). */
    recordSplitBrain: assign(({ context, event }, params: { outcome: 'kept' | 'yielded' }) => {
      assertEvent(event, 'ADVERT');
      const kept = params.outcome === 'kept';
      const garpRepeat = kept ? context.heal.lowerPrioGarpRepeat : 0;
      return {
        splitBrains: context.splitBrains + 1,
        lastSplitBrain: {
          peerIp: event.srcIp,
          peerPriority: event.priority,
          ourPriority: context.effectivePriority,
          outcome: params.outcome,
          sentAdvert: kept ? context.heal.lowerPrioAdvert : context.heal.higherPrioSendAdvert,
          garpRepeat,
          garpDelayCs: garpRepeat > 0 ? context.heal.lowerPrioGarpDelayCs : 0,
        },
      };
    }),

    /** RFC 3768 6.4.3 / RFC 5798 6.4.3: Adver_Timer = Advertisement_Interval. */
    armAdverTimer: raise({ type: 'ADVER_TIMER' }, { delay: 'adverInterval', id: ADVER_TIMER_ID }),
    cancelAdverTimer: cancel(ADVER_TIMER_ID),
    armGarpDelay: raise({ type: 'GARP_DELAY' }, { delay: 'garpDelay', id: GARP_DELAY_ID }),
    cancelGarpDelay: cancel(GARP_DELAY_ID),
    armFirstGarpRefresh: raise({ type: 'GARP_REFRESH' }, { delay: 'garpFirstRefresh', id: GARP_REFRESH_ID }),
    armGarpRefresh: raise({ type: 'GARP_REFRESH' }, { delay: 'garpRefresh', id: GARP_REFRESH_ID }),
    cancelGarpRefresh: cancel(GARP_REFRESH_ID),
    // Not xstate's sendTo: a replay restores a journaled master without its invoked announcer,
    // and a burst then has nowhere to go (sendTo would throw).
    garpBurst: ({ self }, params: { repeat: number }) => {
      self.getSnapshot().children[ANNOUNCER_ID]?.send({ type: 'BURST', ...params });
    },
    armLowerPrioGarp: raise({ type: 'LOWER_PRIO_GARP' }, { delay: 'lowerPrioGarp', id: LOWER_PRIO_GARP_ID }),
    cancelLowerPrioGarp: cancel(LOWER_PRIO_GARP_ID),
  },
  guards: {
    isOwner: ({ context }) => context.basePriority === PRIORITY_OWNER,
    hasFault: ({ context }) => context.faultReasons.length > 0 || context.syncFault,
    hasOwnFault: ({ context }) => context.faultReasons.length > 0,
    ownFaultStarts: ({ context, event }) =>
      context.faultReasons.length === 0 && (statusAfter(context, event).faultReasons?.length ?? 0) > 0,
    /** Trackers whose first report can fault the instance have not all reported yet. */
    initPending: ({ context }) => context.trackers.some((t) => t.ok === null && (t.weight === 0 || t.kind === 'file')),
    advertPriorityZero: ({ event }) => event.type === 'ADVERT' && event.priority === 0,
    /**
     * RFC 3768 6.4.2 / RFC 5798 6.4.2: accept (re-arm) if preempt is off or the advert's
     * priority is >= ours; keepalived also accepts lower ones while preempt_delay runs.
     */
    advertAccepted: ({ context, event }) => {
      assertEvent(event, 'ADVERT');
      return (
        !context.preempt ||
        event.priority >= context.effectivePriority ||
        (context.preemptDelayCs > 0 && context.preemptDelay !== 'expired')
      );
    },
    advertWins: ({ context, event }) => {
      assertEvent(event, 'ADVERT');
      return advertWins(event.priority, event.srcIp, context.effectivePriority, context.primaryIp);
    },
    advertLoses: ({ context, event }) => {
      assertEvent(event, 'ADVERT');
      return advertLoses(event.priority, event.srcIp, context.effectivePriority, context.primaryIp);
    },
    syncTo: ({ event }, params: { state: SyncState }) => event.type === 'SYNC' && event.state === params.state,
  },
  delays: {
    masterDown: ({ context }) => context.downTimerMs,
    adverInterval: ({ context }) => context.advertIntervalCs * 10,
    garpDelay: ({ context }) => context.garp.delayCs * 10,
    garpFirstRefresh: ({ context }) => (context.garp.delayCs + context.garp.refreshCs) * 10,
    garpRefresh: ({ context }) => context.garp.refreshCs * 10,
    lowerPrioGarp: ({ context }) => context.heal.lowerPrioGarpDelayCs * 10,
    preemptDelay: ({ context }) => context.preemptDelayCs * 10,
  },
}).createMachine({
  id: 'vrrpInstance',
  context: ({ input }) => initialContext(input),
  initial: 'initialize',
  on: {
    TRACK: { actions: 'applyStatus' },
    LINK: { actions: 'applyStatus' },
  },
  states: {
    /** RFC 3768 6.4.1 / RFC 5798 6.4.1. */
    initialize: {
      always: [
        { guard: and([not('initPending'), 'hasFault']), target: 'fault', actions: notifyAs('FAULT') },
        // Priority 255: send an advert, GARP, go MASTER (all on entering master).
        { guard: and([not('initPending'), 'isOwner']), target: 'master' },
        {
          guard: not('initPending'),
          target: 'backup',
          actions: ['armMasterDown', notifyAs('BACKUP'), announce('backup')],
        },
      ],
      on: {
        SYNC: [
          { guard: { type: 'syncTo', params: { state: 'fault' } }, actions: 'holdBySync' },
          { actions: 'releaseBySync' },
        ],
        SHUTDOWN: { target: 'stopped', actions: notifyAs('STOP') },
      },
    },

    /** RFC 3768 6.4.2 / RFC 5798 6.4.2. */
    backup: {
      after: { masterDown: { target: 'master' } },
      always: { guard: 'hasFault', target: 'fault', actions: notifyAs('FAULT') },
      on: {
        ADVERT: [
          { guard: 'advertPriorityZero', target: 'backup', reenter: true, actions: 'armSkew' },
          {
            guard: 'advertAccepted',
            target: 'backup',
            reenter: true,
            actions: [
              'learnMaster',
              'armMasterDown',
              // keepalived vrrp_state_backup with preempt_delay: an accepted advert at or above
              // our priority stops the delay; the first lower-priority one starts it.
              enqueueActions(({ context, event, enqueue }) => {
                assertEvent(event, 'ADVERT');
                if (context.preemptDelayCs <= 0) return;
                if (event.priority >= context.effectivePriority) {
                  enqueue('cancelPreemptDelay');
                  enqueue('preemptDelayIdle');
                } else if (context.preemptDelay === 'idle') {
                  enqueue('startPreemptDelay');
                  enqueue('preemptDelayRunning');
                }
              }),
            ],
          },
          // Lower priority with preempt on: discard and let Master_Down_Timer run out.
          { actions: 'recordMaster' },
        ],
        PREEMPT_DELAY_EXPIRED: { actions: 'preemptDelayExpired' },
        SYNC: [
          { guard: { type: 'syncTo', params: { state: 'master' } }, target: 'master' },
          { guard: { type: 'syncTo', params: { state: 'fault' } }, actions: 'holdBySync' },
        ],
        SHUTDOWN: { target: 'stopped', actions: notifyAs('STOP') },
      },
    },

    /** RFC 3768 6.4.3 / RFC 5798 6.4.3. */
    master: {
      // The VIPs first: failover time is until they are on the interface, and the advert
      // leaves on the socket's next writable turn whatever the order. The gratuitous ARPs still
      // follow the advert (keepalived vrrp_state_master_tx), so the old master drops the VIPs
      // before they arrive.
      entry: [
        'addVips',
        'becomeMaster',
        ...resetPreemptDelay,
        advertise,
        notifyAs('MASTER'),
        announce('master'),
        'armAdverTimer',
        // keepalived vrrp_state_become_master: one GARP burst now, another after
        // garp_master_delay, then every garp_master_refresh counted from the delayed one.
        enqueueActions(({ context, enqueue }) => {
          if (context.garp.delayCs > 0) enqueue('armGarpDelay');
          if (context.garp.refreshCs > 0) enqueue('armFirstGarpRefresh');
        }),
      ],
      // The announcer starts after the entry actions with the first burst, and stops on exit.
      invoke: { id: ANNOUNCER_ID, src: 'announcer', input: ({ context }) => ({ repeat: context.garp.repeat }) },
      exit: ['cancelAdverTimer', 'cancelGarpDelay', 'cancelGarpRefresh', 'cancelLowerPrioGarp'],
      always: {
        guard: 'hasFault',
        target: 'fault',
        actions: [advertiseResign, 'removeVips', 'countRelease', notifyAs('FAULT')],
      },
      on: {
        ADVER_TIMER: { actions: [advertise, 'armAdverTimer'] },
        GARP_DELAY: { actions: { type: 'garpBurst', params: ({ context }) => ({ repeat: context.garp.repeat }) } },
        GARP_REFRESH: {
          actions: [
            { type: 'garpBurst', params: ({ context }) => ({ repeat: context.garp.refreshRepeat }) },
            'armGarpRefresh',
          ],
        },
        LOWER_PRIO_GARP: {
          actions: { type: 'garpBurst', params: ({ context }) => ({ repeat: context.heal.lowerPrioGarpRepeat }) },
        },
        ADVERT: [
          // A master that hears a priority-0 advert answers at once and resets Adver_Timer.
          { guard: 'advertPriorityZero', actions: [advertise, 'cancelAdverTimer', 'armAdverTimer'] },
          {
            guard: 'advertWins',
            target: 'backup',
            actions: [
              { type: 'recordSplitBrain', params: { outcome: 'yielded' } },
              // higher_prio_send_advert: ours first, so the winner hears it and re-announces.
              enqueueActions(({ context, enqueue }) => {
                if (context.heal.higherPrioSendAdvert) enqueue({ type: 'sendAdvert', params: ourAdvert(context) });
              }),
              'learnMaster',
              'armMasterDown',
              'removeVips',
              'countRelease',
              notifyAs('BACKUP'),
              announce('backup'),
            ],
          },
          {
            guard: 'advertLoses',
            // The state stays master, yet the exchange is an event of its own in the journal.
            meta: { journal: true },
            actions: [
              { type: 'recordSplitBrain', params: { outcome: 'kept' } },
              enqueueActions(({ context, enqueue }) => {
                // Out of turn: Adver_Timer keeps its rhythm.
                if (context.heal.lowerPrioAdvert) enqueue({ type: 'sendAdvert', params: ourAdvert(context) });
                const repeat = context.heal.lowerPrioGarpRepeat;
                if (repeat <= 0) return;
                enqueue({ type: 'garpBurst', params: { repeat } });
                if (context.heal.lowerPrioGarpDelayCs <= 0) return;
                // One delayed burst pending at a time: a peer that keeps advertising re-arms it.
                enqueue('cancelLowerPrioGarp');
                enqueue('armLowerPrioGarp');
              }),
            ],
          },
        ],
        SYNC: [
          {
            guard: { type: 'syncTo', params: { state: 'backup' } },
            target: 'backup',
            actions: ['armMasterDown', 'removeVips', 'countRelease', notifyAs('BACKUP'), announce('backup')],
          },
          { guard: { type: 'syncTo', params: { state: 'fault' } }, actions: 'holdBySync' },
        ],
        SHUTDOWN: { target: 'stopped', actions: [advertiseResign, 'removeVips', 'countRelease', notifyAs('STOP')] },
      },
    },

    /** keepalived FAULT: link down, a failing weight-0 tracker, or held by the sync group. */
    fault: {
      entry: [...resetPreemptDelay, announce('fault')],
      always: [
        // keepalived try_up_instance: the address owner returns straight to MASTER.
        { guard: and([not('hasFault'), 'isOwner']), target: 'master' },
        {
          guard: not('hasFault'),
          target: 'backup',
          actions: ['forgetMasterInterval', 'armMasterDown', notifyAs('BACKUP'), announce('backup')],
        },
      ],
      on: {
        // Held by the group, a fault of its own changes no state: announced by itself.
        TRACK: [{ guard: 'ownFaultStarts', actions: ['applyStatus', announce('fault')] }, { actions: 'applyStatus' }],
        LINK: [{ guard: 'ownFaultStarts', actions: ['applyStatus', announce('fault')] }, { actions: 'applyStatus' }],
        SYNC: [
          {
            guard: and([{ type: 'syncTo', params: { state: 'master' as const } }, not('hasOwnFault')]),
            target: 'master',
            actions: 'releaseBySync',
          },
          { guard: { type: 'syncTo', params: { state: 'backup' } }, actions: 'releaseBySync' },
        ],
        SHUTDOWN: { target: 'stopped', actions: notifyAs('STOP') },
      },
    },

    stopped: { type: 'final', entry: announce('stopped') },
  },
});

/** The instance has stopped for good (after SHUTDOWN). */
export function isStopped(snapshot: SnapshotFrom<typeof vrrpInstanceMachine>): boolean {
  return snapshot.status === 'done';
}
