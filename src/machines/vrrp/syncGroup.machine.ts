/**
 * A vrrp_sync_group: its members change state together (keepalived/vrrp/vrrp_sync.c).
 * - A member entering FAULT forces every other member to FAULT (vrrp_sync_fault).
 * - A member becoming MASTER forces the others to MASTER (vrrp_sync_master).
 * - A member dropping to BACKUP forces the others to BACKUP (vrrp_sync_backup).
 * - The group stays in FAULT while any member is faulty on its own (num_member_fault); a
 *   member that recovers early is sent back to FAULT until the last one recovers.
 *
 * The group hears what its members announce (their STATUS, see vrrpInstance.types.ts): the
 * state each settles in, so it tells a member's own fault from the echo of its own
 * `forceMembers` by remembering whom it forced. A member held in FAULT that develops a fault of
 * its own announces FAULT again, which is counted as its own fault.
 *
 * keepalived also refuses to sync to MASTER unless every member wants MASTER
 * (vrrp_sync_can_goto_master); halo's members do not publish their wanted state, so the
 * first member to become MASTER takes the group with it.
 */
import { and, assign, setup } from 'xstate';
import type { VrrpStateName } from './vrrpInstance.types.js';

export interface SyncGroupInput {
  name: string;
  members: string[];
}

export type SyncGroupEvent = { type: 'MEMBER_STATE'; member: string; state: VrrpStateName };

export interface SyncGroupContext {
  name: string;
  members: string[];
  /** Last state each member reported. */
  memberStates: Record<string, VrrpStateName>;
  /** Members in FAULT of their own accord. */
  faulty: string[];
  /** Members the group forced to FAULT whose FAULT report has not arrived yet. */
  forcedToFault: string[];
}

type GroupState = 'master' | 'backup' | 'fault';

function isMember(ctx: SyncGroupContext, event: SyncGroupEvent): boolean {
  return ctx.members.includes(event.member);
}

const force = (state: GroupState) => ({
  type: 'forceMembers' as const,
  params: ({ event }: { event: SyncGroupEvent }) => ({ state, except: event.member }),
});

/** vrrp_sync_fault: one member's own fault takes the whole group to FAULT. */
const memberFaulted = {
  guard: { type: 'reports', params: { state: 'fault' } },
  target: 'fault',
  actions: ['ownFault', 'forcedOthers', 'remember', force('fault')],
} as const;

export const syncGroupMachine = setup({
  types: {
    input: {} as SyncGroupInput,
    context: {} as SyncGroupContext,
    events: {} as SyncGroupEvent,
  },
  actions: {
    forceMembers: (_, _params: { state: GroupState; except: string }) => {},
    /** The group's own notify_master/backup/fault and generic `notify GROUP <name> <STATE>`. */
    notify: (_, _params: { state: 'MASTER' | 'BACKUP' | 'FAULT' }) => {},
    remember: assign({
      memberStates: ({ context, event }) =>
        isMember(context, event) ? { ...context.memberStates, [event.member]: event.state } : context.memberStates,
    }),
    ownFault: assign({ faulty: ({ context, event }) => [...new Set([...context.faulty, event.member])] }),
    forcedOthers: assign({
      forcedToFault: ({ context, event }) =>
        context.members.filter((m) => m !== event.member && context.memberStates[m] !== 'fault'),
    }),
    expectEcho: assign({ forcedToFault: ({ context, event }) => [...context.forcedToFault, event.member] }),
    forgetForced: assign({ forcedToFault: [] }),
    echoed: assign({ forcedToFault: ({ context, event }) => context.forcedToFault.filter((m) => m !== event.member) }),
    recovered: assign({ faulty: ({ context, event }) => context.faulty.filter((m) => m !== event.member) }),
  },
  guards: {
    reports: ({ context, event }, params: { state: VrrpStateName }) =>
      isMember(context, event) && event.state === params.state,
    reportsUp: ({ context, event }) =>
      isMember(context, event) && (event.state === 'master' || event.state === 'backup'),
    isEcho: ({ context, event }) => context.forcedToFault.includes(event.member),
    othersFaulty: ({ context, event }) => context.faulty.some((m) => m !== event.member),
  },
}).createMachine({
  id: 'syncGroup',
  context: ({ input }) => ({
    name: input.name,
    members: input.members,
    memberStates: {},
    faulty: [],
    forcedToFault: [],
  }),
  initial: 'backup',
  states: {
    backup: {
      entry: { type: 'notify', params: { state: 'BACKUP' } },
      on: {
        MEMBER_STATE: [
          memberFaulted,
          {
            guard: { type: 'reports', params: { state: 'master' } },
            target: 'master',
            actions: ['remember', force('master')],
          },
          { actions: 'remember' },
        ],
      },
    },
    master: {
      entry: { type: 'notify', params: { state: 'MASTER' } },
      on: {
        MEMBER_STATE: [
          memberFaulted,
          {
            guard: { type: 'reports', params: { state: 'backup' } },
            target: 'backup',
            actions: ['remember', force('backup')],
          },
          { actions: 'remember' },
        ],
      },
    },
    fault: {
      entry: { type: 'notify', params: { state: 'FAULT' } },
      on: {
        MEMBER_STATE: [
          {
            guard: and([{ type: 'reports', params: { state: 'fault' as const } }, 'isEcho']),
            actions: ['echoed', 'remember'],
          },
          { guard: { type: 'reports', params: { state: 'fault' } }, actions: ['ownFault', 'remember'] },
          // keepalived try_up_instance: while another member is faulty the group stays in FAULT.
          {
            guard: and(['reportsUp', 'othersFaulty']),
            actions: [
              'recovered',
              'remember',
              'expectEcho',
              {
                type: 'forceMembers',
                params: ({ context }) => ({ state: 'fault' as const, except: context.faulty[0] ?? '' }),
              },
            ],
          },
          {
            guard: { type: 'reports', params: { state: 'master' } },
            target: 'master',
            actions: ['recovered', 'forgetForced', 'remember', force('master')],
          },
          {
            guard: { type: 'reports', params: { state: 'backup' } },
            target: 'backup',
            actions: ['recovered', 'forgetForced', 'remember', force('backup')],
          },
          { actions: 'remember' },
        ],
      },
    },
  },
});
