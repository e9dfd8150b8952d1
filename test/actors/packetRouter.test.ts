import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters } from '../../src/actors/counters.js';
import { createPacketHandler, type RoutedInstance } from '../../src/actors/packetRouter.js';
import type { LineSink } from '../../src/io/throttledLog.js';
import { floodMix, GROUP, VIP, VRID, winning } from '../e2e/fixtures/badAdverts.js';

const ATTACKER = '192.0.2.13';
const NODE = '192.0.2.11';
const PEER = '192.0.2.12';
const UNICAST_VRID = 60;

type Line = { level: string; obj: Record<string, unknown>; msg: string };

function capture(): { sink: LineSink; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { sink: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function instances(delivered: string[]): RoutedInstance[] {
  const local = { version: 2 as const, authPass: 'secret1', advertIntervalCs: 100, addresses: [VIP] };
  const deliver = (name: string) => () => {
    delivered.push(name);
  };
  return [
    { name: 'VI_1', local: { ...local, vrid: VRID }, unicastPeers: [], deliver: deliver('VI_1') },
    {
      name: 'VI_2',
      local: { ...local, vrid: UNICAST_VRID, unicast: true },
      unicastPeers: [PEER],
      deliver: deliver('VI_2'),
    },
  ];
}

describe('packetRouter: drops counted exactly, logged on a budget', () => {
  it('10 000 bad packets: every one counted, the first of each reason logged, the rest in summaries', () => {
    const delivered: string[] = [];
    const counters = new Counters();
    const { sink, lines } = capture();
    const handler = createPacketHandler('eth0', instances(delivered), { counters, log: sink });
    const mix = [...floodMix(ATTACKER, NODE), winning(ATTACKER, { vrid: UNICAST_VRID, dst: NODE })];
    const total = 10_000;
    for (let i = 0; i < total; i++) handler.onPacket(Buffer.from(mix[i % mix.length]!), ATTACKER, 0);
    const duringFlood = lines.length;
    handler.close();

    assert.deepEqual(delivered, [], 'nothing reached an instance');
    const counted = Object.entries(counters.snapshot('halo_vrrp_rx_'));
    const sum = counted.reduce((s, [, v]) => s + v, 0);
    assert.equal(sum, total, `every packet counted once: ${JSON.stringify(counted)}`);
    assert.equal(
      counters.get('halo_vrrp_rx_dropped_total', { dev: 'eth0', instance: 'VI_2', reason: 'unknown_peer' }),
      Math.floor(total / mix.length),
    );

    assert.ok(duringFlood <= 10, `${duringFlood} lines while 10 000 packets came in`);
    assert.ok(lines.length - duringFlood <= 2, 'one summary per log at close');
    const refusedFull = lines.filter((l) => l.msg === 'vrrp advert dropped').map((l) => l.obj.reason);
    assert.ok(
      refusedFull.includes('auth'),
      `the first refused advert is logged in full: ${JSON.stringify(refusedFull)}`,
    );
    // Every reason shows, in full or in a summary.
    const told = new Set<string>();
    for (const l of lines) {
      if (typeof l.obj.reason === 'string') told.add(l.obj.reason);
      for (const key of Object.keys((l.obj.repeats as object | undefined) ?? {})) told.add(key.split(' ').at(-1)!);
    }
    const reasons = counted.flatMap(([k]) => /reason=(\w+)/.exec(k)?.[1] ?? []);
    for (const reason of reasons) assert.ok(told.has(reason), `${reason} is in the log: ${JSON.stringify(lines)}`);
    assert.ok(reasons.includes('unknown_peer'), 'the advert from outside unicast_peer is among them');
    const summary = lines.find((l) => l.msg === 'vrrp advert dropped (repeats)');
    const sources = (summary?.obj.sources ?? {}) as Record<string, number>;
    assert.deepEqual(Object.keys(sources), [ATTACKER], 'the summary counts by source');
    assert.ok(sources[ATTACKER]! > total / 2, `most refused adverts came from ${ATTACKER}: ${JSON.stringify(sources)}`);
  });

  it('a valid advert is delivered to the instance of its VRID', () => {
    const delivered: string[] = [];
    const counters = new Counters();
    const handler = createPacketHandler('eth0', instances(delivered), { counters, log: capture().sink });
    handler.onPacket(winning(PEER, { dst: GROUP }), PEER, 0);
    handler.onPacket(winning(PEER, { vrid: UNICAST_VRID, dst: NODE }), PEER, 0);
    handler.close();
    assert.deepEqual(delivered, ['VI_1', 'VI_2']);
  });
});
