import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHaloLab, type HaloLab, instanceBlock } from '../helpers/haloLab.js';
import { ip, waitFor, withTimeout } from '../helpers/netns.js';

describe('halo run: a start that fails leaves nothing running (network namespace)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hrf', 1);
  });
  after(async () => {
    await hl.destroy();
  });

  test('the journal cannot open while the VRRP part is ready: exit 1, and its ip helpers are gone', async () => {
    // The VRRP part is prepared side by side with the journal; a file where the journal's
    // directory goes fails the journal only.
    const stateDir = join(hl.dir, 'state1');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'journal'), 'not a directory');
    const halo = hl.halo(0, instanceBlock({ priority: 100 }));
    halo.start();
    const proc = halo.proc!;
    const code = await withTimeout(
      new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c))),
      10_000,
      'halo run to exit after its journal failed (a prepared VRRP part not released keeps it alive)',
    );
    assert.equal(code, 1);
    assert.match(halo.errors.join('\n'), /HALO_E_JOURNAL_IO/);
    const ns = hl.hosts[0]!.ns;
    await waitFor(
      async () => `no process left in ${ns} (pids: ${(await ip(['netns', 'pids', ns])).trim()})`,
      async () => (await ip(['netns', 'pids', ns])).trim() === '',
      2_000,
    );
  });
});
