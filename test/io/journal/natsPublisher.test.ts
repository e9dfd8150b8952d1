import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjectFor } from '../../../src/io/journal/envelope.js';
import { verifyTransitions } from '../../../src/actors/replayVerify.js';
import { createTransitionMapper } from '../../../src/actors/transitionMapper.js';
import { type FileJournal, openJournal, readJournal } from '../../../src/io/journal/fileJournal.js';
import { createNatsPublisher, type NatsPublisher } from '../../../src/actors/natsPublisher.js';
import { ACKED_FILE } from '../../../src/io/journal/ackCursor.js';
import { type NatsServer, startNatsServer } from '../../helpers/natsServer.js';
import { collect, envelope, quietLog, tempDir } from './journalFixtures.js';

interface Stored {
  subject: string;
  msgId: string | undefined;
  id: string;
}

/** Every message in HALO_EVENTS, in stream order, read with a separate client. */
async function streamContents(url: string): Promise<Stored[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('HALO_EVENTS');
    const out: Stored[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
      const m = await jsm.streams.getMessage('HALO_EVENTS', { seq });
      if (m) out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), id: m.json<{ id: string }>().id });
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ids = (from: number, to: number, boot = 1): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `n1:${boot}:${from + i}`);

async function setup(t: Parameters<typeof tempDir>[0]): Promise<{
  server: NatsServer;
  journalDir: string;
  stateDir: string;
  journal: FileJournal;
  publisher: () => NatsPublisher;
}> {
  const server = await startNatsServer();
  t.after(() => server.stop());
  const stateDir = await tempDir(t, 'pubstate');
  const journalDir = join(stateDir, 'journal');
  const journal = await openJournal({ dir: journalDir, log: quietLog });
  t.after(() => journal.close());
  const publisher = (): NatsPublisher => {
    const p = createNatsPublisher({
      config: { servers: [server.url] },
      journalDir,
      stateDir,
      log: quietLog,
      ackTimeoutMs: 2000,
    });
    t.after(() => p.stop());
    return p;
  };
  return { server, journalDir, stateDir, journal, publisher };
}

describe('natsPublisher', () => {
  it('creates HALO_EVENTS and stores each envelope once, on its subject, with Nats-Msg-Id = id', async (t) => {
    const { server, stateDir, journal, publisher } = await setup(t);
    const p = publisher();
    await p.start();
    for (let i = 1; i <= 100; i += 1) journal.append(envelope(i));
    await waitFor('100 acks', () => p.stats.acked === 100, 10_000);
    await p.stop();
    const stored = await streamContents(server.url);
    assert.deepEqual(
      stored.map((s) => s.id),
      ids(1, 100),
    );
    assert.ok(stored.every((s) => s.msgId === s.id));
    assert.equal(stored[0]!.subject, subjectFor(envelope(1)));
    assert.equal(stored[1]!.subject, 'halo.events.n1.server.proxy/db1');
    assert.deepEqual(JSON.parse(await readFile(join(stateDir, ACKED_FILE), 'utf8')), {
      boot: 1,
      seq: 100,
      id: 'n1:1:100',
    });

    const nc = await connect({ servers: server.url });
    const cfg = (await (await jetstreamManager(nc)).streams.info('HALO_EVENTS')).config;
    await nc.close();
    assert.deepEqual(cfg.subjects, ['halo.events.>']);
    assert.ok(cfg.duplicate_window >= 120e9);
  });

  it('re-sending the whole journal (lost cursor) adds nothing: JetStream drops the repeated ids', async (t) => {
    const { server, stateDir, journal, publisher } = await setup(t);
    for (let i = 1; i <= 50; i += 1) journal.append(envelope(i));
    const a = publisher();
    await a.start();
    await waitFor('50 acks', () => a.stats.acked === 50, 10_000);
    await a.stop();
    await import('node:fs/promises').then((fs) => fs.rm(join(stateDir, ACKED_FILE)));
    const b = publisher();
    await b.start();
    await waitFor('50 acks again', () => b.stats.acked === 50, 10_000);
    await b.stop();
    assert.equal(b.stats.published, 50);
    assert.deepEqual(
      (await streamContents(server.url)).map((s) => s.id),
      ids(1, 50),
    );
  });

  it(
    'kill -9 of nats-server during a burst of 2000: after restart every event is stored exactly once, ' +
      'in seq order',
    async (t) => {
      const { server, journal, publisher } = await setup(t);
      const p = publisher();
      await p.start();
      let seq = 1;
      const burst = async (upTo: number): Promise<void> => {
        while (seq <= upTo) {
          for (let i = 0; i < 50 && seq <= upTo; i += 1) journal.append(envelope(seq++));
          await new Promise((r) => setTimeout(r, 2));
        }
      };
      await burst(700);
      await server.kill9();
      const ackedAtKill = p.stats.acked;
      await burst(1400); // the daemon keeps journaling while NATS is down
      const start = Date.now();
      await server.restart();
      await burst(2000);
      await waitFor('2000 acks', () => p.stats.acked === 2000, 15_000);
      const recoveredMs = Date.now() - start;
      await p.stop();
      assert.ok(ackedAtKill < 2000);
      assert.ok(p.stats.reconnects >= 1);
      const stored = await streamContents(server.url);
      assert.equal(stored.length, 2000);
      assert.deepEqual(
        stored.map((s) => s.id),
        ids(1, 2000),
      );
      assert.ok(stored.every((s) => s.msgId === s.id));
      t.diagnostic(
        `acked at kill ${ackedAtKill}, all 2000 acked ${recoveredMs} ms after restart, publishes ${p.stats.published}`,
      );
    },
  );

  it('a restarted publisher resumes after the acked cursor: nothing re-sent, nothing duplicated', async (t) => {
    const { server, journal, publisher } = await setup(t);
    for (let i = 1; i <= 300; i += 1) journal.append(envelope(i));
    const a = publisher();
    await a.start();
    await waitFor('some acks', () => a.stats.acked >= 100, 10_000);
    await a.stop();
    const done = a.stats.lastAckedSeq;
    for (let i = 301; i <= 400; i += 1) journal.append(envelope(i));
    const b = publisher();
    await b.start();
    assert.equal(b.stats.lastAckedSeq, done);
    await waitFor('the rest', () => b.stats.lastAckedSeq === 400, 10_000);
    await b.stop();
    assert.equal(b.stats.published, 400 - done, 'the second publisher sends only what the first had not');
    assert.deepEqual(
      (await streamContents(server.url)).map((s) => s.id),
      ids(1, 400),
    );
  });

  it('start never blocks or throws when NATS is down; events flow once it comes up', async (t) => {
    const { server, journal, publisher } = await setup(t);
    await server.kill9();
    const p = publisher();
    const t0 = Date.now();
    await p.start();
    assert.ok(Date.now() - t0 < 500);
    for (let i = 1; i <= 20; i += 1) journal.append(envelope(i));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(p.stats.acked, 0);
    assert.ok(p.stats.errors > 0);
    await server.restart();
    await waitFor('20 acks', () => p.stats.acked === 20, 10_000);
    await p.stop();
    assert.deepEqual(
      (await streamContents(server.url)).map((s) => s.id),
      ids(1, 20),
    );
  });

  it(
    'its link is journaled as journal:nats: streaming adds none, an outage adds down and up, ' + 'stop publishes all',
    async (t) => {
      const { server, journalDir, journal } = await setup(t);
      // Boot 2 for the link's envelopes, apart from the fixtures' boot 1.
      const mapper = createTransitionMapper({ node: 'n1', boot: 2, sink: (env) => journal.append(env) });
      const config = { servers: [server.url] };
      const stateDir = join(journalDir, '..');
      const p = createNatsPublisher({ config, journalDir, stateDir, log: quietLog, inspect: mapper.onInspect });
      t.after(() => p.stop());
      const linkPath = async (): Promise<string[]> => {
        await journal.flush();
        const link = (await collect(readJournal(journalDir))).filter((e) => e.actor === 'journal:nats');
        return link.map((e) => `${e.from ?? '∅'}>${e.to}`);
      };
      await p.start();
      for (let i = 1; i <= 500; i += 1) journal.append(envelope(i));
      await waitFor("500 envelopes and the link's 3 acked", () => p.stats.acked === 503, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      const started = [
        '∅>connecting',
        'connecting>connected.provisioning',
        'connected.provisioning>connected.streaming',
      ];
      assert.deepEqual(await linkPath(), started);
      assert.equal(p.stats.acked, 503, "publishing the link's own events made no more");

      await server.kill9();
      await server.restart();
      const backUp = (): boolean => p.stats.reconnects >= 1 && p.stats.pending === 0 && p.stats.acked >= 506;
      await waitFor('the link back to streaming, its 3 new events acked', backUp, 15_000);
      const path = await linkPath();
      assert.deepEqual(path.slice(3), [
        'connected.streaming>connected.disconnected',
        'connected.disconnected>connected.provisioning',
        'connected.provisioning>connected.streaming',
      ]);
      const down = (await collect(readJournal(journalDir))).find((e) => e.to === 'connected.disconnected')!;
      assert.equal(down.context.server, new URL(server.url).host, 'the context names the server');

      await p.stop({ closeJournal: () => journal.close() });
      const envs = await collect(readJournal(journalDir));
      const local = envs.map((e) => e.id);
      assert.ok(local.includes('n1:2:7'), 'the move to stopping is journaled');
      const replay = verifyTransitions(envs.filter((e) => e.actor === 'journal:nats'));
      assert.deepEqual(
        [replay.verified, replay.divergences, replay.unverifiable],
        [6, 0, {}],
        'the link replays through its machine',
      );
      const stored = (await streamContents(server.url)).map((s) => s.id);
      assert.deepEqual(stored, local, 'the stream holds exactly the journal, the stop included');
    },
  );
});
