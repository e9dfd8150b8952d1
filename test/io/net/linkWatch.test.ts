import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { linkUpFromSysfs, parseMonitorLine } from '../../../src/io/net/linkWatch.js';
import { createLab, type Lab, type LabNode, waitFor } from '../../helpers/netns.js';
import { fixturePath, type JsonChild, spawnJsonChild } from '../jsonChild.js';
import { survivors, waitForChildren } from '../../helpers/processTree.js';

const WATCHER = fixturePath(import.meta.url, 'linkWatcher.js');

test('parseMonitorLine: up needs UP, carrier and an UP/UNKNOWN state', () => {
  const tail =
    ' mtu 1500 qdisc noqueue state %s group default \\    link/ether 56:e0:f4:01:77:5f brd ff:ff:ff:ff:ff:ff';
  const line = (head: string, state: string): string => head + tail.replace('%s', state);
  assert.deepEqual(parseMonitorLine(line('3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP>', 'UP')), {
    name: 'eth0',
    up: true,
  });
  assert.deepEqual(
    parseMonitorLine(line('3: eth0@if4: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN>', 'LOWERLAYERDOWN')),
    { name: 'eth0', up: false },
  );
  assert.deepEqual(parseMonitorLine(line('2: d1@d0: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP>', 'LOWERLAYERDOWN')), {
    name: 'd1',
    up: false,
  });
  assert.deepEqual(parseMonitorLine(line('3: eth0@if4: <BROADCAST,MULTICAST>', 'DOWN')), { name: 'eth0', up: false });
  assert.deepEqual(parseMonitorLine(line('1: lo: <LOOPBACK,UP,LOWER_UP>', 'UNKNOWN')), { name: 'lo', up: true });
  assert.deepEqual(parseMonitorLine(line('Deleted 3: eth0@NONE: <BROADCAST,MULTICAST,UP,LOWER_UP>', 'UP')), {
    name: 'eth0',
    up: false,
  });
  assert.equal(parseMonitorLine('garbage'), undefined);
});

test('linkUpFromSysfs: operstate up/unknown with carrier 1', () => {
  assert.equal(linkUpFromSysfs('up\n', '1\n'), true);
  assert.equal(linkUpFromSysfs('unknown\n', '1\n'), true);
  assert.equal(linkUpFromSysfs('lowerlayerdown\n', '0\n'), false);
  assert.equal(linkUpFromSysfs('down\n', undefined), false);
});

describe('watchLink in a lab', () => {
  let lab: Lab;
  let n1: LabNode;
  let watcher: JsonChild;
  const changes = (): unknown[] => watcher.lines.filter((l) => l.event === 'change').map((l) => l.up);
  const nthChange = (n: number, up: boolean) =>
    watcher.next(
      (l) => l.event === 'change' && watcher.lines.filter((x) => x.event === 'change').indexOf(l) === n && l.up === up,
      3000,
    );

  before(async () => {
    lab = await createLab({ prefix: 'hcl', nodes: 1 });
    [n1] = lab.nodes as [LabNode];
    watcher = spawnJsonChild(n1, WATCHER, ['eth0']);
  });
  after(async () => {
    watcher.child.stdin?.end();
    await lab.destroy();
  });

  test('starts from the current state (up) and reports a pulled cable and its return', async () => {
    const ready = await watcher.next((l) => l.event === 'ready', 5000);
    assert.equal(ready.up, true);
    await new Promise((r) => setTimeout(r, 200)); // let `ip monitor` subscribe
    await lab.setCable(n1, false);
    assert.equal((await nthChange(0, false)).current, false);
    await lab.setCable(n1, true);
    await nthChange(1, true);
  });

  test('reports `ip link set eth0 down/up` inside the namespace, and nothing for an mtu change', async () => {
    await n1.exec('ip', ['link', 'set', 'eth0', 'down']);
    await nthChange(2, false);
    await n1.exec('ip', ['link', 'set', 'eth0', 'up']);
    await nthChange(3, true);
    await n1.exec('ip', ['link', 'set', 'eth0', 'mtu', '1400']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(changes(), [false, true, false, true], 'only changes are reported');
  });

  test('a monitor that dies is restarted and changes are still reported', async () => {
    const pid = watcher.child.pid!;
    const monitorPid = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim());
    assert.ok(monitorPid > 0);
    process.kill(monitorPid, 'SIGKILL');
    await waitFor(
      '"link monitor ended; restarting" on stderr',
      () => watcher.stderr().includes('link monitor ended; restarting'),
      3000,
    );
    await new Promise((r) => setTimeout(r, 500)); // restartDelayMs 200 in the fixture, then subscribe
    await lab.setCable(n1, false);
    await nthChange(4, false);
    await lab.setCable(n1, true);
    await nthChange(5, true);
    assert.deepEqual(changes(), [false, true, false, true, false, true]);
  });

  // Last: it kills the watcher. No link changes afterwards, so only pdeathsig can end the monitor.
  test('the monitor dies with a watcher killed with SIGKILL, with no link event to wake it', async () => {
    const pid = watcher.child.pid!;
    const monitors = await waitForChildren(pid, (c) => c.some((p) => p.comm === 'ip'), 3000, 'the ip monitor');
    const exited = new Promise((r) => watcher.child.once('exit', r));
    watcher.child.kill('SIGKILL');
    await exited;
    assert.deepEqual(await survivors(monitors, 2000), [], 'no ip monitor outlives the killed watcher');
  });
});
