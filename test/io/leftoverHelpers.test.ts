import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ownerTag, processStartTime } from '../../src/io/childLifetime.js';
import { endLeftovers } from '../../src/io/leftoverHelpers.js';
import { createLogger } from '../../src/io/log.js';
import { alive } from '../helpers/processAlive.js';
import { taggedSleep } from '../helpers/processTree.js';

const stateDir = mkdtempSync(join(tmpdir(), 'halo-leftovers-'));
const otherDir = mkdtempSync(join(tmpdir(), 'halo-leftovers-other-'));
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) c.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

/** A stand-in helper: a sleep whose environment carries `tag` (or no tag at all). */
function standIn(tag: string | undefined): number {
  const c = taggedSleep(tag);
  started.push(c);
  return c.pid!;
}

test('at start, only helpers tagged with this state dir by a daemon that is gone are ended, and logged', async () => {
  // A daemon that ran and is gone: a real process that exited, with its real start time.
  const gone = spawnSync('sh', ['-c', 'echo $$; cat /proc/$$/stat'], { encoding: 'utf8' });
  const [pidLine = '', stat = ''] = gone.stdout.split('\n');
  const gonePid = Number(pidLine);
  const goneStart = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  assert.ok(gonePid > 0 && goneStart > 0, `the gone daemon's pid ${gonePid} and start ${goneStart}`);
  const myStart = processStartTime(process.pid)!;

  const crashed = standIn(ownerTag({ pid: gonePid, startTime: goneStart, stateDir }));
  // The tag's pid runs again, but as another process (this one): its daemon is gone all the same.
  const reusedOwnerPid = standIn(ownerTag({ pid: process.pid, startTime: myStart + 1, stateDir }));
  const liveDaemons = standIn(ownerTag({ pid: process.pid, startTime: myStart, stateDir }));
  const otherStateDir = standIn(ownerTag({ pid: gonePid, startTime: goneStart, stateDir: otherDir }));
  const untagged = standIn(undefined);
  const lookalike = standIn(`${gonePid}:${goneStart}:${stateDir}-not`);

  const lines: Array<{ msg: string; ended?: Array<{ pid: number; command: string; ownerPid: number }> }> = [];
  const log = createLogger({ destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
  // A trailing slash names the same state dir.
  const ended = endLeftovers(`${stateDir}/`, log);

  assert.deepEqual(ended.map((l) => l.pid).sort(), [crashed, reusedOwnerPid].sort());
  for (let i = 0; i < 50 && (alive(crashed) || alive(reusedOwnerPid)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(crashed), false, "the crashed run's helper is gone");
  assert.equal(alive(reusedOwnerPid), false, 'the helper of a daemon whose pid was reused is gone');
  for (const [what, pid] of Object.entries({ liveDaemons, otherStateDir, untagged, lookalike })) {
    assert.equal(alive(pid), true, `${what} (${pid}) is not touched`);
  }
  const logged = lines.find((l) => l.msg === 'ended helpers a crashed run left behind');
  assert.deepEqual(
    logged?.ended?.map((e) => [e.pid, e.command, e.ownerPid]).sort(),
    [
      [crashed, 'sleep 600', gonePid],
      [reusedOwnerPid, 'sleep 600', process.pid],
    ].sort(),
  );
  assert.deepEqual(endLeftovers(stateDir, log), [], 'nothing is left to end the second time');
});
