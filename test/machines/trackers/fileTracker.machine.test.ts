import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { fileTrackerMachine, fileValue } from '../../../src/machines/trackers/fileTracker.machine.js';

function tracker() {
  const reports: Array<{ ok: boolean; value: number }> = [];
  const actor = createActor(fileTrackerMachine.provide({ actions: { report: (_, params) => reports.push(params) } }), {
    input: { name: 'prio' },
  }).start();
  const send = (value: number | null) => actor.send({ type: 'FILE_VALUE', value });
  return { actor, reports, send, state: () => actor.getSnapshot().value };
}

describe('fileTracker (keepalived track_file.c)', () => {
  it('reports the first value, then only changes', () => {
    const t = tracker();
    assert.equal(t.state(), 'init');
    t.send(5);
    t.send(5);
    t.send(7);
    t.send(0);
    t.send(0);
    assert.deepEqual(t.reports, [
      { ok: false, value: 5 },
      { ok: false, value: 7 },
      { ok: true, value: 0 },
    ]);
    assert.equal(t.state(), 'zero');
  });

  it('a first value of zero is reported too', () => {
    const t = tracker();
    t.send(0);
    assert.deepEqual(t.reports, [{ ok: true, value: 0 }]);
  });

  it('an unreadable or deleted file (null) counts as 0', () => {
    const t = tracker();
    t.send(3);
    t.send(null);
    assert.deepEqual(t.reports.at(-1), { ok: true, value: 0 });
    assert.equal(t.state(), 'zero');
  });

  it('a number outside the 32-bit range is ignored and the last value stands', () => {
    const t = tracker();
    t.send(4);
    t.send(2 ** 40);
    assert.equal(t.reports.length, 1);
    assert.equal(t.actor.getSnapshot().context.value, 4);
    assert.equal(t.state(), 'nonzero');
  });

  it('fileValue: strtol-like', () => {
    assert.equal(fileValue(null), 0);
    assert.equal(fileValue(Number.NaN), 0);
    assert.equal(fileValue(7.9), 7);
    assert.equal(fileValue(-7.9), -7);
    assert.equal(fileValue(2 ** 31), 2 ** 31);
    assert.equal(fileValue(2 ** 31 + 1), undefined);
    assert.equal(fileValue(-(2 ** 31) - 1), undefined);
    assert.equal(fileValue(Number.POSITIVE_INFINITY), undefined);
  });
});
