import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assign, createActor, fromCallback, fromPromise } from 'xstate';
import { createTransitionMapper } from '../../../src/actors/transitionMapper.js';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import {
  NATS_BACKOFF_BASE_MS,
  NATS_BACKOFF_MAX_MS,
  NATS_STOP_GRACE_MS,
  type NatsLinkEvent,
  natsBackoffMs,
  natsLinkMachine,
} from '../../../src/machines/journal/natsLink.machine.js';
import { flush, SimulatedClock, settleTo } from '../simClock.js';

interface Options {
  /** Connect attempts that fail before one succeeds. */
  connectFailures?: number;
  /** The drain never ends on its own. */
  drainHangs?: boolean;
}

/** The link machine with scripted side effects, on a simulated clock, journaled through the mapper. */
function link(opts: Options = {}) {
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const at = (what: string): void => {
    calls.push(`${what}@${clock.now()}`);
  };
  let connects = 0;
  let toLink: ((ev: NatsLinkEvent) => void) | null = null;
  let toPump: ((ev: NatsLinkEvent) => void) | null = null;
  let pending = 0;
  const logic = natsLinkMachine.provide({
    actors: {
      connect: fromPromise(async () => {
        connects += 1;
        at('connect');
        if (connects <= (opts.connectFailures ?? 0)) throw new Error('ECONNREFUSED');
        return { server: '127.0.0.1:4222' };
      }),
      provisionStream: fromPromise(async () => at('provision')),
      watchLink: fromCallback<NatsLinkEvent>(({ sendBack }) => {
        toLink = sendBack;
        return () => {
          toLink = null;
        };
      }),
      pump: fromCallback<NatsLinkEvent>(({ sendBack }) => {
        at('pump');
        toPump = sendBack;
        return () => {
          at('pump stopped');
          toPump = null;
        };
      }),
      drain: fromPromise(({ signal }) => {
        at('drain');
        if (!opts.drainHangs) return Promise.resolve();
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }),
      close: fromPromise(async () => at('close')),
    },
    actions: {
      abandonInFlight: () => at('abandon'),
      notePending: assign({ pending: () => pending }),
    },
  });
  const envs: EventEnvelope[] = [];
  const mapper = createTransitionMapper({ node: 'n1', boot: 1, now: () => clock.now(), sink: (e) => envs.push(e) });
  const actor = createActor(logic, { clock, systemId: 'journal:nats', inspect: mapper.onInspect }).start();
  return {
    clock,
    actor,
    calls,
    envs,
    state: () => JSON.stringify(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    setPending: (n: number) => {
      pending = n;
    },
    fromLink: (ev: NatsLinkEvent) => toLink?.(ev),
    fromPump: (ev: NatsLinkEvent) => toPump?.(ev),
    path: () => envs.map((e) => `${e.from ?? '∅'}>${e.to}`),
  };
}

const streaming = JSON.stringify({ connected: 'streaming' });

describe('natsLink', () => {
  it('backoff doubles from NATS_BACKOFF_BASE_MS per failed round and stops at NATS_BACKOFF_MAX_MS', () => {
    assert.equal(natsBackoffMs(1), 2 * NATS_BACKOFF_BASE_MS);
    assert.equal(natsBackoffMs(3), 8 * NATS_BACKOFF_BASE_MS);
    assert.equal(natsBackoffMs(50), NATS_BACKOFF_MAX_MS);
  });

  it('a refused connect is retried after each backoff (xstate delays), then streams', async () => {
    const l = link({ connectFailures: 3 });
    await flush();
    assert.equal(l.state(), '"backingOff"');
    assert.deepEqual(l.ctx(), { server: null, attempt: 1, backoffMs: 100, lastError: 'ECONNREFUSED', pending: 0 });
    await settleTo(l.clock, 1000);
    assert.deepEqual(
      l.calls.filter((c) => c.startsWith('connect')),
      ['connect@0', 'connect@100', 'connect@300', 'connect@700'],
      'waits 100, 200, 400 ms between tries',
    );
    assert.equal(l.state(), streaming);
    assert.equal(l.ctx().server, '127.0.0.1:4222');
    assert.equal(l.ctx().attempt, 0, 'a healthy link has no failure streak');
  });

  it('steady streaming journals nothing; an outage journals down, back up and the time between', async () => {
    const l = link();
    await flush();
    assert.deepEqual(l.path(), [
      '∅>connecting',
      'connecting>connected.provisioning',
      'connected.provisioning>connected.streaming',
    ]);
    await settleTo(l.clock, 60_000);
    assert.equal(l.envs.length, 3, 'a minute of streaming adds no event');

    l.setPending(42);
    l.fromLink({ type: 'LINK_DOWN', server: '127.0.0.1:4222' });
    assert.equal(l.state(), JSON.stringify({ connected: 'disconnected' }));
    assert.ok(l.calls.includes('pump stopped@60000'), 'nothing is published while disconnected');
    await settleTo(l.clock, 63_000);
    l.fromLink({ type: 'LINK_UP', server: '127.0.0.1:4223' });
    await flush();
    assert.equal(l.state(), streaming);
    assert.ok(l.calls.includes('abandon@63000'), 'publishes of the lost connection go again');
    const down = l.envs.find((e) => e.to === 'connected.disconnected')!;
    const up = l.envs.at(-1)!;
    assert.equal(up.to, 'connected.streaming');
    assert.equal(up.ts - down.ts, 3000, 'the journal says how long the stream was down');
    const quiet = { attempt: 0, backoffMs: 0, lastError: null };
    assert.deepEqual(
      down.context,
      { server: '127.0.0.1:4222', ...quiet, pending: 42 },
      'server and backlog, no secrets',
    );
    assert.equal(up.context.server, '127.0.0.1:4223');
  });

  it('a failed publish round waits its backoff, then the pump runs again; progress resets the streak', async () => {
    const l = link();
    await flush();
    l.fromPump({ type: 'PUBLISH_FAILED', code: 'TIMEOUT', streamLost: false, progressed: false });
    assert.equal(l.state(), JSON.stringify({ connected: 'resending' }));
    assert.equal(l.ctx().backoffMs, natsBackoffMs(1));
    await settleTo(l.clock, natsBackoffMs(1));
    assert.equal(l.state(), streaming);
    l.fromPump({ type: 'PUBLISH_FAILED', code: 'TIMEOUT', streamLost: false, progressed: false });
    assert.equal(l.ctx().attempt, 2);
    await settleTo(l.clock, l.clock.now() + natsBackoffMs(2));
    l.fromPump({ type: 'PUBLISH_FAILED', code: 'TIMEOUT', streamLost: false, progressed: true });
    assert.equal(l.ctx().attempt, 1, 'acks in the round: the streak starts over');
    assert.deepEqual(
      l.calls.filter((c) => c.startsWith('pump@')),
      ['pump@0', `pump@${natsBackoffMs(1)}`, `pump@${natsBackoffMs(1) + natsBackoffMs(2)}`],
    );
  });

  it('a lost stream is set up again before anything is re-sent', async () => {
    const l = link();
    await flush();
    l.fromPump({ type: 'PUBLISH_FAILED', code: '10059', streamLost: true, progressed: false });
    await flush();
    assert.deepEqual(
      l.calls.filter((c) => c.startsWith('provision')),
      ['provision@0', 'provision@0'],
    );
    assert.equal(l.state(), streaming);
    assert.equal(l.ctx().lastError, '10059');
  });

  it('a connection the client gave up is abandoned and connected anew after a backoff', async () => {
    const l = link();
    await flush();
    l.fromLink({ type: 'LINK_CLOSED', code: 'AUTHORIZATION_VIOLATION' });
    await flush();
    assert.ok(l.calls.includes('abandon@0'));
    assert.equal(l.state(), '"backingOff"');
    assert.equal(l.ctx().lastError, 'AUTHORIZATION_VIOLATION');
    await settleTo(l.clock, natsBackoffMs(1));
    assert.deepEqual(
      l.calls.filter((c) => c.startsWith('connect')),
      ['connect@0', `connect@${natsBackoffMs(1)}`],
    );
    assert.equal(l.state(), streaming);
  });

  it('stop while streaming drains, then closes', async () => {
    const l = link();
    await flush();
    l.actor.send({ type: 'STOP' });
    await flush();
    assert.equal(l.actor.getSnapshot().status, 'done');
    assert.deepEqual(l.calls.slice(-3), ['pump stopped@0', 'drain@0', 'close@0']);
    assert.deepEqual(l.path().slice(-3), [
      'connected.streaming>stopping.draining',
      'stopping.draining>stopping.closing',
      'stopping.closing>stopped',
    ]);
  });

  it('stop is bounded: a drain that never ends is cut at NATS_STOP_GRACE_MS', async () => {
    const l = link({ drainHangs: true });
    await flush();
    l.actor.send({ type: 'STOP' });
    await settleTo(l.clock, NATS_STOP_GRACE_MS - 1);
    assert.equal(l.actor.getSnapshot().status, 'active');
    await settleTo(l.clock, NATS_STOP_GRACE_MS);
    assert.equal(l.actor.getSnapshot().status, 'done');
    assert.equal(l.state(), '"stopped"');
  });

  it('stop while backing off closes at once: nothing to drain without a stream', async () => {
    const l = link({ connectFailures: 100 });
    await flush();
    l.actor.send({ type: 'STOP' });
    await flush();
    assert.equal(l.actor.getSnapshot().status, 'done');
    assert.ok(!l.calls.some((c) => c.startsWith('drain')));
    assert.ok(l.calls.includes('close@0'));
  });
});
