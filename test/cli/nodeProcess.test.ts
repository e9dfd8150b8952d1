import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { stopChild } from '../../src/cli/nodeProcess.js';
import { alive } from '../helpers/processAlive.js';

/** A node child that prints `ready` once its SIGTERM handler is in place. */
function child(onTerm: string): Promise<ReturnType<typeof spawn>> {
  const proc = spawn(process.execPath, ['-e', `process.on('SIGTERM', () => { ${onTerm} }); setInterval(() => {}, 1000); console.log('ready')`]);
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout.once('data', () => resolve(proc));
  });
}

test('stopChild: a child that exits on the signal is waited for', async () => {
  const proc = await child('process.exit(0)');
  await stopChild(proc, 'SIGTERM', 5_000, 'a polite child');
  assert.equal(proc.exitCode, 0);
});

test('stopChild: a child that ignores the signal is SIGKILLed after the bound, and the call says who and why', async () => {
  const proc = await child('');
  const t0 = Date.now();
  await assert.rejects(stopChild(proc, 'SIGTERM', 300, 'a deaf child'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'HALO_E_TIMEOUT');
    assert.match(err.message, /a deaf child did not exit within 300 ms of SIGTERM/);
    return true;
  });
  assert.ok(Date.now() - t0 >= 290, 'it waited out the bound first');
  assert.equal(proc.signalCode, 'SIGKILL');
  assert.equal(alive(proc.pid!), false);
});
