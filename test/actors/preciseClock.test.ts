import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPreciseClock, type PreciseClock } from '../../src/actors/preciseClock.js';

/** A precise timer named `name`, armed as xstate arms a tagged delay: tag, then setTimeout. */
const armPrecise = (clock: PreciseClock, fn: () => void, ms: number, name = 'test'): unknown =>
  clock.setTimeout(fn, clock.precise(name, ms));

/** How late (ms) a precise timer of `ms` fired. */
const wait = (clock: PreciseClock, ms: number, name = 'test'): Promise<number> =>
  new Promise((resolve) => {
    const t0 = performance.now();
    armPrecise(clock, () => resolve(performance.now() - t0 - ms), ms, name);
  });

/** A Node Timeout (a plain setTimeout) has refresh(); the clock's own precise timers do not. */
const isPlainTimeout = (id: unknown): boolean => typeof (id as { refresh?: unknown }).refresh === 'function';

test(
  'a precise timer fires never early and within a millisecond of a fractional deadline, ' + 'while the loop is busy',
  async () => {
    const clock = createPreciseClock();
    // Other timers and I/O-ish turns on the loop, as in the daemon.
    const noise = setInterval(() => {
      const until = performance.now() + 0.3;
      while (performance.now() < until);
    }, 3);
    try {
      const lateness: number[] = [];
      for (let i = 0; i < 8; i++) lateness.push(await wait(clock, 30.375));
      assert.ok(
        lateness.every((l) => l >= 0),
        `never early: ${lateness.map((l) => l.toFixed(3)).join(' ')}`,
      );
      lateness.sort((a, b) => a - b);
      assert.ok(lateness[4]! < 1, `median lateness ${lateness[4]!.toFixed(3)} ms`);
    } finally {
      clearInterval(noise);
    }
  },
);

test('only a tagged timer is precise: an untagged delay is a plain setTimeout, and still fires', async () => {
  const clock = createPreciseClock();
  assert.equal(isPlainTimeout(armPrecise(clock, () => undefined, 5)), false, 'tagged: the precise spin');
  let fired = false;
  const plain = clock.setTimeout(() => {
    fired = true;
  }, 5);
  assert.equal(isPlainTimeout(plain), true, 'untagged: a Node timer');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, true, 'the plain timer fired');
});

test('a tag goes to the timer of its own delay, once, and only within the synchronous run that made it', async () => {
  const clock = createPreciseClock();
  clock.precise('adver', 1000);
  // Another part arming a timer of another length in between does not take the tag.
  const other = clock.setTimeout(() => undefined, 30_000);
  const tagged = clock.setTimeout(() => undefined, 1000);
  const again = clock.setTimeout(() => undefined, 1000);
  assert.deepEqual([other, tagged, again].map(isPlainTimeout), [true, false, true]);
  // A delay resolved by a pure transition is never armed: its tag is gone by the next run.
  clock.precise('adver', 1000);
  await Promise.resolve();
  const later = clock.setTimeout(() => undefined, 1000);
  assert.equal(isPlainTimeout(later), true, 'a stale tag is dropped');
  for (const id of [other, tagged, again, later]) clock.clearTimeout(id);
});

test('a cleared timer never fires, precise (even in its final stretch) or plain', async () => {
  const clock = createPreciseClock();
  let fired = 0;
  const precise = armPrecise(clock, () => fired++, 10);
  const plain = clock.setTimeout(() => fired++, 10);
  clock.clearTimeout(plain);
  await new Promise((r) => setTimeout(r, 8));
  clock.clearTimeout(precise);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired, 0);
});

test('armFrom counts the precise timers armed inside it from the given origin, and only those', async () => {
  const clock = createPreciseClock();
  const origin = performance.now();
  // Busy for 20 ms after the "packet arrived", as a slow decode + transition would be.
  while (performance.now() < origin + 20);
  const firedAt: Record<string, number> = {};
  const arm = (name: string, ms: number) =>
    armPrecise(
      clock,
      () => {
        firedAt[name] = performance.now();
      },
      ms,
    );
  clock.armFrom(origin, () => arm('fromReceipt', 50));
  arm('fromNow', 50);
  assert.throws(
    () =>
      clock.armFrom(origin, () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  arm('afterThrow', 50);
  // A future origin is clamped to now: a timer never fires before its delay from arming.
  const armed = performance.now();
  clock.armFrom(armed + 1000, () => arm('future', 10));
  await new Promise((r) => setTimeout(r, 120));
  const since = (name: string) => firedAt[name]! - origin;
  // Counted from the origin: due at 50 ms, where a timer counted from arming is due at 70 ms
  // (the bound leaves room for a loaded CI machine's late timers).
  assert.ok(
    since('fromReceipt') >= 50 && since('fromReceipt') < 65,
    `from receipt: ${since('fromReceipt').toFixed(3)} ms`,
  );
  assert.ok(since('fromNow') >= 70, `from now: ${since('fromNow').toFixed(3)} ms`);
  assert.ok(since('afterThrow') >= 70, `origin restored after a throw: ${since('afterThrow').toFixed(3)} ms`);
  assert.ok(firedAt.future! - armed >= 10, 'a future origin is not trusted');
});

test('a precise timer re-armed from its own callback keeps its period, however long the callback works', async () => {
  const clock = createPreciseClock();
  const fired: number[] = [];
  let armed = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      fired.push(performance.now());
      // 3 ms of work before re-arming, like an advert sent before Adver_Timer is set again.
      const until = performance.now() + 3;
      while (performance.now() < until);
      if (fired.length < 6) armPrecise(clock, tick, 20);
      else resolve();
    };
    armed = performance.now();
    armPrecise(clock, tick, 20);
  });
  // Six deadlines 20 ms apart from the arming: the last is due at 120 ms, not 135 (+ 5 × 3 ms of
  // work). Counted from the arming, not from the first firing, which may itself be late.
  const span = fired.at(-1)! - armed;
  assert.ok(span >= 120 && span < 127, `six periods took ${span.toFixed(3)} ms`);
});

test(
  "warmers of a timer's name run once per arming, just before it is due; not another name's, " + 'not too close',
  async () => {
    const clock = createPreciseClock();
    const seen: number[] = [];
    let due = 0;
    const unsubscribe = clock.onWarm('vrrp:VI_1/masterDown', () => {
      seen.push(due - performance.now());
    });
    const failing = clock.onWarm('vrrp:VI_1/masterDown', () => {
      throw new Error('a warm-up that fails');
    });
    let otherWarmed = 0;
    const other = clock.onWarm('vrrp:VI_2/masterDown', () => otherWarmed++);
    try {
      // A loaded machine can start a timer's spin too late to warm; one of five gets there.
      for (let i = 0; i < 5 && seen.length === 0; i++) {
        due = performance.now() + 40;
        const late = await wait(clock, 40, 'vrrp:VI_1/masterDown');
        assert.ok(late >= 0, 'a throwing warmer does not stop the timer');
      }
      assert.equal(seen.length, 1, 'once');
      assert.ok(seen[0]! > 0 && seen[0]! <= 2.1, `warmed ${seen[0]!.toFixed(3)} ms before due`);
      assert.equal(otherWarmed, 0, "another timer's warmers are not called");
      // Armed 0.5 ms ahead: too close to warm anything without firing late.
      await wait(clock, 0.5, 'vrrp:VI_1/masterDown');
      assert.equal(seen.length, 1);
    } finally {
      unsubscribe();
      failing();
      other();
    }
    await wait(clock, 10, 'vrrp:VI_1/masterDown');
    assert.equal(seen.length, 1, 'unsubscribed');
  },
);

test('two clocks share nothing: an origin or a tag on one does not reach the other', async () => {
  const a = createPreciseClock();
  const b = createPreciseClock();
  b.precise('adver', 1000);
  const onA = a.setTimeout(() => undefined, 1000);
  assert.equal(isPlainTimeout(onA), true, "b's tag is not a's");
  const origin = performance.now();
  while (performance.now() < origin + 15);
  let firedAt = 0;
  a.armFrom(origin, () =>
    armPrecise(
      b,
      () => {
        firedAt = performance.now();
      },
      20,
    ),
  );
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(firedAt - origin >= 35, `armed on b, counted from its own arming: ${(firedAt - origin).toFixed(3)} ms`);
  a.clearTimeout(onA);
});
