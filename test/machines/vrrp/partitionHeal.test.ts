/**
 * Two instances on one simulated wire: a partition makes both master, the heal must leave the
 * higher one master with its GARPs the last the clients heard, whichever advert crosses first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Actor, createActor } from 'xstate';
import { createTransitionMapper } from '../../../src/actors/transitionMapper.js';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import { vrrpInstanceMachine } from '../../../src/machines/vrrp/vrrpInstance.machine.js';
import type { HealSettings, VrrpInstanceInput } from '../../../src/machines/vrrp/vrrpInstance.types.js';
import { advanceTo, SimulatedClock } from '../simClock.js';
import { announcerSpy } from './announcerSpy.js';
import { BASE_INSTANCE } from './instanceInput.js';

const N1 = { name: 'n1', priority: 150, ip: '192.0.2.11' };
const N2 = { name: 'n2', priority: 100, ip: '192.0.2.12' };
/** n1 (150) is master from 3414.0625 ms (3 s + 106/256 s), adverts on every x414.0625. */
const PARTITION_AT = 10_000;
/** n2 (100) takes over 3609.375 ms after n1's last advert it heard (9414.0625): adverts on x023.4375. */
const N2_MASTER_AT = 9414.0625 + 3609.375;

interface Garp {
  at: number;
  from: string;
}

function lab(heal: Partial<HealSettings> = {}) {
  const clock = new SimulatedClock();
  let connected = true;
  const garps: Garp[] = [];
  const holders = new Set<string>();
  const nodes = new Map<string, Actor<typeof vrrpInstanceMachine>>();
  const make = (me: typeof N1, peer: typeof N1) => {
    const logic = vrrpInstanceMachine.provide({
      actions: {
        sendAdvert: (_, params) => {
          if (!connected) return;
          const event = { type: 'ADVERT' as const, priority: params.priority, srcIp: me.ip, advertIntervalCs: 100 };
          nodes.get(peer.name)?.send(event);
        },
        addVips: () => holders.add(me.name),
        removeVips: () => holders.delete(me.name),
      },
      actors: { announcer: announcerSpy(() => () => garps.push({ at: clock.now(), from: me.name })) },
    });
    const input: VrrpInstanceInput = {
      ...BASE_INSTANCE,
      name: 'VI_1',
      basePriority: me.priority,
      primaryIp: me.ip,
      heal: { ...BASE_INSTANCE.heal, ...heal },
    };
    return createActor(logic, { input, clock });
  };
  nodes.set('n1', make(N1, N2));
  nodes.set('n2', make(N2, N1));
  for (const n of nodes.values()) n.start();
  const state = (name: string) => nodes.get(name)!.getSnapshot().value;
  return {
    clock,
    garps,
    holders,
    state,
    partition: () => {
      connected = false;
    },
    heal: () => {
      connected = true;
    },
  };
}

/** Both masters after the partition, then the heal at `healAt`; returns the lab 2 advert intervals on. */
function splitAndHeal(healAt: number, heal: Partial<HealSettings> = {}) {
  const l = lab(heal);
  advanceTo(l.clock, PARTITION_AT);
  assert.equal(l.state('n1'), 'master');
  l.partition();
  advanceTo(l.clock, healAt);
  assert.deepEqual([l.state('n1'), l.state('n2')], ['master', 'master'], 'both master while partitioned');
  const takeoverGarp = l.garps.some((g) => g.from === 'n2' && Math.abs(g.at - N2_MASTER_AT) < 1);
  assert.ok(takeoverGarp, `n2 sent GARPs on taking over: ${JSON.stringify(l.garps)}`);
  l.heal();
  advanceTo(l.clock, healAt + 2000);
  return l;
}

describe('partition heal (two simulated nodes)', () => {
  for (const [order, healAt] of [
    ["n2's advert crosses first", 20_000],
    ["n1's advert crosses first", 20_100],
  ] as const) {
    it(`${order}: n1 alone master within 2 advert intervals, its GARP the last clients hear`, () => {
      const l = splitAndHeal(healAt);
      assert.deepEqual([l.state('n1'), l.state('n2')], ['master', 'backup']);
      assert.deepEqual([...l.holders], ['n1']);
      const last = l.garps.at(-1)!;
      assert.equal(last.from, 'n1', `last GARP from ${last.from} at ${last.at}`);
      // Answered on the first advert that crossed, within one advert interval of the heal.
      assert.ok(last.at >= healAt && last.at < healAt + 1000, `n1's answer at ${last.at}`);
      assert.ok(
        l.garps.every((g) => g.from === 'n1' || g.at < healAt),
        'no GARP from n2 after the heal',
      );
    });
  }

  it("with keepalived's default (higher_prio_send_advert off), n1 first leaves clients on n2", () => {
    const l = splitAndHeal(20_100, { higherPrioSendAdvert: false });
    assert.deepEqual([l.state('n1'), l.state('n2')], ['master', 'backup']);
    assert.equal(l.garps.at(-1)!.from, 'n2', 'the last GARP clients heard is still n2’s takeover');
  });
});

describe('partition heal: journal', () => {
  it('each exchange is one journal event on the instance; ordinary adverts are none', () => {
    const clock = new SimulatedClock();
    const out: EventEnvelope[] = [];
    const mapper = createTransitionMapper({ node: 'n1', boot: 1, sink: (e) => out.push(e), now: () => clock.now() });
    const actor = createActor(vrrpInstanceMachine, {
      input: { ...BASE_INSTANCE, basePriority: 150 },
      clock,
      inspect: mapper.onInspect,
      systemId: 'vrrp:VI_1',
    });
    actor.start();
    advanceTo(clock, 10_000);
    const peer = { type: 'ADVERT' as const, srcIp: '192.0.2.30', advertIntervalCs: 100 };
    actor.send({ ...peer, priority: 100 });
    advanceTo(clock, 12_000);
    actor.send({ ...peer, priority: 200 });
    assert.deepEqual(
      out.map((e) => [e.from, e.to, e.event.type]),
      [
        [null, 'backup', 'xstate.init'],
        ['backup', 'master', 'xstate.after.masterDown.vrrpInstance.backup'],
        // Kept mastership: a self-transition, journaled because it is marked so.
        ['master', 'master', 'ADVERT'],
        ['master', 'backup', 'ADVERT'],
      ],
    );
    const exchanges = out.filter((e) => e.event.type === 'ADVERT');
    assert.equal(exchanges.length, 2, 'one event per exchange');
    assert.deepEqual(exchanges[0]!.context.lastSplitBrain, {
      peerIp: '192.0.2.30',
      peerPriority: 100,
      ourPriority: 150,
      outcome: 'kept',
      sentAdvert: true,
      garpRepeat: 5,
      garpDelayCs: 500,
    });
    assert.equal((exchanges[1]!.context.lastSplitBrain as { outcome: string }).outcome, 'yielded');
    assert.equal(exchanges[1]!.context.splitBrains, 2);
  });
});
