import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { assign, createActor, fromPromise, sendTo, setup, spawnChild } from 'xstate';
import { createTransitionMapper, eventLabel } from '../../src/actors/transitionMapper.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';

type ChildEvent =
  | { type: 'ADVERT'; from: string }
  | { type: 'TIMEOUT'; authPass?: string; cause?: Error }
  | { type: 'PROBE' };

/** A Backup-like child: `ADVERT` re-arms its timer by re-entering itself, `TIMEOUT` promotes. */
const instance = setup({
  types: {
    context: {} as {
      priority: number;
      authPass: string;
      peer: Buffer;
      seen: Map<string, number>;
      notify: () => void;
      token?: string;
    },
    events: {} as ChildEvent,
  },
  actors: { probe: fromPromise(async () => 'ok') },
}).createMachine({
  id: 'vrrpInstance',
  context: {
    priority: 100,
    authPass: 'hunter2',
    peer: Buffer.from([192, 0, 2, 1]),
    seen: new Map([['192.0.2.2', 1]]),
    notify: () => undefined,
  },
  initial: 'backup',
  states: {
    backup: {
      on: {
        ADVERT: {
          target: 'backup',
          reenter: true,
          actions: assign({ priority: ({ context }) => context.priority + 1 }),
        },
        TIMEOUT: 'master',
        PROBE: 'probing',
      },
    },
    probing: { invoke: { src: 'probe', onDone: 'backup' } },
    master: { initial: 'sending', states: { sending: {} } },
  },
});

const root = setup({
  types: { events: {} as { type: 'FORWARD'; event: ChildEvent } },
  actors: { instance },
}).createMachine({
  id: 'node',
  initial: 'running',
  entry: spawnChild('instance', { id: 'VI_1', systemId: 'vrrp:VI_1' }),
  states: { running: { on: { FORWARD: { actions: sendTo('VI_1', ({ event }) => event.event) } } } },
});

function harness() {
  const out: EventEnvelope[] = [];
  let t = 1_000;
  const mapper = createTransitionMapper({ node: 'n1', boot: 7, sink: (e) => out.push(e), now: () => t++ });
  const actor = createActor(root, { inspect: mapper.onInspect, systemId: 'node:n1' });
  return { out, actor };
}

describe('transitionMapper', () => {
  it('journals the first snapshot of every actor with a systemId, from null to its initial state', () => {
    const { out, actor } = harness();
    actor.start();
    assert.deepEqual(
      out.map((e) => [e.actor, e.machine, e.from, e.to, e.event.type]),
      [
        ['vrrp:VI_1', 'vrrpInstance', null, 'backup', 'xstate.init'],
        ['node:n1', 'node', null, 'running', 'xstate.init'],
      ],
    );
    actor.stop();
  });

  it('does not journal a self-transition with reenter (a Backup re-arming its timer on each advert)', () => {
    const { out, actor } = harness();
    actor.start();
    const before = out.length;
    for (let i = 0; i < 5; i += 1) actor.send({ type: 'FORWARD', event: { type: 'ADVERT', from: '192.0.2.2' } });
    assert.equal(out.length, before);
    assert.equal((actor.system.get('vrrp:VI_1')!.getSnapshot().context as { priority: number }).priority, 105);
    actor.stop();
  });

  it('journals a self-transition marked meta.journal, once per event, and nothing else it did not change', () => {
    const marked = setup({ types: { events: {} as { type: 'TICK' } | { type: 'SPLIT' } } }).createMachine({
      id: 'marked',
      initial: 'master',
      states: { master: { on: { TICK: {}, SPLIT: { meta: { journal: true } } } } },
    });
    const out: EventEnvelope[] = [];
    const mapper = createTransitionMapper({ node: 'n1', boot: 1, sink: (e) => out.push(e) });
    const actor = createActor(marked, { inspect: mapper.onInspect, systemId: 'vrrp:VI_1' }).start();
    for (const type of ['TICK', 'SPLIT', 'TICK', 'SPLIT'] as const) actor.send({ type });
    assert.deepEqual(
      out.map((e) => [e.from, e.to, e.event.type]),
      [
        [null, 'master', 'xstate.init'],
        ['master', 'master', 'SPLIT'],
        ['master', 'master', 'SPLIT'],
      ],
    );
    actor.stop();
  });

  it('journals a value change with the causing event, nested values as a.b, seq gapless per boot', () => {
    const { out, actor } = harness();
    actor.start();
    actor.send({ type: 'FORWARD', event: { type: 'ADVERT', from: '192.0.2.2' } });
    actor.send({ type: 'FORWARD', event: { type: 'TIMEOUT' } });
    const last = out.at(-1)!;
    assert.equal(last.actor, 'vrrp:VI_1');
    assert.equal(last.from, 'backup');
    assert.equal(last.to, 'master.sending');
    assert.equal(last.event.type, 'TIMEOUT');
    assert.deepEqual(
      out.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.deepEqual(
      out.map((e) => e.id),
      ['n1:7:1', 'n1:7:2', 'n1:7:3'],
    );
    assert.ok(out.every((e, i) => e.v === 1 && e.node === 'n1' && e.boot === 7 && e.ts === 1000 + i));
    actor.stop();
  });

  it('skips invoked actors without a systemId, but journals the transitions they cause', async () => {
    const { out, actor } = harness();
    actor.start();
    actor.send({ type: 'FORWARD', event: { type: 'PROBE' } });
    await new Promise((r) => setTimeout(r, 10));
    const vi = out.filter((e) => e.actor === 'vrrp:VI_1').map((e) => [e.from, e.to, e.event.type]);
    assert.deepEqual(vi, [
      [null, 'backup', 'xstate.init'],
      ['backup', 'probing', 'PROBE'],
      ['probing', 'backup', 'xstate.done.actor.0.vrrpInstance.probing'],
    ]);
    assert.ok(out.every((e) => e.actor === 'vrrp:VI_1' || e.actor === 'node:n1'));
    actor.stop();
  });

  it('redacts secrets and makes context and event JSON-safe', () => {
    const { out, actor } = harness();
    actor.start();
    const cause = Object.assign(new Error('no adverts'), { code: 'E_QUIET' });
    actor.send({ type: 'FORWARD', event: { type: 'TIMEOUT', authPass: 'sekret', cause } });
    const init = out[0]!;
    assert.deepEqual(init.context, {
      priority: 100,
      authPass: '[redacted]',
      peer: 'c0000201',
      seen: { '192.0.2.2': 1 },
    });
    assert.deepEqual(out.at(-1)!.event, {
      type: 'TIMEOUT',
      authPass: '[redacted]',
      cause: { name: 'Error', message: 'no adverts', code: 'E_QUIET' },
    });
    const line = JSON.stringify(out);
    assert.ok(!line.includes('hunter2') && !line.includes('sekret'));
    assert.deepEqual(JSON.parse(JSON.stringify(out.at(-1))), out.at(-1));
    actor.stop();
  });

  it('drops actor refs from the root context and honours extra redactKeys', () => {
    const out: EventEnvelope[] = [];
    const m = setup({
      types: { context: {} as { child: unknown; community: string; nested: { apiKey: string } } },
    }).createMachine({
      id: 'holder',
      context: ({ spawn }) => ({
        child: spawn(instance, { systemId: 'vrrp:VI_2' }),
        community: 'public',
        nested: { apiKey: 'k' },
      }),
      initial: 'idle',
      states: { idle: {} },
    });
    const actor = createActor(m, {
      systemId: 'holder',
      inspect: createTransitionMapper({
        node: 'n',
        boot: 1,
        firstSeq: 10,
        sink: (e) => out.push(e),
        redactKeys: ['apikey'],
      }).onInspect,
    });
    actor.start();
    const holder = out.find((e) => e.actor === 'holder')!;
    assert.deepEqual(holder.context, { community: 'public', nested: { apiKey: '[redacted]' } });
    assert.deepEqual(
      out.map((e) => e.seq),
      [10, 11],
    );
    actor.stop();
  });
});

test('a parallel region marked journal: false changes no journal event on its own', () => {
  const machine = setup({}).createMachine({
    id: 'server',
    type: 'parallel',
    states: {
      health: { initial: 'up', states: { up: { on: { FAIL: 'down' } }, down: {} } },
      check: {
        meta: { journal: false },
        initial: 'waiting',
        states: { waiting: { on: { PROBE: 'probing' } }, probing: { on: { DONE: 'waiting' } } },
      },
    },
  });
  const envs: EventEnvelope[] = [];
  const mapper = createTransitionMapper({ node: 'n1', boot: 1, sink: (e) => envs.push(e) });
  const actor = createActor(machine, { systemId: 'server:p/s1', inspect: mapper.onInspect }).start();
  actor.send({ type: 'PROBE' });
  actor.send({ type: 'DONE' });
  actor.send({ type: 'PROBE' });
  assert.equal(envs.length, 1, 'only the initial snapshot so far');
  actor.send({ type: 'FAIL' });
  assert.equal(envs.length, 2);
  assert.equal(envs[1]?.from, 'health.up,check.probing');
  assert.equal(envs[1]?.to, 'health.down,check.probing');
  actor.stop();
});

test('eventLabel shortens xstate event types and leaves every other type as it is', () => {
  assert.equal(eventLabel('xstate.after.masterDown.vrrpInstance.backup'), 'after masterDown');
  assert.equal(eventLabel('xstate.done.actor.probe'), 'done probe');
  assert.equal(eventLabel('xstate.error.actor.probe'), 'error probe');
  assert.equal(eventLabel('xstate.init'), 'init');
  assert.equal(eventLabel('MASTER_DOWN_TIMEOUT'), 'MASTER_DOWN_TIMEOUT');
});
