import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { openIpBatch } from '../../../src/io/net/ipBatch.js';
import { leftAfterKill9 } from '../../helpers/processTree.js';

/** Scheduling class and real-time priority of this process's `ip` children (ps CLS, RTPRIO). */
function ipChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'comm=,cls=,rtprio=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'ip')
    .map((w) => `${w[1]} ${w[2]}`);
}

/** close() ends ip's stdin; it exits on its own a moment later. */
async function closed(batch: { close(): void }): Promise<void> {
  batch.close();
  for (let i = 0; i < 100 && ipChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(ipChildren(), [], 'the helper exited');
}

test('the ip helper runs a command and, asked to, runs at SCHED_FIFO (the VIP add never waits for a CPU)', async () => {
  const problems: string[] = [];
  // A read-only command: the batch answers for it like for an address change.
  const batch = openIpBatch({ nice: -5, fifo: 1, onPriorityError: (m) => problems.push(m) });
  try {
    assert.deepEqual(await batch.run(['link', 'show', 'dev', 'lo']), { ok: true, stdout: '' });
    // chrt runs beside the first command; give it a moment.
    for (let i = 0; i < 50 && !ipChildren().includes('FF 1'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ipChildren(), ['FF 1']);
    assert.deepEqual(problems, []);
  } finally {
    await closed(batch);
  }
});

test('without fifo it stays a normal task', async () => {
  const batch = openIpBatch();
  try {
    assert.equal((await batch.run(['link', 'show', 'dev', 'lo'])).ok, true);
    assert.deepEqual(ipChildren(), ['TS -']);
  } finally {
    await closed(batch);
  }
});

test('warm-ups between and beside commands leave every answer with its own command', async () => {
  const batch = openIpBatch();
  try {
    batch.warm();
    const first = batch.run(['link', 'show', 'dev', 'halo-absent1']);
    batch.warm();
    const second = batch.run(['link', 'show', 'dev', 'lo']);
    batch.warm();
    batch.warm();
    const third = batch.run(['link', 'show', 'dev', 'halo-absent3']);
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.equal(a.ok, false);
    assert.match(a.ok ? '' : a.stderr, /halo-absent1/);
    assert.deepEqual(b, { ok: true, stdout: '' });
    assert.equal(c.ok, false);
    assert.match(c.ok ? '' : c.stderr, /halo-absent3/);
    assert.doesNotMatch(c.ok ? '' : c.stderr, /halo-absent1|halo-no-such/, 'no other line in its error');
  } finally {
    await closed(batch);
  }
});

test('the ip helper dies with a daemon killed with SIGKILL', async () => {
  assert.deepEqual(await leftAfterKill9('ipBatch', 'ip'), [], 'no ip -batch outlives the killed daemon');
});
