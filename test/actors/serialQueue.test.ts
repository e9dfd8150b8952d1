import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSerialQueue } from '../../src/actors/serialQueue.js';

test(
  'jobs run one at a time in push order; an idle queue starts a job synchronously; ' + 'errors do not stop it',
  async () => {
    const errors: unknown[] = [];
    const q = createSerialQueue((e) => errors.push(e));
    const log: string[] = [];
    const job =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    q.push(job('add', 20));
    assert.deepEqual(log, ['start add'], 'the first job started inside push()');
    q.push(job('del', 5, true));
    q.push(job('add2', 1));
    await q.drained();
    assert.deepEqual(log, ['start add', 'end add', 'start del', 'end del', 'start add2', 'end add2']);
    assert.equal(errors.length, 1);
    q.push(job('later', 1));
    assert.equal(log.at(-1), 'start later', 'idle again: starts at once');
    await q.drained();
  },
);
