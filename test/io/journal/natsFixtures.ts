/** A journal published to a private nats-server, as a node runs it; all stopped after the test. */
import { join } from 'node:path';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import type { FileJournal } from '../../../src/io/journal/fileJournal.js';
import { openJournal } from '../../../src/io/journal/fileJournal.js';
import { createNatsPublisher, type NatsPublisher } from '../../../src/actors/natsPublisher.js';
import { type NatsServer, startNatsServer } from '../../helpers/natsServer.js';
import { quietLog, tempDir } from './journalFixtures.js';

export interface PublishedJournal {
  server: NatsServer;
  stateDir: string;
  journalDir: string;
  journal: FileJournal;
  publisher: NatsPublisher;
  /** Appends `envs` and resolves once everything appended so far is acked; fails after 5 s. */
  publish(envs: EventEnvelope[]): Promise<void>;
}

export async function publishedJournal(t: Parameters<typeof tempDir>[0], tag: string): Promise<PublishedJournal> {
  const server = await startNatsServer();
  const live: { journal?: FileJournal; publisher?: NatsPublisher } = {};
  // One teardown, in order: the publisher and the journal stop while the server still answers.
  t.after(async () => {
    await live.publisher?.stop();
    await live.journal?.close();
    await server.stop();
  });
  const stateDir = await tempDir(t, tag);
  const journalDir = join(stateDir, 'journal');
  const journal = await openJournal({ dir: journalDir, log: quietLog });
  live.journal = journal;
  const publisher = createNatsPublisher({ config: { servers: [server.url] }, journalDir, stateDir, log: quietLog });
  live.publisher = publisher;
  await publisher.start();
  const publish = async (envs: EventEnvelope[]): Promise<void> => {
    for (const e of envs) journal.append(e);
    const n = journal.stats.appended;
    for (let i = 0; i < 200 && publisher.stats.acked < n; i += 1) await new Promise((r) => setTimeout(r, 25));
    if (publisher.stats.acked < n)
      throw new Error(`the publisher acked ${publisher.stats.acked} of ${n} envelopes in 5 s`);
  };
  return { server, stateDir, journalDir, journal, publisher, publish };
}
