import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { serverHealthMachine } from '../../../src/machines/lb/serverHealth.machine.js';
import { baseInput, startHarness } from './serverHealthHarness.js';

const UP_STABLE = '{"up":"stable"}';
const UP_FAILING = '{"up":"failing"}';
const DOWN_STABLE = '{"down":"stable"}';
const DOWN_RISING = '{"down":"rising"}';

describe('serverHealth: rise and fall (haproxy health counter)', () => {
  it('starts UP at health=rise, so the first failure takes the server DOWN', async () => {
    const h = startHarness({}, ['fail']);
    assert.equal(h.health(), UP_FAILING);
    assert.equal(h.actor.getSnapshot().context.health, 3);
    assert.deepEqual(h.ups, ['initial state']);
    await h.advance(99);
    assert.deepEqual(h.probeStarts, [], 'no check before initialDelayMs');
    await h.advance(1);
    assert.deepEqual(h.probeStarts, [100]);
    assert.deepEqual(h.probeInputs, [{ backend: 'proxy', server: 'db1' }]);
    assert.equal(h.health(), DOWN_STABLE);
    assert.equal(h.actor.getSnapshot().context.health, 0);
    assert.deepEqual(h.downs, ['refused: connect ECONNREFUSED']);
    h.actor.stop();
  });

  it('needs exactly `rise` passes in a row to come UP, and a failure while rising restarts the count', async () => {
    const h = startHarness({ rise: 3, fall: 2, initialDelayMs: 0 }, ['fail', 'pass', 'pass', 'fail', 'pass', 'pass']);
    await h.advance(1);
    assert.equal(h.health(), DOWN_STABLE);
    const states: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = h.probeStarts.length;
      for (let t = 0; t < 10_000 && h.probeStarts.length === before; t++) await h.advance(1);
      states.push(`${h.health()}:${h.actor.getSnapshot().context.health}`);
    }
    assert.deepEqual(states, [
      `${DOWN_RISING}:1`,
      `${DOWN_RISING}:2`,
      `${DOWN_STABLE}:0`,
      `${DOWN_RISING}:1`,
      `${DOWN_RISING}:2`,
      `${UP_STABLE}:4`,
    ]);
    assert.equal(h.ups.length, 2, 'initial UP, then UP after the third pass in a row');
    assert.equal(h.ups[1], 'check passed');
    assert.equal(h.downs.length, 1);
    h.actor.stop();
  });

  it('needs exactly `fall` failures in a row to go DOWN, passing through up.failing', async () => {
    const h = startHarness({ rise: 2, fall: 3, initialDelayMs: 0 }, [
      'pass',
      'fail',
      'fail',
      'pass',
      'fail',
      'fail',
      'fail',
    ]);
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const before = h.probeStarts.length;
      for (let t = 0; t < 10_000 && h.probeStarts.length === before; t++) await h.advance(1);
      seen.push(`${h.health()}:${h.actor.getSnapshot().context.health}`);
    }
    assert.deepEqual(seen, [
      `${UP_STABLE}:4`,
      `${UP_FAILING}:3`,
      `${UP_FAILING}:2`,
      `${UP_STABLE}:4`,
      `${UP_FAILING}:3`,
      `${UP_FAILING}:2`,
      `${DOWN_STABLE}:0`,
    ]);
    assert.equal(h.downs.length, 1);
    const ctx = h.actor.getSnapshot().context;
    assert.equal(ctx.consecutiveFailures, 3);
    assert.equal(ctx.consecutiveSuccesses, 0);
    assert.deepEqual(ctx.counters, { checks: 7, failures: 5, timeouts: 0, passiveErrors: 0, passiveTrips: 0 });
    h.actor.stop();
  });
});

describe('serverHealth: dynamic weight (keepalived misc_dynamic)', () => {
  it('a passed check that asks for a new weight changes it once; a failure or a plain pass keeps it', async () => {
    const h = startHarness({ rise: 2, fall: 2, initialDelayMs: 0 }, [
      { weight: 5 },
      { weight: 5 },
      'pass',
      'fail',
      { weight: 300 },
      { weight: 0 },
    ]);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = h.probeStarts.length;
      for (let t = 0; t < 10_000 && h.probeStarts.length === before; t++) await h.advance(1);
      seen.push(`${h.actor.getSnapshot().context.weight}`);
    }
    assert.deepEqual(seen, ['5', '5', '5', '5', '256', '0']);
    assert.deepEqual(h.weights, [5, 256, 0], 'announced only when it changes, clamped to 0..256');
    assert.equal(h.health(), UP_STABLE, 'weight 0 is still UP (it only takes no new connections)');
    h.actor.stop();
  });
});

describe('serverHealth: check intervals', () => {
  it(
    'uses inter at the top, fastinter while transitional, downinter at the bottom, ' +
      'counted from the end of each check',
    async () => {
      // rise 2 fall 2: top is 3, the server starts at health 2.
      const h = startHarness(
        { rise: 2, fall: 2, interMs: 2000, fastInterMs: 300, downInterMs: 7000, initialDelayMs: 50 },
        ['pass', 'fail', 'fail', 'pass', 'pass', 'pass'],
      );
      // 50 pass -> top (inter) | 2050 fail -> 2 (fastinter) | 2350 fail -> 0 DOWN (downinter)
      // 9350 pass -> 1 rising (fastinter) | 9650 pass -> top UP (inter) | 11650
      const expected = [50, 2050, 2350, 9350, 9650, 11650];
      for (const at of expected) {
        await h.advance(at - 1 - h.clock.now());
        assert.equal(h.probeStarts.at(-1) === at, false, `no probe before ${at}`);
        await h.advance(1);
        assert.equal(h.probeStarts.at(-1), at, `probe at ${at}`);
      }
      assert.deepEqual(h.probeStarts, expected);
      assert.deepEqual(h.actor.getSnapshot().context.nextCheckMs, 2000, 'the journaled context names the next wait');
      h.actor.stop();
    },
  );

  it('CHECK_NOW probes at once instead of waiting for the interval', async () => {
    const h = startHarness({ initialDelayMs: 0 });
    await h.advance(10);
    assert.deepEqual(h.probeStarts, [0]);
    h.actor.send({ type: 'CHECK_NOW' });
    await h.advance(0);
    assert.deepEqual(h.probeStarts, [0, 10]);
    await h.advance(1999);
    assert.deepEqual(h.probeStarts, [0, 10], 'the interval restarts from the forced check');
    await h.advance(1);
    assert.deepEqual(h.probeStarts, [0, 10, 2010]);
    h.actor.stop();
  });

  it('spread-checks jitters each interval within ±pct, the same way for the same seed', async () => {
    const run = async (seed: number) => {
      const h = startHarness({ initialDelayMs: 0, spreadChecksPct: 20, seed, rise: 1, fall: 1 });
      await h.advance(20_000);
      h.actor.stop();
      return h.probeStarts.slice(1).map((t, i) => t - h.probeStarts[i]!);
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.length >= 7);
    for (const gap of [...a, ...c]) assert.ok(gap >= 1600 && gap <= 2400, `gap ${gap} within 2000 ±20%`);
    assert.ok(new Set(a).size > 1, 'gaps differ');
  });
});

describe('serverHealth: timeout', () => {
  it('a probe running past timeoutMs is aborted and counted as a failed check with reason timeout', async () => {
    const h = startHarness({ initialDelayMs: 0, timeoutMs: 800, rise: 2, fall: 2 }, ['hang', 'hang']);
    await h.advance(799);
    assert.equal(h.aborted, 0);
    assert.deepEqual(h.actor.getSnapshot().value.check, 'probing');
    await h.advance(1);
    assert.equal(h.aborted, 1, 'the probe signal was aborted');
    const ctx = h.actor.getSnapshot().context;
    assert.deepEqual(ctx.lastCheck, {
      ok: false,
      reason: 'timeout',
      detail: 'no answer within 800 ms',
      durationMs: 800,
    });
    assert.equal(ctx.counters.timeouts, 1);
    assert.equal(ctx.counters.failures, 1);
    assert.equal(h.health(), '{"down":"stable"}');
    assert.deepEqual(h.downs, ['timeout: no answer within 800 ms']);
    h.actor.stop();
  });

  it('a probe that rejects counts as a failure with reason error', async () => {
    const clock = new SimulatedClock();
    const actor = createActor(
      serverHealthMachine.provide({ actors: { probe: fromPromise(async () => Promise.reject(new Error('boom'))) } }),
      { clock, input: { ...baseInput, initialDelayMs: 0 } },
    ).start();
    clock.increment(0);
    await new Promise((r) => setImmediate(r));
    const ctx = actor.getSnapshot().context;
    assert.deepEqual(ctx.lastCheck, { ok: false, reason: 'error', detail: 'boom', durationMs: 0 });
    assert.deepEqual(actor.getSnapshot().value.health, { down: 'stable' });
    actor.stop();
  });
});

describe('serverHealth: passive errors (observe layer4)', () => {
  it('mark-down: the error-limit-th consecutive live error takes the server DOWN at once', async () => {
    const h = startHarness({ initialDelayMs: 0, onError: 'mark-down', errorLimit: 3 });
    await h.advance(1);
    assert.equal(h.health(), UP_STABLE);
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'ECONNREFUSED' });
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'ECONNREFUSED' });
    assert.equal(h.health(), UP_STABLE);
    assert.equal(h.actor.getSnapshot().context.consecutiveErrors, 2);
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'ECONNRESET' });
    assert.equal(h.health(), DOWN_STABLE);
    assert.deepEqual(h.downs, ['error: 3 consecutive live errors, last: ECONNRESET']);
    const ctx = h.actor.getSnapshot().context;
    assert.equal(ctx.consecutiveErrors, 0);
    assert.equal(ctx.counters.passiveErrors, 3);
    assert.equal(ctx.counters.passiveTrips, 1);
    h.actor.stop();
  });

  it('fail-check counts one failed check; a good live connection (PASSIVE_OK) restarts the streak', async () => {
    const h = startHarness({ initialDelayMs: 0, errorLimit: 2 });
    await h.advance(1);
    assert.equal(h.actor.getSnapshot().context.health, 5);
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    h.actor.send({ type: 'PASSIVE_OK' });
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    assert.equal(h.actor.getSnapshot().context.health, 5, 'the streak was broken');
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    assert.equal(h.actor.getSnapshot().context.health, 4);
    assert.equal(h.health(), UP_FAILING);
    h.actor.stop();
  });

  it('sudden-death leaves the server one failure from DOWN', async () => {
    const h = startHarness({ initialDelayMs: 0, errorLimit: 1, onError: 'sudden-death' }, ['pass', 'fail']);
    await h.advance(1);
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    assert.equal(h.actor.getSnapshot().context.health, 3);
    assert.equal(h.health(), UP_FAILING);
    await h.advance(500);
    assert.equal(h.health(), DOWN_STABLE, 'one failed check later');
    h.actor.stop();
  });

  it('a trip hastens the next check to fastinter (no later than the scheduled one)', async () => {
    const h = startHarness({
      initialDelayMs: 0,
      interMs: 10_000,
      fastInterMs: 400,
      errorLimit: 1,
      onError: 'fastinter',
    });
    await h.advance(1000);
    assert.deepEqual(h.probeStarts, [0]);
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    assert.equal(h.actor.getSnapshot().context.health, 5, 'fastinter mode leaves health alone');
    await h.advance(399);
    assert.deepEqual(h.probeStarts, [0]);
    await h.advance(1);
    assert.deepEqual(h.probeStarts, [0, 1400]);
    h.actor.stop();
  });

  it('is ignored when checks are disabled (observe needs check)', async () => {
    const h = startHarness({ checkEnabled: false, errorLimit: 1, onError: 'mark-down' });
    h.actor.send({ type: 'PASSIVE_ERROR', reason: 'x' });
    assert.equal(h.health(), UP_STABLE);
    await h.advance(5000);
    assert.deepEqual(h.probeStarts, [], 'never probes');
    assert.equal(h.actor.getSnapshot().value.check, 'off');
    h.actor.stop();
  });
});

describe('serverHealth: admin state', () => {
  it('maint and drain change only the admin region; checks and health go on', async () => {
    const h = startHarness({ initialDelayMs: 0, rise: 1, fall: 1, downInterMs: 2000 }, ['pass', 'fail', 'pass']);
    await h.advance(1);
    assert.deepEqual(h.actor.getSnapshot().value.admin, 'ready');
    h.actor.send({ type: 'ADMIN', state: 'maint' });
    assert.deepEqual(h.actor.getSnapshot().value, {
      health: { up: 'stable' },
      admin: 'maint',
      check: { waiting: 'scheduled' },
    });
    assert.equal(h.actor.getSnapshot().context.admin, 'maint');
    await h.advance(2000);
    assert.equal(h.health(), DOWN_STABLE, 'a failed check in maint still takes health DOWN');
    h.actor.send({ type: 'ADMIN', state: 'drain' });
    assert.equal(h.actor.getSnapshot().value.admin, 'drain');
    await h.advance(2000);
    assert.equal(h.health(), UP_STABLE);
    h.actor.send({ type: 'ADMIN', state: 'drain' });
    h.actor.send({ type: 'ADMIN', state: 'ready' });
    assert.deepEqual(h.admins, ['maint', 'drain', 'ready'], 'repeating the current state is no change');
    assert.equal(h.probeStarts.length, 3);
    h.actor.stop();
  });

  it('initialAdmin maint starts in maint', () => {
    const h = startHarness({ initialAdmin: 'maint' });
    assert.equal(h.actor.getSnapshot().value.admin, 'maint');
    assert.deepEqual(h.admins, []);
    h.actor.stop();
  });
});
