import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import { takeoverRehearsal, warmTakeover } from '../../src/actors/warmTakeover.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import { advanceTo, recorder, SimulatedClock } from '../machines/simClock.js';
import { announcerSpy } from '../machines/vrrp/announcerSpy.js';
import { BASE_INSTANCE } from '../machines/vrrp/instanceInput.js';

function recordedLogic(record: (name: string) => (_args: unknown, params?: unknown) => void) {
  return vrrpInstanceMachine.provide({
    actions: { sendAdvert: record('sendAdvert'), addVips: record('addVips'), removeVips: record('removeVips'), notify: record('notify') },
    actors: { announcer: announcerSpy(record) },
  });
}

test('walks backup → master twice (Master_Down_Interval and Skew_Time) and a stop, without running one action', () => {
  const ran: string[] = [];
  const logic = recordedLogic((name) => () => {
    ran.push(name);
  });
  assert.deepEqual(warmTakeover(logic, BASE_INSTANCE), ['backup', 'backup', 'master', 'backup', 'backup', 'master', 'stopped']);
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
  assert.deepEqual(rec.of('addVips').map((c) => c.at), [before.context.downTimerMs]);
  actor.stop();
});
