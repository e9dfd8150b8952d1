import assert from 'node:assert/strict';
import { appendFile, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { openJournal, readJournal } from '../../../src/io/journal/fileJournal.js';
import { collect, envelope, quietLog, tempDir } from './journalFixtures.js';

describe('fileJournal', () => {
  it('append returns at once; flush puts every envelope on disk as one NDJSON line, in order', async (t) => {
    const dir = await tempDir(t, 'fj');
    const j = await openJournal({ dir, log: quietLog });
    for (let i = 1; i <= 500; i += 1) j.append(envelope(i));
    assert.equal(j.stats.written, 0, 'append must not write synchronously');
    await j.flush();
    assert.equal(j.stats.written, 500);
    const files = await readdir(dir);
    assert.equal(files.length, 1);
    const lines = (await readFile(join(dir, files[0]!), 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).seq),
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      (await collect(readJournal(dir))).map((e) => e.id),
      Array.from({ length: 500 }, (_, i) => `n1:1:${i + 1}`),
    );
    assert.equal(j.lastSeq(), 500);
    await j.close();
  });

  it('batches writes and fsyncs at most fsyncIntervalMs after them', async (t) => {
    const dir = await tempDir(t, 'fj');
    const syncs: number[] = [];
    const j = await openJournal({ dir, log: quietLog, fsyncIntervalMs: 100 });
    // Count fsyncs through the FileHandle prototype (node exposes no FileHandle class to spy on).
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const orig = proto.sync;
    proto.sync = function (this: unknown) {
      syncs.push(Date.now());
      return orig.call(this);
    };
    t.after(() => {
      proto.sync = orig;
    });
    const start = Date.now();
    let seq = 1;
    // 20 bursts over ~400 ms: at 100 ms per fsync that is ~4-6 fsyncs, not 20 (and not 2000).
    for (let b = 0; b < 20; b += 1) {
      for (let i = 0; i < 100; i += 1) j.append(envelope(seq++));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(j.stats.written, 2000);
    assert.ok(syncs.length >= 3 && syncs.length <= 8, `fsyncs: ${syncs.length}`);
    for (let i = 1; i < syncs.length; i += 1)
      assert.ok(syncs[i]! - syncs[i - 1]! >= 80, 'fsyncs are spaced by the interval');
    assert.ok(syncs.at(-1)! - start <= 400 + 20 * 5 + 150, 'the last write was synced within the interval');
    await j.close();
  });

  it(
    'rotates segments by size and prunes beyond maxSegments; ' + 'a reopened journal continues in a new segment',
    async (t) => {
      const dir = await tempDir(t, 'fj');
      const j = await openJournal({ dir, log: quietLog, segmentBytes: 4096, maxSegments: 50 });
      for (let i = 1; i <= 300; i += 1) {
        j.append(envelope(i));
        if (i % 10 === 0) await j.flush();
      }
      await j.close();
      const files = (await readdir(dir)).sort();
      assert.ok(files.length > 5, `segments: ${files.length}`);
      for (const f of files.slice(0, -1)) assert.ok((await stat(join(dir, f))).size >= 4096);
      assert.match(files[0]!, /^seg-0000000001-1-1\.ndjson$/);
      const j2 = await openJournal({ dir, log: quietLog, segmentBytes: 4096, maxSegments: 3 });
      assert.equal(j2.lastSeq(), 300);
      assert.deepEqual(j2.lastPosition(), { boot: 1, seq: 300 });
      for (let i = 1; i <= 60; i += 1) j2.append(envelope(i, 2));
      await j2.close();
      const after = (await readdir(dir)).sort();
      assert.equal(after.length, 3);
      const ids = (await collect(readJournal(dir))).map((e) => e.id);
      assert.equal(ids.at(-1), 'n1:2:60');
      // from/after seek: inclusive and exclusive, across segment boundaries.
      assert.equal((await collect(readJournal(dir, { fromId: 'n1:2:41' })))[0]!.id, 'n1:2:41');
      assert.equal((await collect(readJournal(dir, { afterId: 'n1:2:41' })))[0]!.id, 'n1:2:42');
    },
  );

  it('rotates by age', async (t) => {
    const dir = await tempDir(t, 'fj');
    const j = await openJournal({ dir, log: quietLog, segmentAgeMs: 50 });
    j.append(envelope(1));
    await j.flush();
    await new Promise((r) => setTimeout(r, 80));
    j.append(envelope(2));
    await j.close();
    assert.deepEqual((await readdir(dir)).sort(), ['seg-0000000001-1-1.ndjson', 'seg-0000000002-1-2.ndjson']);
  });

  it('skips, reports and counts a garbage line and a truncated last line, and never throws', async (t) => {
    const dir = await tempDir(t, 'fj');
    const j = await openJournal({ dir, log: quietLog });
    for (let i = 1; i <= 3; i += 1) j.append(envelope(i));
    await j.close();
    const [file] = await readdir(dir);
    const path = join(dir, file!);
    const good4 = JSON.stringify(envelope(4));
    await appendFile(
      path,
      `this is not json\n{"v":1,"id":"half"}\n${good4}\n${JSON.stringify(envelope(5)).slice(0, 40)}`,
    );
    const bad: [number, string][] = [];
    const got = await collect(readJournal(dir, { onCorrupt: (_f, line, text) => bad.push([line, text]) }));
    assert.deepEqual(
      got.map((e) => e.seq),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      bad.map(([l]) => l),
      [4, 5, 7],
    );
    assert.equal(bad[0]![1], 'this is not json');
    // Opening the journal finds the same damage, counts it, and resumes after the last good line.
    const j2 = await openJournal({ dir, log: quietLog });
    assert.equal(j2.stats.corruptLines, 3);
    assert.equal(j2.lastSeq(), 4);
    j2.append(envelope(5));
    await j2.close();
    assert.deepEqual(
      (await collect(readJournal(dir))).map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
  });

  it('drops (and counts) appends beyond maxQueuedBytes and after close instead of growing without bound', async (t) => {
    const dir = await tempDir(t, 'fj');
    const lines: Array<{ msg: string; dropped?: number; repeats?: Record<string, number> }> = [];
    const log = pino({ base: {}, timestamp: false }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const j = await openJournal({ dir, log, maxQueuedBytes: 10_000 });
    for (let i = 1; i <= 200; i += 1) j.append(envelope(i));
    const dropped = j.stats.dropped;
    assert.ok(dropped > 100, `dropped ${dropped}`);
    await j.close();
    j.append(envelope(999));
    assert.equal(j.stats.appended, 201);
    assert.equal(j.stats.written + j.stats.dropped, 201);
    const drops = lines.filter((l) => l.msg.startsWith('journal: queue full'));
    assert.deepEqual(
      drops.map((l) => [l.msg, l.dropped ?? l.repeats]),
      [
        ['journal: queue full, dropping events', 1],
        ['journal: queue full, dropping events (repeats)', { 'queue full': dropped - 1 }],
      ],
      'the first drop in full, the rest as one summary (written at close at the latest)',
    );
  });
});
