import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { interfaceTrackerMachine } from '../../../src/machines/trackers/interfaceTracker.machine.js';

describe('interfaceTracker', () => {
  it('reports the first link state and then only changes', () => {
    const reports: boolean[] = [];
    const actor = createActor(
      interfaceTrackerMachine.provide({ actions: { report: (_, params) => reports.push(params.ok) } }),
      {
        input: { name: 'eth1' },
      },
    ).start();
    assert.equal(actor.getSnapshot().value, 'init');
    for (const up of [true, true, false, false, true]) actor.send({ type: 'LINK', up });
    assert.deepEqual(reports, [true, false, true]);
    assert.equal(actor.getSnapshot().value, 'up');
  });

  it('a link that starts down is reported as failed', () => {
    const reports: boolean[] = [];
    const actor = createActor(
      interfaceTrackerMachine.provide({ actions: { report: (_, params) => reports.push(params.ok) } }),
      {
        input: { name: 'eth1' },
      },
    ).start();
    actor.send({ type: 'LINK', up: false });
    assert.deepEqual(reports, [false]);
    assert.equal(actor.getSnapshot().value, 'down');
  });
});
