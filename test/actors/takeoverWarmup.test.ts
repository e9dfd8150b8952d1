import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnyMachineSnapshot, createActor } from 'xstate';
import { createPreciseClock } from '../../src/actors/preciseClock.js';
import { primeClock, takeoverRehearsal, walkTakeover, warmTakeover } from '../../src/actors/takeoverWarmup.js';
import { preciseVrrpDelays, vrrpTimerName } from '../../src/actors/vrrpTimers.js';
import { masterDownIntervalMs } from '../../src/machines/vrrp/timers.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import type { VrrpInstanceInput } from '../../src/machines/vrrp/vrrpInstance.types.js';
import { advanceTo, recorder, SimulatedClock } from '../machines/simClock.js';
import { announcerSpy } from '../machines/vrrp/announcerSpy.js';
import { BASE_INSTANCE } from '../machines/vrrp/instanceInput.js';

type Record = (name: string) => (_args: unknown, params?: unknown) => void;

function recordedLogic(record: Record) {
  return vrrpInstanceMachine.provide({
    actions: {
      sendAdvert: record('sendAdvert'),
      addVips: record('addVips'),
      removeVips: record('removeVips'),
      notify: record('notify'),
    },
    actors: { announcer: announcerSpy(record) },
  });
}

test('walks backup → master twice (Master_Down_Interval and Skew_Time) and a stop, without running one action', () => {
  const ran: string[] = [];
  const logic = recordedLogic((name) => () => {
    ran.push(name);
  });
  assert.deepEqual(walkTakeover(logic, BASE_INSTANCE), [
    'backup',
    'backup',
    'master',
    'backup',
    'backup',
    'master',
    'stopped',
  ]);
  assert.deepEqual(ran, [], 'no VIP, advert, ARP or notify script');
});

test("a rehearsal from a live backup's snapshot reaches master and leaves the live actor and its timer alone", () => {
  const clock = new SimulatedClock();
  const rec = recorder(clock);
  const logic = recordedLogic(rec.record);
  const actor = createActor(logic, { input: BASE_INSTANCE, clock });
  actor.start();
  actor.send({ type: 'ADVERT', priority: 200, srcIp: '192.0.2.20', advertIntervalCs: 100 });
  const before = actor.getSnapshot();
  const callsBefore = rec.calls.length;
  const rehearse = takeoverRehearsal(logic, BASE_INSTANCE);

  assert.equal(rehearse(before), 'master');
  assert.equal(rehearse(before), 'master', 'as often as asked');
  assert.equal(rec.calls.length, callsBefore, 'no action ran');
  assert.equal(actor.getSnapshot(), before, 'the live snapshot is untouched');

  // The real Master_Down_Timer was neither cancelled nor duplicated: one takeover, on time.
  advanceTo(clock, before.context.downTimerMs);
  assert.equal(actor.getSnapshot().value, 'master');
  assert.deepEqual(
    rec.of('addVips').map((c) => c.at),
    [before.context.downTimerMs],
  );
  actor.stop();
});

test(
  'on the node clock, the ip helper is warmed and the takeover rehearsed once, ' +
    'just before Master_Down_Timer runs out',
  async () => {
    // v3 at 50 ms adverts: Master_Down_Interval is about 180 ms.
    const input: VrrpInstanceInput = { ...BASE_INSTANCE, version: 3, advertIntervalCs: 5 };
    const deadline = masterDownIntervalMs(input.basePriority, input.advertIntervalCs, 3);
    const takeover = async (): Promise<{ order: string[]; took: number; state: unknown }> => {
      const clock = createPreciseClock();
      const order: string[] = [];
      const logic = recordedLogic((name) => () => {
        order.push(name);
      }).provide({ delays: preciseVrrpDelays(clock, input.name) });
      const actor = createActor(logic, { input, clock });
      const unwarm = warmTakeover(logic, input, {
        clock,
        ipBatch: { warm: () => order.push('ipWarm') },
        snapshot: () => actor.getSnapshot(),
      });
      let tookOverAt = 0;
      const armedAt = performance.now();
      try {
        actor.start();
        actor.subscribe((s) => {
          if (s.value === 'master' && tookOverAt === 0) tookOverAt = performance.now();
        });
        await new Promise((r) => setTimeout(r, deadline + 100));
        return { order, took: tookOverAt - armedAt, state: actor.getSnapshot().value };
      } finally {
        unwarm();
        actor.stop();
      }
    };
    // A loaded machine can start the timer's spin too late to warm (the warm-up is skipped then,
    // and the takeover runs cold); one of five tries gets there.
    let run = await takeover();
    for (let i = 1; i < 5 && !run.order.includes('ipWarm'); i++) run = await takeover();
    const { order, took, state } = run;
    assert.equal(state, 'master', `master after Master_Down_Interval (${deadline} ms)`);
    assert.ok(took >= deadline, `never early: took over after ${took.toFixed(3)} ms`);
    const tookOver = order.indexOf('addVips');
    const warmedAt = order.indexOf('ipWarm');
    assert.ok(warmedAt >= 0 && warmedAt < tookOver, `warmed before the takeover: ${order.join(', ')}`);
    assert.equal(order.filter((o) => o === 'ipWarm').length, 1, 'once');
  },
);

test('the warm-up runs only for a running backup: not before the actor runs, not for a master', async () => {
  const clock = createPreciseClock();
  const sim = new SimulatedClock();
  const logic = recordedLogic(() => () => undefined);
  const backup = createActor(logic, { input: BASE_INSTANCE, clock: sim }).start();
  const owner = createActor(logic, { input: { ...BASE_INSTANCE, basePriority: 255 }, clock: sim }).start();
  let live: AnyMachineSnapshot | undefined;
  let warmed = 0;
  const unwarm = warmTakeover(logic, BASE_INSTANCE, { clock, ipBatch: { warm: () => warmed++ }, snapshot: () => live });
  const masterDown = vrrpTimerName(BASE_INSTANCE.name, 'masterDown');
  const warmsFor = async (snapshot: AnyMachineSnapshot | undefined): Promise<number> => {
    live = snapshot;
    const before = warmed;
    // A loaded machine can start the spin too late to warm; one of five gets there.
    for (let i = 0; i < 5; i++) {
      let reached = false;
      const probe = clock.onWarm(masterDown, () => {
        reached = true;
      });
      await new Promise<void>((r) => clock.setTimeout(r, clock.precise(masterDown, 20)));
      probe();
      if (reached) return warmed - before;
    }
    throw new Error('the clock never reached the warm-up of a 20 ms timer in five tries');
  };
  try {
    assert.equal(owner.getSnapshot().value, 'master');
    assert.equal(await warmsFor(undefined), 0, 'no actor yet');
    assert.equal(await warmsFor(owner.getSnapshot()), 0, 'a master');
    assert.equal(await warmsFor(backup.getSnapshot()), 1, 'a backup');
  } finally {
    unwarm();
    backup.stop();
    owner.stop();
  }
});

test('primeClock runs its throwaway precise timers back to back and resolves when they are done', async () => {
  const t0 = performance.now();
  await primeClock(createPreciseClock());
  const took = performance.now() - t0;
  // 20 timers of 6 ms, each never early.
  assert.ok(took >= 120 && took < 1_000, `primed in ${took.toFixed(1)} ms`);
});
