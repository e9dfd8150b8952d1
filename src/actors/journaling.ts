/**
 * The node's one journal path: inspection → transition envelope → local journal (outbox) →
 * JetStream when NATS is configured. Each transition is also one structured log line, so an
 * operator tailing the log sees the same story the journal keeps.
 */
import type { InspectionEvent } from 'xstate';
import type { Logger } from '../io/log.js';
import { nextBootId } from '../io/journal/bootId.js';
import { openJournal } from '../io/journal/fileJournal.js';
import { natsConfigFromEnv } from '../io/journal/natsConfig.js';
import type { NatsEventsConfig } from '../io/journal/natsPublisher.js';
import { createTransitionMapper } from './transitionMapper.js';

export interface Journaling {
  boot: number;
  inspect(ev: InspectionEvent): void;
  close(): Promise<void>;
}

export async function startJournaling(opts: {
  node: string;
  stateDir: string;
  journalDir: string;
  log: Logger;
  nats?: NatsEventsConfig | null;
}): Promise<Journaling> {
  const log = opts.log.child({ actor: 'journal' });
  const journal = await openJournal({ dir: opts.journalDir, log });
  // A lost boot file must not reuse ids: the journal itself remembers the last boot.
  const boot = await nextBootId(opts.stateDir, { atLeast: journal.lastPosition()?.boot ?? 0 });
  const mapper = createTransitionMapper({
    node: opts.node,
    boot,
    sink: (env) => {
      journal.append(env);
      opts.log.info(
        { actor: env.actor, from: env.from, to: env.to, event: env.event.type, seq: env.seq },
        'transition',
      );
    },
  });
  const natsCfg = opts.nats === undefined ? natsConfigFromEnv() : opts.nats;
  // The publisher's link is an actor of its own, journaled through the same mapper. The NATS
  // client loads only when NATS is configured, and before the node starts: never on a takeover.
  const publisher = natsCfg
    ? (await import('./natsPublisher.js')).createNatsPublisher({
        config: natsCfg,
        journalDir: opts.journalDir,
        stateDir: opts.stateDir,
        log,
        inspect: mapper.onInspect,
      })
    : null;
  await publisher?.start();
  return {
    boot,
    inspect: (ev) => mapper.onInspect(ev),
    // journal.close() flushes, bounded by its own timeout: a full disk must not hang the stop.
    // The publisher stops around it, so it publishes everything the closed journal holds.
    close: () => (publisher ? publisher.stop({ closeJournal: () => journal.close() }) : journal.close()),
  };
}
