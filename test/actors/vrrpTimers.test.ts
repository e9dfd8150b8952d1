import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import type { PreciseClock } from '../../src/actors/preciseClock.js';
import { preciseVrrpDelays } from '../../src/actors/vrrpTimers.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/machines/vrrp/timers.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import { advanceTo, SimulatedClock } from '../machines/simClock.js';
import { BASE_INSTANCE } from '../machines/vrrp/instanceInput.js';

/** A node clock that only records what was tagged precise; time is the simulated clock's. */
function taggingClock(): { clock: PreciseClock; tags: string[] } {
  const tags: string[] = [];
  const clock: PreciseClock = {
    precise: (name, ms) => {
      tags.push(`${name}=${ms}`);
      return ms;
    },
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    armFrom: (_origin, fn) => fn(),
    onWarm: () => () => undefined,
  };
  return { clock, tags };
}

test("the instance's RFC timers are tagged precise by name with the machine's own values; GARP timers are not", () => {
  const { clock: node, tags } = taggingClock();
  const sim = new SimulatedClock();
  const input = { ...BASE_INSTANCE, preemptDelayCs: 300 };
  const actor = createActor(vrrpInstanceMachine.provide({ delays: preciseVrrpDelays(node, 'VI_1') }), {
    input,
    clock: sim,
  });
  actor.start();
  const down = masterDownIntervalMs(100, 100, 2);
  assert.deepEqual(tags, [`vrrp:VI_1/masterDown=${down}`], 'Master_Down_Timer on entering Backup');
  // A lower-priority advert while preempt_delay is configured starts it (keepalived) and re-arms the timer.
  actor.send({ type: 'ADVERT', priority: 50, srcIp: '192.0.2.20', advertIntervalCs: 100 });
  assert.deepEqual(tags.slice(1), ['vrrp:VI_1/preemptDelay=3000', `vrrp:VI_1/masterDown=${down}`]);
  actor.send({ type: 'ADVERT', priority: 0, srcIp: '192.0.2.20', advertIntervalCs: 100 });
  assert.deepEqual(tags.slice(3), [`vrrp:VI_1/masterDown=${skewTimeMs(100, 100, 2)}`], 'Skew_Time is the same timer');
  tags.length = 0;
  advanceTo(sim, sim.now() + 1000);
  assert.equal(actor.getSnapshot().value, 'master');
  // garp delay (5 s) is armed too, untagged.
  assert.deepEqual(tags, ['vrrp:VI_1/adverInterval=1000'], 'Adver_Timer as master');
  actor.stop();
});
