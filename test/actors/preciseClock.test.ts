import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preciseClock } from '../../src/actors/preciseClock.js';

const wait = (ms: number, clock = preciseClock): Promise<number> =>
  new Promise((resolve) => {
    const t0 = performance.now();
    clock.setTimeout(() => resolve(performance.now() - t0 - ms), ms);
  });

test('fires never early and within a millisecond of a fractional deadline, while the loop is busy', async () => {
  // Other timers and I/O-ish turns on the loop, as in the daemon.
  const noise = setInterval(() => {
    const until = performance.now() + 0.3;
    while (performance.now() < until);
  }, 3);
  try {
    const lateness: number[] = [];
    for (let i = 0; i < 8; i++) lateness.push(await wait(30.375));
    assert.ok(lateness.every((l) => l >= 0), `never early: ${lateness.map((l) => l.toFixed(3)).join(' ')}`);
    lateness.sort((a, b) => a - b);
    assert.ok(lateness[4]! < 1, `median lateness ${lateness[4]!.toFixed(3)} ms`);
  } finally {
    clearInterval(noise);
  }
});

test('a cleared timer never fires, even in its final stretch', async () => {
  let fired = false;
  const id = preciseClock.setTimeout(() => {
    fired = true;
  }, 10);
  await new Promise((r) => setTimeout(r, 8));
  preciseClock.clearTimeout(id);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired, false);
});
