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

test('armFrom counts the timers armed inside it from the given origin, and only those', async () => {
  const origin = performance.now();
  // Busy for 20 ms after the "packet arrived", as a slow decode + transition would be.
  while (performance.now() < origin + 20);
  const firedAt: Record<string, number> = {};
  const arm = (name: string, ms: number) =>
    preciseClock.setTimeout(() => {
      firedAt[name] = performance.now();
    }, ms);
  preciseClock.armFrom(origin, () => arm('fromReceipt', 50));
  arm('fromNow', 50);
  assert.throws(() => preciseClock.armFrom(origin, () => { throw new Error('boom'); }), /boom/);
  arm('afterThrow', 50);
  // A future origin is clamped to now: a timer never fires before its delay from arming.
  const armed = performance.now();
  preciseClock.armFrom(armed + 1000, () => arm('future', 10));
  await new Promise((r) => setTimeout(r, 120));
  const since = (name: string) => firedAt[name]! - origin;
  // Counted from the origin: due at 50 ms, where a timer counted from arming is due at 70 ms
  // (the bound leaves room for a loaded CI machine's late timers).
  assert.ok(since('fromReceipt') >= 50 && since('fromReceipt') < 65, `from receipt: ${since('fromReceipt').toFixed(3)} ms`);
  assert.ok(since('fromNow') >= 70, `from now: ${since('fromNow').toFixed(3)} ms`);
  assert.ok(since('afterThrow') >= 70, `origin restored after a throw: ${since('afterThrow').toFixed(3)} ms`);
  assert.ok(firedAt.future! - armed >= 10, 'a future origin is not trusted');
});

test('a timer re-armed from its own callback keeps its period, however long the callback works', async () => {
  const fired: number[] = [];
  let armed = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      fired.push(performance.now());
      // 3 ms of work before re-arming, like an advert sent before Adver_Timer is set again.
      const until = performance.now() + 3;
      while (performance.now() < until);
      if (fired.length < 6) preciseClock.setTimeout(tick, 20);
      else resolve();
    };
    armed = performance.now();
    preciseClock.setTimeout(tick, 20);
  });
  // Six deadlines 20 ms apart from the arming: the last is due at 120 ms, not 135 (+ 5 × 3 ms of
  // work). Counted from the arming, not from the first firing, which may itself be late.
  const span = fired.at(-1)! - armed;
  assert.ok(span >= 120 && span < 127, `six periods took ${span.toFixed(3)} ms`);
});

test('warmers run once per timer, just before it is due, with its delay; not for a timer already too close', async () => {
  const seen: Array<{ delay: number; left: number }> = [];
  let due = 0;
  const unsubscribe = preciseClock.onWarm((delay) => {
    seen.push({ delay, left: due - performance.now() });
  });
  const failing = preciseClock.onWarm(() => {
    throw new Error('a warm-up that fails');
  });
  try {
    // A loaded machine can start a timer's spin too late to warm; one of five gets there.
    for (let i = 0; i < 5 && seen.length === 0; i++) {
      due = performance.now() + 40;
      const late = await wait(40);
      assert.ok(late >= 0, 'a throwing warmer does not stop the timer');
    }
    assert.equal(seen.length, 1, 'once');
    assert.equal(seen[0]!.delay, 40);
    assert.ok(seen[0]!.left > 0 && seen[0]!.left <= 2.1, `warmed ${seen[0]!.left.toFixed(3)} ms before due`);
    // Armed 0.5 ms ahead: too close to warm anything without firing late.
    await wait(0.5);
    assert.equal(seen.length, 1);
  } finally {
    unsubscribe();
    failing();
  }
  await wait(10);
  assert.equal(seen.length, 1, 'unsubscribed');
});

test('prime runs its throwaway timers back to back and resolves when they are done', async () => {
  const t0 = performance.now();
  await preciseClock.prime();
  const took = performance.now() - t0;
  // 20 timers of 6 ms, each never early.
  assert.ok(took >= 120 && took < 1_000, `primed in ${took.toFixed(1)} ms`);
});
