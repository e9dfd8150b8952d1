import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ACKED_FILE, AckCursor } from '../../../src/io/journal/ackCursor.js';
import { quietLog, tempDir } from './journalFixtures.js';

const stored = async (dir: string): Promise<unknown> =>
  JSON.parse(await readFile(join(dir, ACKED_FILE), 'utf8').catch(() => 'null'));

describe('AckCursor', () => {
  it('writes the cursor a moment after it moves, not on every ack, and at once on close', async (t) => {
    const dir = await tempDir(t, 'cursor');
    const cursor = new AckCursor(dir, quietLog, (err) => assert.fail(String(err)));
    assert.equal(await cursor.read(), null, 'no file: start from the beginning');
    cursor.advance({ boot: 1, seq: 1, id: 'n1:1:1' });
    cursor.advance({ boot: 1, seq: 2, id: 'n1:1:2' });
    assert.equal(await stored(dir), null, 'not written on the ack itself');
    const deadline = Date.now() + 2000;
    while ((await stored(dir)) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await stored(dir), { boot: 1, seq: 2, id: 'n1:1:2' }, 'the newest position, written within 2 s');
    cursor.advance({ boot: 1, seq: 3, id: 'n1:1:3' });
    await cursor.close();
    assert.deepEqual(await stored(dir), { boot: 1, seq: 3, id: 'n1:1:3' });
    assert.equal(cursor.lastSeq, 3);

    const again = new AckCursor(dir, quietLog, (err) => assert.fail(String(err)));
    assert.deepEqual(await again.read(), { boot: 1, seq: 3, id: 'n1:1:3' }, 'a restart resumes after it');
  });

  it('a cursor that cannot be trusted reads as none: everything is re-sent rather than lost', async (t) => {
    const dir = await tempDir(t, 'cursor');
    await writeFile(join(dir, ACKED_FILE), '{"boot":1,"seq":"x"}\n');
    const cursor = new AckCursor(dir, quietLog, () => undefined);
    assert.equal(await cursor.read(), null);
    assert.equal(cursor.lastSeq, 0);
  });
});
