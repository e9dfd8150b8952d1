/**
 * Issue 16: every child halo starts dies with it, even on kill -9 (the kernel ends the direct
 * children through pdeathsig); what a check script left in the background is ended at the next
 * start on the same state dir; a running notify script may finish; nothing else is touched.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { ownerTag, processStartTime } from '../../src/io/childLifetime.js';
import { findLeftovers } from '../../src/io/leftoverHelpers.js';
import { createHaloLab, type HaloLab, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { alive } from '../helpers/processAlive.js';
import { childrenOf, survivors, taggedSleep } from '../helpers/processTree.js';

const VI = 'vrrp:VI_1';

describe('children of a daemon killed with SIGKILL (VRRPv3, advert 0.1 s)', () => {
  let hl: HaloLab;
  const standIns: ChildProcess[] = [];
  const strays: number[] = [];
  after(async () => {
    if (!hl) return;
    await hl.stopStarted();
    await hl.destroy();
    for (const c of standIns) c.kill('SIGKILL');
    for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
    // Anything a failing run left, found by the tag of this lab's state dir.
    for (const l of findLeftovers(join(hl.dir, 'state1'))) process.kill(l.pid, 'SIGKILL');
  });

  /** A process this test starts as a stand-in, with `tag` (or none) in its environment. */
  const standIn = (tag: string | undefined): number => {
    const c = taggedSleep(tag);
    standIns.push(c);
    return c.pid!;
  };
  const pidIn = (file: string): number | undefined =>
    existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined;

  test("kill -9 leaves no child running; a check script's background leftover is ended at the next start", async () => {
    hl = await createHaloLab('hcd', 1);
    const checkPid = join(hl.dir, 'check.pid');
    const backgroundPid = join(hl.dir, 'background.pid');
    const notifyPid = join(hl.dir, 'notify.pid');
    // A check that is still running at the kill, with a process of its own in the background.
    const check = hl.write(
      'check.sh',
      `#!/bin/sh\necho $$ > ${checkPid}\nsleep 600 &\necho $! > ${backgroundPid}\nexec sleep 600\n`,
    );
    // The first run's notify_master keeps running; the next run's returns at once, so its
    // graceful stop does not wait for it.
    const notify = hl.write(
      'notify.sh',
      `#!/bin/sh\n[ -e ${notifyPid} ] && exit 0\necho $$ > ${notifyPid}\nexec sleep 600\n`,
    );
    chmodSync(check, 0o755);
    chmodSync(notify, 0o755);
    const conf = `vrrp_script chk {\n  script "${check}"\n  interval 1\n  timeout 100\n  weight 10\n}\n${instanceBlock({
      priority: 150,
      state: 'MASTER',
      // One GARP burst, no second one: arping ends on its own before the kill.
      extra: `  track_script {\n    chk\n  }\n  notify_master ${notify}\n  garp_master_delay 0\n  garp_master_repeat 1`,
    })}`;
    const node = hl.run(0, conf);
    await node.waitState(VI, 'master', 5_000);
    const daemon = node.proc!.pid!;

    // ip -batch (it added the VIP), ip monitor, the check and notify scripts, and the one GARP
    // burst's arping come and gone (it ends on its own).
    let arpingSeen = false;
    const children = await waitFor(
      () =>
        `ip -batch, ip monitor, check and notify scripts as children of ${daemon}, arping come and gone` +
        ` (${JSON.stringify(childrenOf(daemon))})`,
      () => {
        const c = childrenOf(daemon);
        const arping = c.some((p) => p.comm === 'arping');
        arpingSeen ||= arping;
        const ips = c.filter((p) => p.comm === 'ip').length;
        const has = (file: string): boolean => c.some((p) => p.pid === pidIn(file));
        return (
          ips === 2 &&
          has(checkPid) &&
          has(notifyPid) &&
          pidIn(backgroundPid) !== undefined &&
          arpingSeen &&
          !arping &&
          c
        );
      },
      5_000,
      5,
    );
    const notifyScript = pidIn(notifyPid)!;
    const background = pidIn(backgroundPid)!;
    strays.push(notifyScript, background);
    const crashedRun = { pid: daemon, startTime: processStartTime(daemon)!, stateDir: join(hl.dir, 'state1') };

    await node.kill('SIGKILL');
    const tied = children.filter((p) => p.pid !== notifyScript);
    assert.deepEqual(await survivors(tied, 2_000), [], 'no ip helper or check script outlives the killed daemon');
    assert.equal(alive(notifyScript), true, 'the running notify script may finish');
    assert.equal(
      alive(background),
      true,
      "the check script's background process outlived it: only the next start can end it",
    );
    const tagged = findLeftovers(crashedRun.stateDir).map((l) => l.pid);
    assert.deepEqual(tagged, [background], 'of all the killed daemon started, only the background process is left');

    // Beside it: stand-ins the next start must not touch. One carries the crashed run's tag
    // for another state dir, one the same state dir and a daemon that is alive, one no tag.
    const otherDir = standIn(ownerTag({ ...crashedRun, stateDir: join(hl.dir, 'state2') }));
    const liveOwner = standIn(
      ownerTag({ pid: process.pid, startTime: processStartTime(process.pid)!, stateDir: crashedRun.stateDir }),
    );
    const untagged = standIn(undefined);

    const lines: Array<{ msg?: string; ended?: Array<{ pid: number; ownerPid: number }> }> = [];
    node.start();
    createInterface({ input: node.proc!.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
    await node.waitState(VI, 'master', 5_000, { fresh: true });
    await waitFor(`the background leftover ${background} to be ended`, () => !alive(background), 2_000);
    const ended = await waitFor(
      () => `the log line of what the start ended (${JSON.stringify(lines.slice(0, 5))})`,
      () => lines.find((l) => l.msg === 'ended helpers a crashed run left behind')?.ended,
      2_000,
    );
    assert.deepEqual(
      ended.map((e) => [e.pid, e.ownerPid]),
      [[background, daemon]],
      `the start logs what it ended, with pids: ${JSON.stringify(ended)}`,
    );
    for (const [what, pid] of Object.entries({ otherDir, liveOwner, untagged, notifyScript })) {
      assert.equal(alive(pid), true, `${what} (${pid}) is not touched`);
    }
  });
});
