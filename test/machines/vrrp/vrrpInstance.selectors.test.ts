import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor, type InspectionEvent } from 'xstate';
import { awaitsMasterDown, masterDownTimeout } from '../../../src/machines/vrrp/vrrpInstance.selectors.js';
import { vrrpInstanceMachine } from '../../../src/machines/vrrp/vrrpInstance.machine.js';
import { advanceTo, SimulatedClock } from '../simClock.js';
import { BASE_INSTANCE } from './instanceInput.js';

test('masterDownTimeout is the very event xstate raises when Master_Down_Timer runs out', () => {
  const clock = new SimulatedClock();
  const received: string[] = [];
  const inspect = (ev: InspectionEvent): void => {
    // The instance's own events, not those of the GARP announcer it invokes as master.
    if (ev.type === '@xstate.event' && ev.actorRef.sessionId === ev.rootId) received.push(ev.event.type);
  };
  const actor = createActor(vrrpInstanceMachine, { input: BASE_INSTANCE, clock, inspect }).start();
  assert.equal(awaitsMasterDown(actor.getSnapshot()), true, 'a running backup');
  advanceTo(clock, actor.getSnapshot().context.downTimerMs);
  assert.equal(actor.getSnapshot().value, 'master');
  assert.equal(awaitsMasterDown(actor.getSnapshot()), false, 'a master');
  // The timer's event is the last one delivered before the takeover (xstate.init came first).
  assert.deepEqual(received, ['xstate.init', masterDownTimeout(vrrpInstanceMachine).type]);
  actor.stop();
  assert.equal(awaitsMasterDown(actor.getSnapshot()), false, 'a stopped actor');
});
