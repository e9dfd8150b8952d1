import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { NodeProcess, stopChild } from '../../src/cli/nodeProcess.js';
import type { LabNode } from '../../src/io/net/netnsLab.js';
import { alive } from '../helpers/processAlive.js';

/** A node child that prints `ready` once its SIGTERM handler is in place. */
function child(onTerm: string): Promise<ReturnType<typeof spawn>> {
  const proc = spawn(process.execPath, [
    '-e',
    `process.on('SIGTERM', () => { ${onTerm} }); setInterval(() => {}, 1000); console.log('ready')`,
  ]);
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

test(
  'stopChild: a child that ignores the signal is SIGKILLed after the bound, ' + 'and the call says who and why',
  async () => {
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
  },
);

test('NodeProcess.waitState fails as soon as the daemon exits, not at its timeout', async () => {
  // The host itself as the "lab node": a config that cannot be read ends `halo run` at once.
  const host: LabNode = {
    ns: 'host',
    dev: 'lo',
    ip: '127.0.0.1',
    exec: () => Promise.reject(new Error('not used')),
    spawn: (cmd, args, opts) => spawn(cmd, args, { stdio: 'pipe', ...opts }),
  };
  const node = new NodeProcess('node1', host, ['-c', '/nonexistent/halo.conf']);
  node.start();
  const t0 = Date.now();
  await assert.rejects(node.waitState('vrrp:VI_1', 'master', 30_000), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'HALO_E_EXEC');
    assert.match(err.message, /^node1 exited while waiting for vrrp:VI_1 to reach master/);
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000, `rejected after ${Date.now() - t0} ms`);
});
