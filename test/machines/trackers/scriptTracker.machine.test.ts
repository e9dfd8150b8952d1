import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor, fromPromise } from 'xstate';
import {
  type ScriptTrackerInput,
  scriptStep,
  scriptTrackerMachine,
} from '../../../src/machines/trackers/scriptTracker.machine.js';
import { SimulatedClock, settleTo } from '../simClock.js';

type Outcome = 'ok' | 'fail' | 'throw' | 'hang';

const BASE: ScriptTrackerInput = { name: 'chk', intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3 };

/** A fake script whose runs end as `outcomes` says, in order (then OK). */
async function tracker(outcomes: Outcome[], overrides: Partial<ScriptTrackerInput> = {}) {
  const clock = new SimulatedClock();
  const reports: Array<[number, boolean]> = [];
  const starts: number[] = [];
  const aborted: number[] = [];
  let next = 0;
  const logic = scriptTrackerMachine.provide({
    actors: {
      runCheck: fromPromise<{ ok: boolean }, { name: string }>(async ({ input, signal }) => {
        assert.equal(input.name, 'chk');
        starts.push(clock.now());
        const outcome = outcomes[next++] ?? 'ok';
        if (outcome === 'throw') throw new Error('script could not start');
        if (outcome === 'hang') {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted.push(clock.now());
        }
        return { ok: outcome === 'ok' };
      }),
    },
    actions: { report: (_, params) => reports.push([clock.now(), params.ok]) },
  });
  const actor = createActor(logic, { input: { ...BASE, ...overrides }, clock });
  actor.start();
  await settleTo(clock, 0);
  return {
    clock,
    actor,
    reports,
    starts,
    aborted,
    runTo: (t: number) => settleTo(clock, t),
    state: () => actor.getSnapshot().value,
  };
}

describe('scriptStep (keepalived vrrp_script_child_thread counting)', () => {
  it('from OK (result = rise + fall - 1) it takes `fall` failures to report failed', () => {
    let r = 2 + 3 - 1;
    const reports: Array<boolean | null> = [];
    for (let i = 0; i < 3; i++) {
      const s = scriptStep(r, false, 2, 3, false);
      r = s.result;
      reports.push(s.report);
    }
    assert.deepEqual(reports, [null, null, false]);
  });
  it('from failed (0) it takes `rise` successes to report OK, and a failure restarts the count', () => {
    assert.deepEqual(scriptStep(0, true, 3, 2, false), { result: 1, report: null });
    assert.deepEqual(scriptStep(1, false, 3, 2, false), { result: 0, report: null });
    assert.deepEqual(scriptStep(2, true, 3, 2, false), { result: 4, report: true });
  });
  it('the first run always reports', () => {
    assert.deepEqual(scriptStep(1, true, 2, 3, true), { result: 4, report: true });
    assert.deepEqual(scriptStep(1, false, 2, 3, true), { result: 0, report: false });
  });
});

describe('scriptTracker', () => {
  it('the first run starts at once and decides the status: OK', async () => {
    const t = await tracker(['ok']);
    assert.deepEqual(t.reports, [[0, true]]);
    assert.deepEqual(t.state(), { ok: 'waiting' });
  });

  it('the first run starts at once and decides the status: failed', async () => {
    const t = await tracker(['fail']);
    assert.deepEqual(t.reports, [[0, false]]);
    assert.deepEqual(t.state(), { failed: 'waiting' });
  });

  it('runs every intervalMs', async () => {
    const t = await tracker([]);
    await t.runTo(5000);
    assert.deepEqual(t.starts, [0, 1000, 2000, 3000, 4000, 5000]);
    assert.equal(t.actor.getSnapshot().context.runs, 6);
  });

  it('reports failed only after `fall` consecutive failures; a success in between resets', async () => {
    const t = await tracker(['ok', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail']);
    await t.runTo(5000);
    assert.deepEqual(t.reports, [[0, true]]);
    await t.runTo(6000);
    assert.deepEqual(t.reports, [
      [0, true],
      [6000, false],
    ]);
  });

  it('reports OK only after `rise` consecutive successes', async () => {
    const t = await tracker(['fail', 'ok', 'fail', 'ok', 'ok']);
    await t.runTo(3000);
    assert.deepEqual(t.reports, [[0, false]]);
    await t.runTo(4000);
    assert.deepEqual(t.reports.at(-1), [4000, true]);
  });

  it('init_fail: reports failed before the first run and needs `rise` successes', async () => {
    const t = await tracker(['ok', 'ok', 'ok'], { initFail: true, rise: 3 });
    assert.deepEqual(t.reports, [[0, false]]);
    await t.runTo(1000);
    assert.deepEqual(t.reports, [[0, false]]);
    await t.runTo(2000);
    assert.deepEqual(t.reports, [
      [0, false],
      [2000, true],
    ]);
  });

  it('a run that throws counts as a failure', async () => {
    const t = await tracker(['throw']);
    assert.deepEqual(t.reports, [[0, false]]);
    assert.equal(t.actor.getSnapshot().context.failures, 1);
  });

  it('a run longer than timeoutMs is stopped (signal aborted) and counts as a failure', async () => {
    const t = await tracker(['ok', 'hang', 'hang', 'hang']);
    await t.runTo(3500);
    assert.deepEqual(t.aborted, [1500, 2500, 3500]);
    assert.deepEqual(t.reports, [
      [0, true],
      [3500, false],
    ]);
    assert.equal(t.actor.getSnapshot().context.timeouts, 3);
  });

  it('a tick that finds the check still running is skipped', async () => {
    const t = await tracker(['hang', 'ok'], { timeoutMs: 2500, rise: 1 });
    await t.runTo(3000);
    assert.deepEqual(t.starts, [0, 3000]);
    assert.deepEqual(t.aborted, [2500]);
    assert.deepEqual(t.reports, [
      [2500, false],
      [3000, true],
    ]);
  });
});
