import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OWNER_VAR } from '../../src/io/childLifetime.js';
import { runCommand } from '../../src/io/exec.js';
import { sleep } from '../../src/io/sleep.js';
import { alive } from '../helpers/processAlive.js';
import { leftAfterKill9 } from '../helpers/processTree.js';

test('exit codes and output are reported, a failing script does not reject', async () => {
  const ok = await runCommand(['sh', '-c', 'echo out; echo err >&2; exit 0'], { timeoutMs: 5000 });
  assert.deepEqual(
    [ok.exitCode, ok.signal, ok.stdout, ok.stderr, ok.timedOut, ok.aborted],
    [0, null, 'out\n', 'err\n', false, false],
  );
  const bad = await runCommand(['sh', '-c', 'exit 3'], { timeoutMs: 5000 });
  assert.equal(bad.exitCode, 3);
  const seedCheck = await runCommand(['killall', '-0', 'no-such-process-halo'], { timeoutMs: 5000 });
  assert.equal(seedCheck.exitCode, 1, "the seed's `killall -0 haproxy` check fails cleanly when the process is absent");
});

test('env adds to the daemon environment', async () => {
  const r = await runCommand(['sh', '-c', 'echo "$HALO_TEST_VAR:$PATH"'], {
    timeoutMs: 5000,
    env: { HALO_TEST_VAR: 'x1' },
  });
  assert.equal(r.stdout.trim(), `x1:${process.env.PATH}`);
});

test('timeout kills the whole process group within timeout + 50 ms', async (t) => {
  const timeoutMs = 200;
  // The shell forks a background sleep and waits on a foreground one: both must die.
  const r = await runCommand(['sh', '-c', 'sleep 10 & echo $!; sleep 10'], { timeoutMs });
  const bgPid = Number(r.stdout.trim());
  t.diagnostic(`timeout ${timeoutMs} ms: result after ${r.durationMs.toFixed(1)} ms`);
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(r.durationMs >= timeoutMs && r.durationMs < timeoutMs + 50, `took ${r.durationMs.toFixed(1)} ms`);
  assert.ok(bgPid > 0);
  // The group was signalled; the background sleep dies when the kernel next schedules it.
  for (let i = 0; i < 20 && alive(bgPid); i++) await sleep(10);
  assert.equal(alive(bgPid), false, 'the background sleep in the same group is gone too');
});

test('a script ignoring SIGTERM is SIGKILLed after the grace period', async () => {
  const r = await runCommand(['sh', '-c', "trap '' TERM; sleep 10"], { timeoutMs: 100, killGraceMs: 100 });
  assert.equal(r.timedOut, true);
  assert.ok(r.durationMs < 100 + 100 + 100, `took ${r.durationMs.toFixed(1)} ms`);
});

test('an abort signal kills the script and marks the result aborted', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await runCommand(['sleep', '10'], { timeoutMs: 5000, signal: ac.signal });
  assert.deepEqual([r.aborted, r.timedOut, r.signal], [true, false, 'SIGTERM']);
  assert.ok(r.durationMs < 200, `took ${r.durationMs.toFixed(1)} ms`);
  const before = await runCommand(['sleep', '10'], { timeoutMs: 5000, signal: AbortSignal.abort() });
  assert.deepEqual([before.aborted, before.exitCode, before.stderr], [true, null, 'aborted before start']);
});

test('output is capped per stream and the script still runs to its end', async () => {
  const r = await runCommand(['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" a; echo done >&2'], {
    timeoutMs: 5000,
    maxOutputBytes: 1000,
  });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'a'.repeat(1000));
  assert.equal(r.stderr, 'done\n');
});

test('a missing program is exitCode null with the spawn error in stderr', async () => {
  const r = await runCommand(['/nonexistent/halo-check'], { timeoutMs: 5000 });
  assert.equal(r.exitCode, null);
  assert.equal(r.signal, null);
  assert.match(r.stderr, /ENOENT/);
  const empty = await runCommand([], { timeoutMs: 5000 });
  assert.equal(empty.exitCode, null);
});

test('the script runs in its own process group', async () => {
  const r = await runCommand(['sh', '-c', 'cat /proc/$$/stat'], { timeoutMs: 5000 });
  // Fields after the ")": state ppid pgrp; a detached child leads its own group.
  const [, , pgrp] = r.stdout.slice(r.stdout.lastIndexOf(')') + 2).split(' ');
  const pid = Number(r.stdout.split(' ')[0]);
  assert.equal(Number(pgrp), pid);
  assert.notEqual(Number(pgrp), Number(readFileSync('/proc/self/stat', 'utf8').split(' ')[4]));
});

test('stdin is written to the command and closed; a command that ignores it still finishes', async () => {
  const echoed = await runCommand(['cat'], { timeoutMs: 2_000, stdin: '{"id":"n1:1:7"}\n' });
  assert.equal(echoed.exitCode, 0);
  assert.equal(echoed.stdout, '{"id":"n1:1:7"}\n');
  const ignored = await runCommand(['true'], { timeoutMs: 2_000, stdin: 'x'.repeat(1 << 20) });
  assert.equal(ignored.exitCode, 0);
});

test('a check script dies with a daemon killed with SIGKILL; a notify script may finish', async () => {
  assert.deepEqual(await leftAfterKill9('check', 'sleep'), [], 'no check script outlives the killed daemon');
  const notify = await leftAfterKill9('notify', 'sleep', 500);
  assert.equal(notify.length, 1, 'the running notify script is still running 500 ms after the kill');
});

test("the daemon's helper tag reaches check scripts, even in a clean environment, but not notify scripts", async () => {
  const saved = process.env[OWNER_VAR];
  process.env[OWNER_VAR] = '1:2:/var/lib/halo-test';
  try {
    const show = ['sh', '-c', `echo "[\${${OWNER_VAR}:-none}]"`];
    const check = await runCommand(show, { timeoutMs: 5000, cleanEnv: true, env: { PATH: process.env.PATH ?? '' } });
    assert.equal(check.stdout.trim(), '[1:2:/var/lib/halo-test]');
    const notify = await runCommand(show, { timeoutMs: 5000, outlivesDaemon: true });
    assert.equal(notify.stdout.trim(), '[none]');
  } finally {
    if (saved === undefined) delete process.env[OWNER_VAR];
    else process.env[OWNER_VAR] = saved;
  }
});
