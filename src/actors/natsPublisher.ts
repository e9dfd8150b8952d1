/**
 * The journal publisher: the natsLink machine bound to a NATS link with `.provide()`. The machine
 * runs as the `journal:nats` actor; given `inspect` (the node's transition mapper), its
 * transitions are journaled like any other actor's, so the audit trail says when the stream was
 * down, why, and for how long. Its steady state (streaming) sends it no events, so publishing its
 * own envelopes never makes more.
 */
import { type Actor, assign, createActor, fromCallback, fromPromise, type InspectionEvent } from 'xstate';
import {
  type LinkChange,
  type NatsLink,
  type NatsLinkCounters,
  type NatsPublisher,
  type NatsPublisherOptions,
  type NatsPublisherStats,
  openNatsLink,
} from '../io/journal/natsPublisher.js';
import { type NatsLinkEvent, natsLinkMachine } from '../machines/journal/natsLink.machine.js';
import { actorIds } from './actorIds.js';

export type { NatsPublisher, NatsPublisherStats } from '../io/journal/natsPublisher.js';

export const NATS_LINK_ID = actorIds.journal('nats');

const linkEvent = (change: LinkChange): NatsLinkEvent =>
  change.type === 'closed'
    ? { type: 'LINK_CLOSED', code: change.code }
    : { type: change.type === 'down' ? 'LINK_DOWN' : 'LINK_UP', server: change.server };

function bindLink(link: NatsLink, journalClosed: Promise<unknown>) {
  return natsLinkMachine.provide({
    actors: {
      connect: fromPromise(({ signal }) => link.connect(signal)),
      provisionStream: fromPromise(() => link.provision()),
      watchLink: fromCallback<NatsLinkEvent>(({ sendBack }) => link.watch((change) => sendBack(linkEvent(change)))),
      pump: fromCallback<NatsLinkEvent>(({ sendBack }) => {
        const stop = new AbortController();
        void link.pump(stop.signal).then((failure) => {
          if (failure) sendBack({ type: 'PUBLISH_FAILED', ...failure });
        });
        return () => stop.abort();
      }),
      drain: fromPromise(({ signal }) => link.drain(signal, journalClosed)),
      close: fromPromise(() => link.close()),
    },
    actions: {
      abandonInFlight: () => link.abandonInFlight(),
      notePending: assign({ pending: () => link.pending }),
    },
  });
}

export interface NatsPublisherWiring extends NatsPublisherOptions {
  /** The node's transition mapper: the link's transitions become journal events. */
  inspect?: (ev: InspectionEvent) => void;
}

interface Running {
  actor: Actor<ReturnType<typeof bindLink>>;
  /** Tells the drain the journal is closed: what it holds now is all there is to publish. */
  journalClosed: () => void;
  done: Promise<void>;
}

export function createNatsPublisher(opts: NatsPublisherWiring): NatsPublisher {
  const counters: NatsLinkCounters = { published: 0, acked: 0, reconnects: 0, errors: 0 };
  let link: NatsLink | null = null;
  let running: Running | null = null;

  return {
    get stats(): NatsPublisherStats {
      return { ...counters, lastAckedSeq: link?.lastAckedSeq ?? 0, pending: link?.pending ?? 0 };
    },
    async start() {
      if (running) return;
      link = await openNatsLink(opts, counters);
      let open = true;
      let journalClosed = (): void => undefined;
      const closed = new Promise<void>((resolve) => {
        journalClosed = () => {
          // The link's last moves (closing, stopped) come after the journal: they are not events.
          open = false;
          resolve();
        };
      });
      const { inspect } = opts;
      const actor = createActor(bindLink(link, closed), {
        systemId: NATS_LINK_ID,
        ...(inspect ? { inspect: (ev: InspectionEvent) => open && inspect(ev) } : {}),
      });
      const done = new Promise<void>((resolve) => actor.subscribe({ complete: resolve, error: () => resolve() }));
      running = { actor, journalClosed, done };
      actor.start();
    },
    async stop(stopOpts = {}) {
      const r = running;
      running = null;
      if (!r) {
        await stopOpts.closeJournal?.();
        return;
      }
      // STOP first: the link's move to `stopping` is journaled before the journal closes, and the
      // drain publishes it with the rest, so the stream ends where the journal does.
      r.actor.send({ type: 'STOP' });
      try {
        await stopOpts.closeJournal?.();
      } finally {
        r.journalClosed();
      }
      await r.done;
      r.actor.stop();
    },
  };
}
