/**
 * A recorded history for replay tests: real machines (two nodes' vrrpInstance, two servers'
 * serverHealth with a scripted probe) run on one SimulatedClock, every transition mapped by
 * the real transitionMapper, and the states the test observes at chosen instants.
 *
 * Story (ms after BASE): both instances start BACKUP and become MASTER when Master_Down_Timer
 * runs out (no adverts yet: timer events); node-a's advert at 4000 sends node-b back to
 * backup, adverts re-arm it until 5000; node-a's link drops at 6000 (FAULT) and returns at
 * 9000; node-b takes over when its timer runs out. db1 fails three checks from the third on
 * (UP → failing, a second failure that only lowers its health counter, not journaled → DOWN)
 * and comes back (rising → UP); db2 passes throughout.
 */
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { createTransitionMapper } from '../../src/actors/transitionMapper.js';
import { type EventEnvelope, stateValueToString } from '../../src/io/journal/envelope.js';
import { serverHealthMachine } from '../../src/machines/lb/serverHealth.machine.js';
import type { ProbeInput, ProbeResult } from '../../src/machines/lb/serverHealth.types.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import type { VrrpInstanceInput } from '../../src/machines/vrrp/vrrpInstance.types.js';
import { settleTo } from '../machines/simClock.js';

export const BASE = Date.parse('2026-11-25T03:14:00.000Z');

export interface Observation {
  at: number;
  /** node → actor → state string. */
  states: Record<string, Record<string, string>>;
}

export interface RecordedRun {
  envelopes: EventEnvelope[];
  observations: Observation[];
}

const instance = (priority: number, ip: string): VrrpInstanceInput => ({
  name: 'VI_1',
  vrid: 51,
  version: 2,
  basePriority: priority,
  advertIntervalCs: 100,
  preempt: true,
  preemptDelayCs: 0,
  initialState: 'BACKUP',
  primaryIp: ip,
  trackers: [],
  garp: { delayCs: 0, repeat: 1, refreshCs: 0, refreshRepeat: 1 },
  heal: { lowerPrioAdvert: true, lowerPrioGarpRepeat: 1, lowerPrioGarpDelayCs: 0, higherPrioSendAdvert: true },
});

const server = (name: string) => ({
  backend: 'proxy',
  server: name,
  rise: 2,
  fall: 3,
  interMs: 1000,
  fastInterMs: 1000,
  downInterMs: 1000,
  timeoutMs: 500,
  initialDelayMs: 100,
  checkEnabled: true,
});

/** The journaled part of a state: a server's probe/wait region is not an event (transitionMapper). */
export function journaledPart(state: string): string {
  return state
    .split(',')
    .filter((p) => !p.startsWith('check.') && p !== 'check')
    .join(',');
}

export async function recordRun(): Promise<RecordedRun> {
  const clock = new SimulatedClock();
  const envelopes: EventEnvelope[] = [];
  const mapper = (node: string) =>
    createTransitionMapper({
      node,
      boot: 1,
      sink: (e) => envelopes.push(e),
      now: () => BASE + Math.round(clock.now()),
    });
  const db1Script: boolean[] = [true, true, false, false, false, true, true];
  const probe = fromPromise<ProbeResult, ProbeInput>(async ({ input }) => {
    const ok = input.server === 'db1' ? (db1Script.shift() ?? true) : true;
    return { ok, reason: ok ? 'ok' : 'refused', detail: ok ? 'connected' : 'connection refused', durationMs: 1 };
  });
  const serverLogic = serverHealthMachine.provide({ actors: { probe } });

  const mapA = mapper('node-a');
  const mapB = mapper('node-b');
  const actors = {
    'node-a': {
      'vrrp:VI_1': createActor(vrrpInstanceMachine, {
        input: instance(100, '192.0.2.1'),
        clock,
        systemId: 'vrrp:VI_1',
        inspect: mapA.onInspect,
      }),
      'server:proxy/db1': createActor(serverLogic, {
        input: server('db1'),
        clock,
        systemId: 'server:proxy/db1',
        inspect: mapA.onInspect,
      }),
      'server:proxy/db2': createActor(serverLogic, {
        input: server('db2'),
        clock,
        systemId: 'server:proxy/db2',
        inspect: mapA.onInspect,
      }),
    },
    'node-b': {
      'vrrp:VI_1': createActor(vrrpInstanceMachine, {
        input: instance(90, '192.0.2.2'),
        clock,
        systemId: 'vrrp:VI_1',
        inspect: mapB.onInspect,
      }),
    },
  };
  for (const node of Object.values(actors)) for (const a of Object.values(node)) a.start();

  const observations: Observation[] = [];
  const observe = (): void => {
    const states: Observation['states'] = {};
    for (const [node, byActor] of Object.entries(actors)) {
      states[node] = Object.fromEntries(
        Object.entries(byActor).map(([id, a]) => [id, stateValueToString(a.getSnapshot().value)]),
      );
    }
    observations.push({ at: BASE + Math.round(clock.now()), states });
  };
  const advert = { type: 'ADVERT' as const, priority: 100, srcIp: '192.0.2.1', advertIntervalCs: 100 };

  await settleTo(clock, 3000);
  observe();
  await settleTo(clock, 4000);
  actors['node-b']['vrrp:VI_1'].send(advert);
  await settleTo(clock, 4500);
  observe();
  actors['node-b']['vrrp:VI_1'].send(advert);
  await settleTo(clock, 5000);
  actors['node-b']['vrrp:VI_1'].send(advert);
  await settleTo(clock, 6000);
  actors['node-a']['vrrp:VI_1'].send({ type: 'LINK', up: false });
  await settleTo(clock, 7000);
  observe();
  await settleTo(clock, 9000);
  actors['node-a']['vrrp:VI_1'].send({ type: 'LINK', up: true });
  await settleTo(clock, 10_000);
  observe();
  await settleTo(clock, 14_000);
  observe();
  for (const node of Object.values(actors)) for (const a of Object.values(node)) a.stop();
  return { envelopes, observations };
}
