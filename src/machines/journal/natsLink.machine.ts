/**
 * The journal publisher's link to NATS JetStream, as its lifecycle: connecting, backing off
 * after a failure, connected (stream set up, streaming, waiting out a failed publish round, or
 * disconnected while the client reconnects), stopping (drain, close) and stopped.
 *
 * Only lifecycle changes are transitions. Publishing itself runs inside the invoked `pump` and
 * never sends the machine an event while it goes well, so a streaming link journals nothing:
 * the link's own envelopes are published like any other, and each must not cause another.
 *
 * Side effects are named actors the wiring provides: `connect`, `provisionStream`, `watchLink`
 * (reports LINK_DOWN / LINK_UP / LINK_CLOSED), `pump` (reports PUBLISH_FAILED once the failed
 * round has settled), `drain` and `close`; and actions `abandonInFlight` (replies from a lost
 * connection will not come) and `notePending` (the journal backlog, for the context). Every
 * wait is an xstate delay.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';

/** First backoff after a failure; doubles with each failed round. */
export const NATS_BACKOFF_BASE_MS = 50;
/** Backoff ceiling: an outage is retried this often. */
export const NATS_BACKOFF_MAX_MS = 5000;
/** Stop gives the drain and the close this long in all, so NATS down or slow never holds a stop. */
export const NATS_STOP_GRACE_MS = 2000;

/** Wait before the next try after `attempt` consecutive failed rounds. */
export function natsBackoffMs(attempt: number): number {
  return Math.min(NATS_BACKOFF_MAX_MS, NATS_BACKOFF_BASE_MS * 2 ** attempt);
}

export interface NatsLinkContext {
  /** Server of the current connection (`host:port`, no credentials); null before the first. */
  server: string | null;
  /** Consecutive failed rounds (connects, stream set-ups, publish rounds); 0 once streaming again. */
  attempt: number;
  /** The wait in force when backing off; 0 otherwise. */
  backoffMs: number;
  /** Code of the last failure (the wiring passes codes, never a client's message). */
  lastError: string | null;
  /** Envelopes read from the journal and not yet acked, when the link last changed state. */
  pending: number;
}

export type NatsLinkEvent =
  | { type: 'STOP' }
  /** The client lost the connection and reconnects by itself. */
  | { type: 'LINK_DOWN'; server: string }
  | { type: 'LINK_UP'; server: string }
  /** The client gave the connection up (e.g. an authorization error): connect anew. */
  | { type: 'LINK_CLOSED'; code: string }
  /** Publishes failed and nothing else is in flight; `progressed`: some were acked since the round began. */
  | { type: 'PUBLISH_FAILED'; code: string; streamLost: boolean; progressed: boolean };

/** A failure's code for the context: the wiring throws errors whose message is a code. */
export function failureCode(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown';
}

const failed = (attempt: number, lastError: string): Partial<NatsLinkContext> => ({
  attempt,
  backoffMs: natsBackoffMs(attempt),
  lastError,
});

export const natsLinkMachine = setup({
  types: {
    context: {} as NatsLinkContext,
    events: {} as NatsLinkEvent,
  },
  actors: {
    connect: fromPromise<{ server: string }>(async () => {
      throw new Error('no connect provided');
    }),
    provisionStream: fromPromise<void>(async () => {}),
    watchLink: fromCallback<NatsLinkEvent>(() => undefined),
    pump: fromCallback<NatsLinkEvent>(() => undefined),
    drain: fromPromise<void>(async () => {}),
    close: fromPromise<void>(async () => {}),
  },
  actions: {
    abandonInFlight: () => {},
    notePending: () => {},
    noteFailure: assign(({ context, event }) =>
      failed(context.attempt + 1, failureCode((event as { error?: unknown }).error)),
    ),
    noteRoundFailure: assign(({ context, event }) => {
      if (event.type !== 'PUBLISH_FAILED') return {};
      return failed(event.progressed ? 1 : context.attempt + 1, event.code);
    }),
    noteLinkClosed: assign(({ context, event }) =>
      event.type === 'LINK_CLOSED' ? failed(context.attempt + 1, event.code) : {},
    ),
    noteServer: assign({
      server: ({ context, event }) =>
        event.type === 'LINK_DOWN' || event.type === 'LINK_UP' ? event.server : context.server,
    }),
    healthy: assign({ attempt: 0, backoffMs: 0 }),
  },
  guards: {
    streamLost: ({ event }) => event.type === 'PUBLISH_FAILED' && event.streamLost,
  },
  delays: {
    backoff: ({ context }) => context.backoffMs,
    stopGrace: NATS_STOP_GRACE_MS,
  },
}).createMachine({
  id: 'natsLink',
  context: { server: null, attempt: 0, backoffMs: 0, lastError: null, pending: 0 },
  initial: 'connecting',
  // A stop outside a live stream has nothing to drain: what waits in the journal goes next start.
  on: { STOP: '.stopping.closing' },
  states: {
    connecting: {
      entry: 'notePending',
      invoke: {
        id: 'connect',
        src: 'connect',
        onDone: {
          target: 'connected',
          actions: assign({ server: ({ event }) => event.output.server }),
        },
        onError: { target: 'backingOff', actions: 'noteFailure' },
      },
    },
    backingOff: {
      entry: 'notePending',
      after: { backoff: 'connecting' },
    },
    connected: {
      invoke: { id: 'watchLink', src: 'watchLink' },
      initial: 'provisioning',
      on: {
        LINK_DOWN: { target: '.disconnected', actions: 'noteServer' },
        // Backing off first: a server that takes the connection and drops it must not spin us.
        LINK_CLOSED: { target: 'backingOff', actions: ['abandonInFlight', 'noteLinkClosed'] },
      },
      states: {
        provisioning: {
          entry: 'notePending',
          invoke: {
            id: 'provisionStream',
            src: 'provisionStream',
            onDone: { target: 'streaming', actions: 'healthy' },
            onError: { target: 'waitingForStream', actions: 'noteFailure' },
          },
        },
        waitingForStream: {
          entry: 'notePending',
          after: { backoff: 'provisioning' },
        },
        streaming: {
          entry: 'notePending',
          invoke: { id: 'pump', src: 'pump' },
          on: {
            PUBLISH_FAILED: [
              { guard: 'streamLost', target: 'provisioning', actions: 'noteRoundFailure' },
              { target: 'resending', actions: 'noteRoundFailure' },
            ],
            STOP: '#natsLink.stopping.draining',
          },
        },
        // Failed publishes go again, oldest first, after the backoff (the pump re-sends them first).
        resending: {
          entry: 'notePending',
          after: { backoff: 'streaming' },
          on: { STOP: '#natsLink.stopping.draining' },
        },
        disconnected: {
          entry: 'notePending',
          on: {
            LINK_UP: { target: 'provisioning', actions: ['abandonInFlight', 'noteServer'] },
          },
        },
      },
    },
    stopping: {
      entry: 'notePending',
      // Bounded: whatever is not published by then waits in the journal for the next start.
      after: { stopGrace: 'stopped' },
      on: { STOP: {} },
      initial: 'draining',
      states: {
        draining: {
          invoke: [
            { id: 'drain', src: 'drain', onDone: 'closing', onError: 'closing' },
            { id: 'watchLink', src: 'watchLink' },
          ],
          on: { LINK_DOWN: 'closing', LINK_CLOSED: 'closing' },
        },
        closing: {
          invoke: { id: 'close', src: 'close', onDone: '#natsLink.stopped', onError: '#natsLink.stopped' },
        },
      },
    },
    stopped: { type: 'final' },
  },
});
