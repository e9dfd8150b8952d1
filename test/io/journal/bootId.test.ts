import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BOOT_FILE, nextBootId } from '../../../src/io/journal/bootId.js';
import { isHaloError } from '../../../src/errors.js';
import { tempDir } from './journalFixtures.js';

describe('nextBootId', () => {
  it('counts boots from 1 and persists the counter atomically (no temp file left)', async (t) => {
    const dir = await tempDir(t, 'boot');
    assert.equal(await nextBootId(join(dir, 'state')), 1);
    assert.equal(await nextBootId(join(dir, 'state')), 2);
    assert.equal(await nextBootId(join(dir, 'state')), 3);
    assert.deepEqual(await readdir(join(dir, 'state')), [BOOT_FILE]);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'state', BOOT_FILE), 'utf8')), { boot: 3 });
  });

  it('never goes back below a boot already seen in the journal (lost or restored boot file)', async (t) => {
    const dir = await tempDir(t, 'boot');
    assert.equal(await nextBootId(dir, { atLeast: 41 }), 42);
    assert.equal(await nextBootId(dir, { atLeast: 5 }), 43);
  });

  it('refuses a damaged counter with HALO_E_JOURNAL_IO instead of reusing ids', async (t) => {
    const dir = await tempDir(t, 'boot');
    await writeFile(join(dir, BOOT_FILE), '{"boot": "x"');
    await assert.rejects(nextBootId(dir), (err) => isHaloError(err) && err.code === 'HALO_E_JOURNAL_IO');
  });
});
