import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor, fromPromise } from 'xstate';
import {
  isNotifyQueueDrained,
  type NotifyRequest,
  type NotifyState,
  notifyQueueMachine,
} from '../../../src/machines/notify/notifyQueue.machine.js';
import { flush, SimulatedClock, settleTo } from '../simClock.js';

/** A fake notify runner: each run waits until the test settles it (or its signal aborts). */
function queue(timeoutMs = 5000) {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const pending: Array<{ req: NotifyRequest; settle: (ok: boolean) => void }> = [];
  let running = 0;
  let maxRunning = 0;
  const logic = notifyQueueMachine.provide({
    actors: {
      runNotify: fromPromise<void, NotifyRequest>(({ input, signal }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${input.state}@${clock.now()}`);
        return new Promise<void>((resolve, reject) => {
          let ended = false;
          const end = (what: string) => {
            if (ended) return false;
            ended = true;
            running--;
            log.push(`${what} ${input.state}@${clock.now()}`);
            return true;
          };
          signal.addEventListener('abort', () => {
            end('aborted');
            resolve();
          });
          pending.push({
            req: input,
            settle: (ok) => {
              if (!end(ok ? 'done' : 'failed')) return;
              if (ok) resolve();
              else reject(new Error('exit 1'));
            },
          });
        });
      }),
    },
  });
  const actor = createActor(logic, { input: { name: 'VI_1', timeoutMs }, clock }).start();
  const notify = (state: NotifyState, priority = 100) => actor.send({ type: 'NOTIFY', state, priority });
  /** Settle the oldest unsettled run. */
  const settleNext = async (ok = true) => {
    pending.shift()?.settle(ok);
    await flush();
  };
  return {
    clock,
    actor,
    log,
    notify,
    settleNext,
    maxRunning: () => maxRunning,
    ctx: () => actor.getSnapshot().context,
  };
}

describe('notifyQueue', () => {
  it('runs one at a time, in arrival order', async () => {
    const q = queue();
    q.notify('BACKUP');
    q.notify('MASTER');
    q.notify('FAULT');
    await flush();
    assert.deepEqual(q.log, ['start BACKUP@0']);
    assert.deepEqual(
      q.ctx().queue.map((r) => r.state),
      ['BACKUP', 'MASTER', 'FAULT'],
    );
    await q.settleNext();
    await q.settleNext();
    await q.settleNext();
    assert.deepEqual(q.log, [
      'start BACKUP@0',
      'done BACKUP@0',
      'start MASTER@0',
      'done MASTER@0',
      'start FAULT@0',
      'done FAULT@0',
    ]);
    assert.equal(q.maxRunning(), 1);
    assert.equal(q.actor.getSnapshot().value, 'idle');
    assert.deepEqual(
      { ran: q.ctx().ran, failed: q.ctx().failed, timedOut: q.ctx().timedOut, queue: q.ctx().queue },
      { ran: 3, failed: 0, timedOut: 0, queue: [] },
    );
  });

  it('passes state and priority to the runner', async () => {
    const q = queue();
    const seen: NotifyRequest[] = [];
    const actor = createActor(
      notifyQueueMachine.provide({
        actors: { runNotify: fromPromise<void, NotifyRequest>(async ({ input }) => void seen.push(input)) },
      }),
      { input: { name: 'VI_1', timeoutMs: 1000 }, clock: q.clock },
    ).start();
    actor.send({ type: 'NOTIFY', state: 'MASTER', priority: 120 });
    actor.send({ type: 'NOTIFY', state: 'STOP', priority: 0 });
    await flush();
    await flush();
    assert.deepEqual(seen, [
      { state: 'MASTER', priority: 120 },
      { state: 'STOP', priority: 0 },
    ]);
  });

  it('a run that exceeds timeoutMs is aborted and counted; the next starts at once', async () => {
    const q = queue(5000);
    q.notify('MASTER');
    q.notify('BACKUP');
    await settleTo(q.clock, 4999);
    assert.deepEqual(q.log, ['start MASTER@0']);
    await settleTo(q.clock, 5000);
    assert.deepEqual(q.log, ['start MASTER@0', 'aborted MASTER@5000', 'start BACKUP@5000']);
    assert.equal(q.ctx().timedOut, 1);
    await q.settleNext(); // MASTER's settle is a no-op now: it was aborted
    await q.settleNext();
    assert.deepEqual(q.log.slice(3), ['done BACKUP@5000']);
    assert.equal(q.ctx().ran, 1);
    assert.equal(q.actor.getSnapshot().value, 'idle');
  });

  it('a failing run is counted and does not stop the queue', async () => {
    const q = queue();
    q.notify('FAULT');
    q.notify('BACKUP');
    await flush();
    await q.settleNext(false);
    await q.settleNext(true);
    assert.deepEqual({ ran: q.ctx().ran, failed: q.ctx().failed }, { ran: 1, failed: 1 });
  });

  it('never drops a request: 50 state changes all run, in order', async () => {
    const q = queue();
    const states: NotifyState[] = ['MASTER', 'BACKUP', 'FAULT'];
    for (let i = 0; i < 50; i++) q.notify(states[i % 3]!, i);
    await flush();
    for (let i = 0; i < 50; i++) await q.settleNext();
    const started = q.log.filter((l) => l.startsWith('start')).map((l) => l.split(' ')[1]!.split('@')[0]);
    assert.deepEqual(
      started,
      Array.from({ length: 50 }, (_, i) => states[i % 3]),
    );
    assert.equal(q.ctx().ran, 50);
    assert.equal(q.maxRunning(), 1);
  });

  it('is drained only once the last queued run has finished', async () => {
    const q = queue();
    const drained = () => isNotifyQueueDrained(q.actor.getSnapshot());
    assert.equal(drained(), true, 'a new queue is drained');
    q.notify('STOP');
    q.notify('BACKUP');
    await flush();
    assert.equal(drained(), false, 'not drained while STOP runs');
    await q.settleNext();
    assert.equal(drained(), false, 'not drained while BACKUP is still queued');
    await q.settleNext();
    assert.equal(drained(), true, 'drained after the last run');
  });
});
