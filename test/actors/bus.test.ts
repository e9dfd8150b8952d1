import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { actorIds } from '../../src/actors/actorIds.js';
import { createBus } from '../../src/actors/bus.js';
import { Counters } from '../../src/actors/counters.js';
import { rootMachine } from '../../src/actors/rootMachine.js';
import { createLogger } from '../../src/io/log.js';
import { interfaceTrackerMachine } from '../../src/machines/trackers/interfaceTracker.machine.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import { SimulatedClock } from '../machines/simClock.js';
import { BASE_INSTANCE } from '../machines/vrrp/instanceInput.js';

/** A node's bus connected to a root holding one VRRP instance and one interface tracker. */
function node() {
  const lines: Array<{ level: number; msg: string; actor?: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const counters = new Counters();
  const bus = createBus({ log: createLogger({ destination, level: 'debug' }), counters });
  const reports: boolean[] = [];
  const children = [
    { systemId: actorIds.vrrp('VI_1'), logic: vrrpInstanceMachine, input: BASE_INSTANCE },
    {
      systemId: actorIds.iface('eth0'),
      logic: interfaceTrackerMachine.provide({ actions: { report: (_, { ok }) => reports.push(ok) } }),
      input: { name: 'eth0' },
    },
  ];
  const root = createActor(rootMachine, { input: { node: 'n', children }, clock: new SimulatedClock() });
  bus.connect((id) => root.system.get(id));
  root.start();
  return { bus, counters, lines, reports, root };
}

describe('bus', () => {
  it('delivers an event to the actor its id names', () => {
    const n = node();
    n.bus.send(actorIds.iface('eth0'), { type: 'LINK', up: false });
    assert.deepEqual(n.reports, [false]);
    assert.equal(n.bus.get(actorIds.vrrp('VI_1'))?.getSnapshot().value, 'backup');
    n.root.stop();
  });

  it('counts every event for an unknown actor and warns once per id', () => {
    const n = node();
    for (let i = 0; i < 3; i++) n.bus.send(actorIds.vrrp('VI_9'), { type: 'LINK', up: true });
    n.bus.send(actorIds.sync('G9'), { type: 'MEMBER_STATE', member: 'VI_9', state: 'master' });
    assert.equal(n.counters.get('halo_bus_unknown_actor_total', { actor: 'vrrp:VI_9' }), 3);
    assert.equal(n.counters.get('halo_bus_unknown_actor_total', { actor: 'sync:G9' }), 1);
    const warned = n.lines.filter((l) => l.level === 40).map((l) => l.actor);
    assert.deepEqual(warned, ['vrrp:VI_9', 'sync:G9'], 'one warning per unknown id');
    n.root.stop();
  });

  it('tells an actor that has stopped from an unknown one', () => {
    const n = node();
    n.bus.send(actorIds.vrrp('VI_1'), { type: 'SHUTDOWN' });
    assert.equal(n.bus.get(actorIds.vrrp('VI_1')), undefined, 'xstate forgets a stopped actor');
    n.bus.send(actorIds.vrrp('VI_1'), { type: 'TRACK', name: 'chk', ok: false });
    n.bus.send(actorIds.vrrp('VI_1'), { type: 'TRACK', name: 'chk', ok: true });
    assert.equal(n.counters.get('halo_bus_stopped_actor_total', { actor: 'vrrp:VI_1' }), 2);
    assert.equal(n.counters.get('halo_bus_unknown_actor_total', { actor: 'vrrp:VI_1' }), 0);
    assert.deepEqual(
      n.lines.filter((l) => l.actor === 'vrrp:VI_1').map((l) => l.level),
      [20],
      'one debug line, no warning',
    );
    n.root.stop();
  });
});
