import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HALO_MAIN } from '../../src/cli/nodeProcess.js';

const exec = promisify(execFile);
const V3 = fileURLToPath(new URL('../../../test/fixtures/keepalived/v3.conf', import.meta.url));

describe('halo check', () => {
  it('prints each warning with its code and file:line, then the files it read', async () => {
    const { stdout, stderr } = await exec(process.execPath, [HALO_MAIN, 'check', '-q', '-c', V3]);
    assert.equal(stdout, '');
    assert.deepEqual(stderr.trimEnd().split('\n'), [
      `warning: HALO_W_CONFIG_ADJUSTED: ${V3}:9: (VI_3) VRRP version 3 does not support authentication; ignored`,
      `warning: HALO_W_CONFIG_ADJUSTED: ${V3}:18: (VI_3B) VRRPv3 advert_int 0.123s must be in units of 10ms; ` +
        `rounding to 0.12s`,
      `configuration OK: ${V3} (keepalived)`,
    ]);
  });
});
