import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HALO_MAIN } from '../../src/cli/nodeProcess.js';

// The tool check comes after the root check, as on a real run.
test('halo demo names the tools it cannot find and exits 1 before it creates anything', {
  skip: process.getuid?.() !== 0 && 'needs root',
}, () => {
  // A PATH with ip and nothing else: arping and ping are missing.
  const bin = mkdtempSync(join(tmpdir(), 'halo-demo-path-'));
  try {
    const ip = spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(ip, join(bin, 'ip'));
    const r = spawnSync(process.execPath, [HALO_MAIN, 'demo'], {
      env: { ...process.env, PATH: bin },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^halo: HALO_E_MISSING_TOOL: halo demo needs arping, ping, not found on PATH/);
    assert.match(r.stderr, /iputils-arping iputils-ping/);
    assert.equal(r.stdout, '', 'no step was taken');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
