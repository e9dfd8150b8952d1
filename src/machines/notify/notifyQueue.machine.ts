/**
 * The notify queue of one VRRP instance or sync group: notify scripts run strictly one at a
 * time, in the order the state changes happened, so a MASTER script never overtakes the
 * BACKUP script before it. No request is dropped; a run longer than timeoutMs is stopped
 * (leaving `running` stops the invoked actor, which aborts its signal) and the next one starts.
 * keepalived itself forks notify scripts without waiting; ordering them is halo's choice so
 * that scripts which move addresses or routes cannot race each other.
 */
import { assign, fromPromise, type SnapshotFrom, setup } from 'xstate';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export interface NotifyRequest {
  state: NotifyState;
  priority: number;
}

export interface NotifyQueueInput {
  name: string;
  timeoutMs: number;
}

export type NotifyQueueEvent = { type: 'NOTIFY' } & NotifyRequest;

export interface NotifyQueueContext {
  name: string;
  timeoutMs: number;
  /** Pending requests; the head is the one running. */
  queue: NotifyRequest[];
  /** Runs that resolved, rejected, or were stopped at timeoutMs. */
  ran: number;
  failed: number;
  timedOut: number;
}

type Outcome = 'ran' | 'failed' | 'timedOut';

/** How a finished run leaves the queue: counted, head removed, next one started if any. */
const finish = (outcome: Outcome) => [
  {
    guard: 'moreQueued' as const,
    target: 'running' as const,
    reenter: true,
    actions: { type: 'complete' as const, params: { outcome } },
  },
  { target: 'idle' as const, actions: { type: 'complete' as const, params: { outcome } } },
];

export const notifyQueueMachine = setup({
  types: {
    input: {} as NotifyQueueInput,
    context: {} as NotifyQueueContext,
    events: {} as NotifyQueueEvent,
  },
  actors: {
    runNotify: fromPromise<void, NotifyRequest>(async () => {}),
  },
  actions: {
    enqueue: assign({
      queue: ({ context, event }) => [...context.queue, { state: event.state, priority: event.priority }],
    }),
    complete: assign(({ context }, params: { outcome: Outcome }) => ({
      queue: context.queue.slice(1),
      [params.outcome]: context[params.outcome] + 1,
    })),
  },
  guards: {
    moreQueued: ({ context }) => context.queue.length > 1,
  },
  delays: {
    notifyTimeout: ({ context }) => context.timeoutMs,
  },
}).createMachine({
  id: 'notifyQueue',
  context: ({ input }) => ({ name: input.name, timeoutMs: input.timeoutMs, queue: [], ran: 0, failed: 0, timedOut: 0 }),
  initial: 'idle',
  on: {
    NOTIFY: { actions: 'enqueue' },
  },
  states: {
    idle: {
      on: { NOTIFY: { target: 'running', actions: 'enqueue' } },
    },
    running: {
      invoke: {
        src: 'runNotify',
        input: ({ context }) => context.queue[0]!,
        onDone: finish('ran'),
        onError: finish('failed'),
      },
      after: { notifyTimeout: finish('timedOut') },
    },
  },
});

/** Nothing running and nothing waiting: a queue leaves `running` only once its queue is empty. */
export function isNotifyQueueDrained(snapshot: SnapshotFrom<typeof notifyQueueMachine>): boolean {
  return snapshot.value === 'idle';
}
