import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createLab, type Lab, type LabNode } from '../../helpers/netns.js';
import { tcpdump } from '../../helpers/tcpdump.js';
import { fixturePath, type JsonLine } from '../jsonChild.js';

const NET_CALL = fixturePath(import.meta.url, 'netCall.js');

async function call(node: LabNode, op: string, args: Record<string, unknown>): Promise<JsonLine> {
  return JSON.parse(await node.exec('node', [NET_CALL, op, JSON.stringify(args)])) as JsonLine;
}

describe('gratuitous ARP in a lab', () => {
  let lab: Lab;
  let n1: LabNode;
  let n2: LabNode;

  before(async () => {
    lab = await createLab({ prefix: 'hcg', nodes: 2 });
    [n1, n2] = lab.nodes as [LabNode, LabNode];
  });
  after(async () => {
    await lab.destroy();
  });

  test('sendGarp returns in under 5 ms and another node sees the gratuitous ARP on the wire', async (t) => {
    const capture = tcpdump(n2, ['-i', 'eth0', '-c', '1', 'arp']);
    await capture.ready;

    await call(n1, 'addVip', { address: '192.0.2.100', prefix: 32, dev: 'eth0' });
    const r = await call(n1, 'sendGarp', { dev: 'eth0', address: '192.0.2.100', count: 1 });
    assert.equal(r.ok, true);
    t.diagnostic(
      `sendGarp returned in ${Number(r.returnedMs).toFixed(2)} ms; arping ran ${Number(r.totalMs).toFixed(0)} ms`,
    );
    assert.ok(Number(r.returnedMs) < 5, `sendGarp took ${Number(r.returnedMs).toFixed(2)} ms to return`);
    assert.ok(Number(r.totalMs) > 500, 'arping itself lingers ~1 s: proof that sendGarp did not wait for it');
    assert.deepEqual(r.stats, { started: 1, sent: 1, failed: 0, cancelled: 0 });

    await capture.exited;
    const captured = capture.lines().join('\n');
    assert.match(captured, /ARP, Request who-has 192\.0\.2\.100 (\(ff:ff:ff:ff:ff:ff\) )?tell 192\.0\.2\.100/);
  });

  test('arping failing on an unknown device is counted and logged, not thrown', async () => {
    const r = await call(n1, 'sendGarp', { dev: 'nosuch0', address: '192.0.2.100', count: 1 });
    assert.equal(r.ok, true);
    assert.deepEqual(r.stats, { started: 1, sent: 0, failed: 1, cancelled: 0 });
  });

  test('an announcer stopped mid-burst sends no GARP after stop() and ignores later bursts', async () => {
    // -tt: epoch timestamps, comparable with the fixture's Date.now() on the same host.
    const capture = tcpdump(n2, ['-tt', '-i', 'eth0', 'arp']);
    await capture.ready;
    await call(n1, 'addVip', { address: '192.0.2.101', prefix: 32, dev: 'eth0' });
    // arping paces 1 s apart: stopped at 1.5 s, a burst of 5 has sent 2.
    const r = await call(n1, 'announce', { dev: 'eth0', address: '192.0.2.101', count: 5, stopAfterMs: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    capture.stop();
    const captured = capture.lines().join('\n');
    await call(n1, 'delVip', { address: '192.0.2.101', prefix: 32, dev: 'eth0' });
    const want = { started: 1, sent: 0, failed: 0, cancelled: 1 };
    assert.deepEqual(r.stats, want, 'one run, cancelled; the later burst never ran');
    const garpTimes = capture
      .lines()
      .filter((l) => /who-has 192\.0\.2\.101 .*tell 192\.0\.2\.101/.test(l))
      .map((l) => Number(l.split(' ')[0]) * 1000);
    const stoppedAt = Number(r.stoppedAt);
    assert.ok(garpTimes.length >= 1, `the burst started before the stop: ${captured}`);
    const late = garpTimes.filter((t) => t > stoppedAt + 20);
    assert.deepEqual(late, [], `GARPs after stop() at ${stoppedAt}: ${captured}`);
  });
});

test('a missing arping binary is counted as failed, not thrown', async () => {
  // No arping on PATH means nothing is ever sent, so this can run outside a namespace.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [NET_CALL, 'sendGarp', JSON.stringify({ dev: 'eth0', address: '192.0.2.100', count: 1 })],
    { env: { PATH: '/nonexistent' } },
  );
  const r = JSON.parse(stdout) as JsonLine;
  assert.deepEqual(r.stats, { started: 1, sent: 0, failed: 1, cancelled: 0 });
  assert.match(stderr, /gratuitous ARP failed to start/);
  assert.match(stderr, /ENOENT/);
});
