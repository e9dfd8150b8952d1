import assert from 'node:assert/strict';
import { appendFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import { matchesQuery } from '../../../src/io/journal/eventQuery.js';
import { type EventSource, readEvents } from '../../../src/io/journal/eventSource.js';
import { openJournal } from '../../../src/io/journal/fileJournal.js';
import { collect, envelope, quietLog, tempDir } from './journalFixtures.js';
import { publishedJournal } from './natsFixtures.js';

/** Two nodes; odd seqs are vrrp:VI_1, even ones server:proxy/db1 (journalFixtures). */
function history(): EventEnvelope[] {
  return [1, 2, 3, 4].flatMap((seq) => [envelope(seq, 1, 'n1'), envelope(seq, 1, 'n2')]);
}

async function writeJournal(dir: string, envs: EventEnvelope[]): Promise<void> {
  const j = await openJournal({ dir, log: quietLog });
  for (const e of envs) j.append(e);
  await j.close();
}

/** Takes envelopes from a live iterator until `n` have come, or fails saying how many did. */
async function take(
  it: AsyncIterator<EventEnvelope>,
  n: number,
  what: string,
  timeoutMs = 10_000,
): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, left)))),
    ]);
    clearTimeout(timer);
    if (r === 'late') throw new Error(`timed out waiting for ${what}: got ${out.length} of ${n}`);
    if (r.done) throw new Error(`the reader ended while waiting for ${what}: got ${out.length} of ${n}`);
    out.push(r.value);
  }
  return out;
}

describe('event query', () => {
  it('matches node exactly, actor by glob, and since/until inclusively', () => {
    const e = envelope(3, 1, 'n1');
    assert.equal(matchesQuery(e, {}), true);
    assert.equal(matchesQuery(e, { node: 'n1', actor: 'vrrp:*' }), true);
    assert.equal(matchesQuery(e, { node: 'n' }), false);
    assert.equal(matchesQuery(e, { actor: 'server:*' }), false);
    assert.equal(matchesQuery(e, { since: e.ts, until: e.ts }), true);
    assert.equal(matchesQuery(e, { since: e.ts + 1 }), false);
    assert.equal(matchesQuery(e, { until: e.ts - 1 }), false);
  });
});

describe('event source, local journal', { timeout: 30_000 }, () => {
  it('reads a range: node, actor glob and time window applied together', async (t) => {
    const dir = join(await tempDir(t, 'source'), 'journal');
    await writeJournal(dir, history());
    const source: EventSource = { kind: 'journal', dir };
    const ids = async (query: object) => (await collect(readEvents(source, { query }))).map((e) => e.id);
    assert.deepEqual(
      await ids({}),
      history().map((e) => e.id),
    );
    assert.deepEqual(await ids({ node: 'n2', actor: 'server:*' }), ['n2:1:2', 'n2:1:4']);
    const ts = (seq: number) => envelope(seq).ts;
    assert.deepEqual(await ids({ node: 'n1', since: ts(2), until: ts(3) }), ['n1:1:2', 'n1:1:3']);
    assert.deepEqual(
      await collect(readEvents({ kind: 'journal', dir: join(dir, 'missing') })),
      [],
      'a missing journal is an empty one',
    );
  });

  it('a journal that cannot be read is HALO_E_JOURNAL_IO naming it', async (t) => {
    const file = join(await tempDir(t, 'source'), 'not-a-dir');
    await writeFile(file, 'x');
    await assert.rejects(collect(readEvents({ kind: 'journal', dir: file })), {
      code: 'HALO_E_JOURNAL_IO',
      message: new RegExp(`cannot read journal ${file}`),
    });
  });

  it('skips and reports corrupt lines by file:line, a JSON object missing envelope fields included', async (t) => {
    const dir = join(await tempDir(t, 'source'), 'journal');
    await writeJournal(dir, history().slice(0, 2));
    const [seg] = await readdir(dir);
    // Parses as JSON and has an id, node and seq, but no ts or context: printing it would throw.
    const noTs = JSON.stringify({ ...envelope(9), ts: undefined, context: undefined });
    await appendFile(join(dir, seg!), `not json\n${noTs}\n`);
    await writeJournal(dir, history().slice(2, 3));
    const bad: [string, string][] = [];
    const got = await collect(
      readEvents({ kind: 'journal', dir }, { onCorrupt: (where, text) => bad.push([where, text]) }),
    );
    assert.deepEqual(
      got.map((e) => e.id),
      ['n1:1:1', 'n2:1:1', 'n1:1:2'],
    );
    assert.deepEqual(bad, [
      [`${join(dir, seg!)}:3`, 'not json'],
      [`${join(dir, seg!)}:4`, noTs],
    ]);
  });

  it('follows: yields what is appended after it caught up, and ends when the signal aborts', async (t) => {
    const dir = join(await tempDir(t, 'source'), 'journal');
    const envs = history();
    await writeJournal(dir, envs.slice(0, 2));
    const ac = new AbortController();
    const it = readEvents({ kind: 'journal', dir }, { query: { node: 'n1' }, follow: true, signal: ac.signal })[
      Symbol.asyncIterator
    ]();
    assert.deepEqual(
      (await take(it, 1, 'the event already on disk')).map((e) => e.id),
      ['n1:1:1'],
    );
    await writeJournal(dir, envs.slice(2));
    assert.deepEqual(
      (await take(it, 3, 'the events appended while following')).map((e) => e.id),
      ['n1:1:2', 'n1:1:3', 'n1:1:4'],
    );
    const started = Date.now();
    const end = it.next();
    ac.abort();
    assert.deepEqual(await end, { done: true, value: undefined }, 'the reader ends on abort');
    assert.ok(Date.now() - started < 1000, 'abort ends the wait at once, not after a poll');
  });
});

describe('event source, JetStream', { timeout: 60_000 }, () => {
  it('reads a range with a server-side subject filter, and follows until aborted', async (t) => {
    const { server, publish } = await publishedJournal(t, 'source-nats');
    const envs = history();
    await publish(envs.slice(0, 6));

    const source: EventSource = { kind: 'nats', config: { servers: [server.url] } };
    const range = await collect(readEvents(source, { query: { actor: 'vrrp:VI_1', until: envelope(2).ts } }));
    assert.deepEqual(
      range.map((e) => e.id),
      ['n1:1:1', 'n2:1:1'],
    );

    const ac = new AbortController();
    const it = readEvents(source, { query: { node: 'n2', actor: 'server:*' }, follow: true, signal: ac.signal })[
      Symbol.asyncIterator
    ]();
    assert.deepEqual(
      (await take(it, 1, 'the stored n2 server event')).map((e) => e.id),
      ['n2:1:2'],
    );
    await publish(envs.slice(6));
    assert.deepEqual(
      (await take(it, 1, 'the n2 server event published while following')).map((e) => e.id),
      ['n2:1:4'],
    );
    const end = it.next();
    ac.abort();
    assert.equal((await end).done, true, 'the reader ends on abort');
  });
});
