import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { isStopped, vrrpInstanceMachine } from '../../../src/machines/vrrp/vrrpInstance.machine.js';
import type {
  VrrpInstanceEmitted,
  VrrpInstanceEvent,
  VrrpInstanceInput,
} from '../../../src/machines/vrrp/vrrpInstance.types.js';
import { advanceTo, recorder, SimulatedClock } from '../simClock.js';
import { announcerSpy } from './announcerSpy.js';
import { BASE_INSTANCE } from './instanceInput.js';

const BASE = BASE_INSTANCE;

/** v2, priority 100, 1 s adverts: 3 s + (256 - 100) / 256 s. */
const MDI_100 = 3609.375;

function start(overrides: Partial<VrrpInstanceInput> = {}) {
  const clock = new SimulatedClock();
  const rec = recorder(clock);
  /** When the GARP announcer was stopped (the instance left master). */
  const announcerStops: number[] = [];
  const logic = vrrpInstanceMachine.provide({
    actions: {
      sendAdvert: rec.record('sendAdvert'),
      addVips: rec.record('addVips'),
      removeVips: rec.record('removeVips'),
      notify: rec.record('notify'),
    },
    actors: { announcer: announcerSpy(rec.record, () => announcerStops.push(clock.now())) },
  });
  const actor = createActor(logic, { input: { ...BASE, ...overrides }, clock });
  const values: string[] = [];
  actor.subscribe((s) => {
    const v = JSON.stringify(s.value);
    if (values[values.length - 1] !== v) values.push(v);
  });
  /** What the instance announced (its STATUS facts), as `state` or `state+own fault`. */
  const facts: string[] = [];
  actor.on('STATUS', (e: VrrpInstanceEmitted) => facts.push(e.ownFault ? `${e.state}+own fault` : e.state));
  actor.start();
  const state = () => actor.getSnapshot().value;
  const ctx = () => actor.getSnapshot().context;
  const send = (e: VrrpInstanceEvent) => actor.send(e);
  /** Advance to `t` and deliver an advert there. */
  const advertAt = (t: number, priority: number, srcIp = '192.0.2.20', advertIntervalCs = 100) => {
    advanceTo(clock, t);
    send({ type: 'ADVERT', priority, srcIp, advertIntervalCs });
  };
  const adverts = () =>
    rec.of('sendAdvert').map((c) => ({ at: c.at, ...(c.params as { priority: number; advertIntervalCs: number }) }));
  return { clock, rec, actor, state, ctx, send, advertAt, adverts, values, facts, announcerStops };
}

describe('vrrpInstance: initialize', () => {
  it('a backup starts in backup and notifies BACKUP at once', () => {
    const h = start();
    assert.equal(h.state(), 'backup');
    assert.deepEqual(h.rec.calls, [{ at: 0, action: 'notify', params: { state: 'BACKUP', priority: 100 } }]);
    assert.equal(h.ctx().downTimerMs, MDI_100);
  });

  it('the address owner (255) becomes master at once: VIPs, advert, notify, GARP (RFC 5798 6.4.1)', () => {
    const h = start({ basePriority: 255 });
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.calls.map((c) => [c.at, c.action, c.params]).filter((c) => c[1] !== 'sendGarp'),
      [
        [0, 'addVips', undefined],
        [0, 'sendAdvert', { priority: 255, advertIntervalCs: 100 }],
        [0, 'notify', { state: 'MASTER', priority: 255 }],
      ],
    );
    // On the actor's first macrostep xstate starts invoked actors before running the entry
    // actions, so the announcer starts first here; the wiring queues its burst behind the VIPs.
    assert.deepEqual(
      h.rec.of('sendGarp').map((c) => c.params),
      [{ repeat: 5 }],
    );
    assert.equal(h.ctx().becameMaster, 1);
  });

  it('state MASTER below 255 starts as backup with a full Master_Down_Timer and clears nopreempt (keepalived)', () => {
    const h = start({ initialState: 'MASTER', preempt: false, preemptDelayCs: 300 });
    assert.equal(h.state(), 'backup');
    assert.equal(h.ctx().preempt, true);
    assert.equal(h.ctx().preemptDelayCs, 0);
    // Preempt is on again, so a lower-priority master is ignored and we take over on time.
    h.advertAt(1000, 50);
    h.advertAt(2000, 50);
    advanceTo(h.clock, MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('waits in initialize for a weight-0 tracker, then faults if it fails (keepalived num_script_init)', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'script', weight: 0 }] });
    assert.equal(h.state(), 'initialize');
    advanceTo(h.clock, 10_000);
    assert.equal(h.state(), 'initialize');
    assert.deepEqual(h.rec.calls, []);
    h.send({ type: 'TRACK', name: 'chk', ok: false });
    assert.equal(h.state(), 'fault');
    assert.deepEqual(h.ctx().faultReasons, ['track_script chk']);
    assert.deepEqual(
      h.rec.of('notify').map((c) => c.params),
      [{ state: 'FAULT', priority: 100 }],
    );
  });

  it('a weight-0 tracker that reports OK first lets the instance into backup', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'script', weight: 0 }] });
    advanceTo(h.clock, 500);
    h.send({ type: 'TRACK', name: 'chk', ok: true });
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 500 + MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('a weighted script does not hold initialize; it counts once it reports', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'script', weight: -30 }] });
    assert.equal(h.state(), 'backup');
    h.send({ type: 'TRACK', name: 'chk', ok: false });
    assert.equal(h.ctx().effectivePriority, 70);
  });

  it('link down before start ends in fault, not backup', () => {
    const h = start({ trackers: [{ name: 'f', kind: 'file', weight: 0 }] });
    h.send({ type: 'LINK', up: false });
    assert.equal(h.state(), 'initialize');
    h.send({ type: 'TRACK', name: 'f', ok: true, value: 0 });
    assert.equal(h.state(), 'fault');
    assert.deepEqual(h.ctx().faultReasons, ['interface down']);
  });
});

describe('vrrpInstance: backup (RFC 3768 / RFC 5798 6.4.2)', () => {
  it('takes over after exactly Master_Down_Interval: 3609.375 ms for v2, priority 100, 1 s', () => {
    const h = start();
    advanceTo(h.clock, MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    assert.equal(h.adverts().length, 0);
    advanceTo(h.clock, MDI_100);
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.since(MDI_100).map((c) => [c.action, c.params]),
      [
        ['addVips', undefined],
        ['sendAdvert', { priority: 100, advertIntervalCs: 100 }],
        ['notify', { state: 'MASTER', priority: 100 }],
        // The announcer is invoked after the entry actions: GARPs follow the advert.
        ['sendGarp', { repeat: 5 }],
      ],
    );
  });

  it('an advert at or above our priority re-arms Master_Down_Timer without a state change', () => {
    const h = start();
    for (let t = 1000; t <= 6000; t += 1000) h.advertAt(t, 110, '192.0.2.30');
    advanceTo(h.clock, 6000 + MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    assert.equal(h.ctx().masterIp, '192.0.2.30');
    assert.equal(h.ctx().masterPriority, 110);
    advanceTo(h.clock, 6000 + MDI_100);
    assert.equal(h.state(), 'master');
    assert.deepEqual(h.values, ['"backup"', '"master"']);
  });

  it('an equal-priority advert re-arms too (RFC: priority >= local)', () => {
    const h = start();
    h.advertAt(2000, 100);
    advanceTo(h.clock, MDI_100 + 1);
    assert.equal(h.state(), 'backup');
  });

  it('a priority-0 advert makes it take over after Skew_Time (609.375 ms)', () => {
    const h = start();
    h.advertAt(1000, 110);
    h.advertAt(1500, 0);
    assert.equal(h.ctx().downTimerMs, 609.375);
    advanceTo(h.clock, 2109.374);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 2109.375);
    assert.equal(h.state(), 'master');
  });

  it('preempt: a lower-priority advert is discarded and the timer runs out', () => {
    const h = start();
    h.advertAt(1000, 50);
    h.advertAt(2000, 50);
    h.advertAt(3000, 50);
    assert.equal(h.ctx().masterIp, '192.0.2.20');
    advanceTo(h.clock, MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('nopreempt: a lower-priority advert re-arms the timer', () => {
    const h = start({ preempt: false });
    for (let t = 1000; t <= 5000; t += 1000) h.advertAt(t, 50);
    advanceTo(h.clock, 5000 + MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 5000 + MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('preempt_delay: lower-priority adverts re-arm until the delay since the first one has passed (keepalived)', () => {
    const h = start({ preemptDelayCs: 500 });
    // The first lower advert at 100 ms starts the 5 s delay; adverts until 4100 are accepted.
    for (let t = 100; t <= 4100; t += 1000) h.advertAt(t, 50);
    assert.equal(h.ctx().preemptDelay, 'running');
    h.advertAt(5100, 50); // the delay expired at 5100, so this one is discarded
    assert.equal(h.ctx().preemptDelay, 'expired');
    h.advertAt(6100, 50);
    h.advertAt(7100, 50);
    advanceTo(h.clock, 4100 + MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 4100 + MDI_100);
    assert.equal(h.state(), 'master');
    assert.equal(h.ctx().preemptDelay, 'idle');
  });

  it('preempt_delay: an advert at or above our priority stops the delay', () => {
    const h = start({ preemptDelayCs: 500 });
    h.advertAt(100, 50);
    h.advertAt(1100, 120);
    assert.equal(h.ctx().preemptDelay, 'idle');
    // The stopped delay never fires; a new lower advert starts a fresh one.
    for (let t = 2100; t <= 6100; t += 1000) h.advertAt(t, 50);
    assert.equal(h.ctx().preemptDelay, 'running');
    advanceTo(h.clock, 7100);
    assert.equal(h.ctx().preemptDelay, 'expired');
    assert.equal(h.state(), 'backup');
  });

  it('v3 learns Master_Adver_Interval from the master (RFC 5798 6.4.2)', () => {
    const h = start({ version: 3 });
    h.advertAt(500, 200, '192.0.2.30', 50);
    assert.equal(h.ctx().masterAdvertIntervalCs, 50);
    // 3 × 500 ms + (256 - 100) × 50 cs / 256 = 1500 + 304.687 ms (µs-truncated like keepalived)
    assert.equal(h.ctx().downTimerMs, 1804.687);
    advanceTo(h.clock, 500 + 1804.686);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 500 + 1804.687);
    assert.equal(h.state(), 'master');
    // As master it advertises its own configured interval.
    assert.equal(h.ctx().masterAdvertIntervalCs, 100);
    advanceTo(h.clock, 2304.687 + 1000);
    assert.deepEqual(
      h.adverts().map((a) => [a.at, a.advertIntervalCs]),
      [
        [2304.687, 100],
        [3304.687, 100],
      ],
    );
  });

  it('v3 priority-0 advert: Skew_Time uses the learned interval', () => {
    const h = start({ version: 3 });
    h.advertAt(500, 200, '192.0.2.30', 200);
    h.advertAt(1000, 0, '192.0.2.30', 200);
    // (256 - 100) × 200 cs / 256 = 121.875 cs
    assert.equal(h.ctx().downTimerMs, 1218.75);
  });
});

describe('vrrpInstance: master (RFC 3768 / RFC 5798 6.4.3)', () => {
  function master(overrides: Partial<VrrpInstanceInput> = {}) {
    const h = start(overrides);
    advanceTo(h.clock, MDI_100);
    assert.equal(h.state(), 'master');
    return h;
  }

  it('sends an advert every Advertisement_Interval', () => {
    const h = master();
    advanceTo(h.clock, MDI_100 + 3000);
    assert.deepEqual(
      h.adverts().map((a) => a.at),
      [MDI_100, MDI_100 + 1000, MDI_100 + 2000, MDI_100 + 3000],
    );
  });

  it('GARP on entry, again after garp_master_delay, then every garp_master_refresh', () => {
    const h = master({ garp: { delayCs: 500, repeat: 5, refreshCs: 1000, refreshRepeat: 2 } });
    advanceTo(h.clock, MDI_100 + 25_000);
    assert.deepEqual(
      h.rec.of('sendGarp').map((c) => [c.at - MDI_100, c.params]),
      [
        [0, { repeat: 5 }],
        [5000, { repeat: 5 }],
        [15_000, { repeat: 2 }],
        [25_000, { repeat: 2 }],
      ],
    );
  });

  it('no delayed GARP when garp_master_delay is 0', () => {
    const h = master({ garp: { delayCs: 0, repeat: 3, refreshCs: 0, refreshRepeat: 1 } });
    advanceTo(h.clock, MDI_100 + 20_000);
    assert.equal(h.rec.of('sendGarp').length, 1);
  });

  it('answers a priority-0 advert at once and re-arms Adver_Timer', () => {
    const h = master();
    h.advertAt(4000, 0);
    advanceTo(h.clock, 6000);
    assert.deepEqual(
      h.adverts().map((a) => a.at),
      [MDI_100, 4000, 5000, 6000],
    );
    assert.equal(h.state(), 'master');
  });

  it('yields to a higher priority: an advert of ours first, removeVips, notify BACKUP, Master_Down_Timer', () => {
    const h = master();
    h.advertAt(4000, 150, '192.0.2.30');
    assert.equal(h.state(), 'backup');
    assert.deepEqual(
      h.rec.since(4000).map((c) => [c.action, c.params]),
      [
        ['sendAdvert', { priority: 100, advertIntervalCs: 100 }],
        ['removeVips', undefined],
        ['notify', { state: 'BACKUP', priority: 100 }],
      ],
    );
    assert.equal(h.ctx().releasedMaster, 1);
    assert.deepEqual(h.ctx().lastSplitBrain, {
      peerIp: '192.0.2.30',
      peerPriority: 150,
      ourPriority: 100,
      outcome: 'yielded',
      sentAdvert: true,
      garpRepeat: 0,
      garpDelayCs: 0,
    });
    // No more adverts from us; the new master goes silent, so we come back after Master_Down_Interval.
    advanceTo(h.clock, 4000 + MDI_100 - 0.001);
    assert.equal(h.adverts().length, 2);
    advanceTo(h.clock, 4000 + MDI_100);
    assert.equal(h.state(), 'master');
    assert.equal(h.ctx().becameMaster, 2);
  });

  it('higher_prio_send_advert off: yields silently, as keepalived does by default', () => {
    const h = master({ heal: { ...BASE.heal, higherPrioSendAdvert: false } });
    h.advertAt(4000, 150, '192.0.2.30');
    assert.equal(h.state(), 'backup');
    assert.deepEqual(
      h.rec.since(4000).map((c) => c.action),
      ['removeVips', 'notify'],
    );
    assert.equal(h.ctx().lastSplitBrain?.sentAdvert, false);
  });

  it('answers a lower-priority master at once: an advert, GARPs, GARPs again after garp_lower_prio_delay', () => {
    const h = master();
    h.advertAt(4000, 99, '192.0.2.30');
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.since(4000).map((c) => [c.at, c.action, c.params]),
      [
        [4000, 'sendAdvert', { priority: 100, advertIntervalCs: 100 }],
        [4000, 'sendGarp', { repeat: 5 }],
      ],
    );
    assert.deepEqual(h.ctx().lastSplitBrain, {
      peerIp: '192.0.2.30',
      peerPriority: 99,
      ourPriority: 100,
      outcome: 'kept',
      sentAdvert: true,
      garpRepeat: 5,
      garpDelayCs: 500,
    });
    assert.equal(h.ctx().splitBrains, 1);
    // Out of turn: Adver_Timer keeps its phase (next regular advert at MDI + 1 s).
    advanceTo(h.clock, 9000);
    assert.deepEqual(
      h.rec
        .since(4000)
        .filter((c) => c.action === 'sendGarp')
        .map((c) => [c.at, c.params]),
      [
        [4000, { repeat: 5 }],
        // garp_master_delay's own burst after becoming master, then the lower-prio one.
        [MDI_100 + 5000, { repeat: 5 }],
        [9000, { repeat: 5 }],
      ],
    );
    assert.deepEqual(
      h.adverts().map((a) => a.at),
      [MDI_100, 4000, MDI_100 + 1000, MDI_100 + 2000, MDI_100 + 3000, MDI_100 + 4000, MDI_100 + 5000],
    );
  });

  it('a lower master that keeps advertising re-arms the delayed burst instead of stacking bursts', () => {
    const h = master({ garp: { ...BASE.garp, delayCs: 0 } });
    h.advertAt(4000, 99);
    h.advertAt(5000, 99);
    h.advertAt(6000, 99);
    advanceTo(h.clock, 20_000);
    assert.deepEqual(
      h.rec.of('sendGarp').map((c) => c.at),
      [MDI_100, 4000, 5000, 6000, 11_000],
    );
    assert.equal(h.ctx().splitBrains, 3);
  });

  it('leaving master cancels a pending lower-prio GARP burst, even if master again before it was due', () => {
    const h = master({ garp: { ...BASE.garp, delayCs: 0 } });
    h.advertAt(4000, 99);
    h.advertAt(4500, 150, '192.0.2.40');
    assert.equal(h.state(), 'backup');
    // The new master falls silent: we are master again at 4500 + MDI, before the burst's 9000.
    advanceTo(h.clock, 20_000);
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.of('sendGarp').map((c) => c.at),
      [MDI_100, 4000, 4500 + MDI_100],
    );
  });

  it('lower_prio_no_advert and garp_lower_prio_repeat 0: discards a lower advert (RFC 5798 6.4.3)', () => {
    const h = master({ heal: { ...BASE.heal, lowerPrioAdvert: false, lowerPrioGarpRepeat: 0 } });
    h.advertAt(4000, 99);
    assert.equal(h.state(), 'master');
    assert.deepEqual(h.rec.since(4000), []);
    // Still recorded: the split brain was seen even if nothing answered it.
    assert.deepEqual(h.ctx().lastSplitBrain, {
      peerIp: '192.0.2.20',
      peerPriority: 99,
      ourPriority: 100,
      outcome: 'kept',
      sentAdvert: false,
      garpRepeat: 0,
      garpDelayCs: 0,
    });
  });

  it('an equal-priority advert from our own address neither wins nor is answered', () => {
    const h = master();
    h.advertAt(4000, 100, BASE.primaryIp);
    assert.equal(h.state(), 'master');
    assert.deepEqual(h.rec.since(4000), []);
  });

  it('equal priority: the higher primary IP wins, compared as unsigned 32-bit', () => {
    const lower = master({ primaryIp: '192.0.2.99' });
    lower.advertAt(4000, 100, '192.0.2.9');
    assert.equal(lower.state(), 'master');
    // As strings '192.0.2.100' < '192.0.2.99'; as numbers it is higher, so we yield.
    lower.advertAt(4100, 100, '192.0.2.100');
    assert.equal(lower.state(), 'backup');

    const high = master({ primaryIp: '203.0.113.1' });
    high.advertAt(4000, 100, '198.51.100.200');
    assert.equal(high.state(), 'master');
  });

  it('a weighted tracker changes the priority carried by the next adverts', () => {
    const h = master({ trackers: [{ name: 'chk', kind: 'script', weight: -20 }] });
    advanceTo(h.clock, 4000);
    h.send({ type: 'TRACK', name: 'chk', ok: false });
    advanceTo(h.clock, MDI_100 + 2000);
    assert.deepEqual(
      h.adverts().map((a) => a.priority),
      [100, 80, 80],
    );
    assert.equal(h.state(), 'master');
  });

  it('SHUTDOWN: priority-0 advert, removeVips, notify STOP, final state', () => {
    const h = master();
    advanceTo(h.clock, 4000);
    h.send({ type: 'SHUTDOWN' });
    assert.equal(h.state(), 'stopped');
    assert.equal(h.actor.getSnapshot().status, 'done');
    assert.deepEqual(
      h.rec.since(4000).map((c) => [c.action, c.params]),
      [
        ['sendAdvert', { priority: 0, advertIntervalCs: 100 }],
        ['removeVips', undefined],
        ['notify', { state: 'STOP', priority: 100 }],
      ],
    );
    advanceTo(h.clock, 20_000);
    assert.equal(h.adverts().length, 2);
  });
});

describe('vrrpInstance: priority from trackers (backup)', () => {
  it('a backup whose priority rises above the master takes over: the next lower advert is discarded', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'script', weight: 20 }] });
    h.advertAt(500, 110);
    h.advertAt(1500, 110);
    advanceTo(h.clock, 2000);
    h.send({ type: 'TRACK', name: 'chk', ok: true });
    assert.equal(h.ctx().effectivePriority, 120);
    h.advertAt(2500, 110);
    h.advertAt(3500, 110);
    // Deadline armed by the last accepted advert (1500) with the then priority 100.
    advanceTo(h.clock, 1500 + MDI_100 - 0.001);
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 1500 + MDI_100);
    assert.equal(h.state(), 'master');
    assert.equal(h.adverts()[0]?.priority, 120);
  });

  it('track_file: value × weight; a weight-0 file with a non-zero value is a fault', () => {
    const h = start({
      trackers: [
        { name: 'prio', kind: 'file', weight: 10 },
        { name: 'down', kind: 'file', weight: 0 },
      ],
    });
    assert.equal(h.state(), 'initialize');
    h.send({ type: 'TRACK', name: 'prio', ok: false, value: 3 });
    h.send({ type: 'TRACK', name: 'down', ok: true, value: 0 });
    assert.equal(h.state(), 'backup');
    assert.equal(h.ctx().effectivePriority, 130);
    h.send({ type: 'TRACK', name: 'down', ok: false, value: 1 });
    assert.equal(h.state(), 'fault');
  });
});

describe('vrrpInstance: fault', () => {
  it('link down in backup → fault; link up → backup with a fresh Master_Down_Timer', () => {
    const h = start();
    advanceTo(h.clock, 1000);
    h.send({ type: 'LINK', up: false });
    assert.equal(h.state(), 'fault');
    advanceTo(h.clock, 10_000);
    assert.equal(h.state(), 'fault');
    h.send({ type: 'LINK', up: true });
    assert.equal(h.state(), 'backup');
    assert.deepEqual(
      h.rec.of('notify').map((c) => [c.at, (c.params as { state: string }).state]),
      [
        [0, 'BACKUP'],
        [1000, 'FAULT'],
        [10_000, 'BACKUP'],
      ],
    );
    advanceTo(h.clock, 10_000 + MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('master → fault: priority-0 advert, removeVips, notify FAULT, adverts stop', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'interface', weight: 0 }] });
    h.send({ type: 'TRACK', name: 'chk', ok: true });
    advanceTo(h.clock, MDI_100);
    advanceTo(h.clock, 5000);
    h.send({ type: 'TRACK', name: 'chk', ok: false });
    assert.equal(h.state(), 'fault');
    assert.deepEqual(
      h.rec.since(5000).map((c) => [c.action, c.params]),
      [
        ['sendAdvert', { priority: 0, advertIntervalCs: 100 }],
        ['removeVips', undefined],
        ['notify', { state: 'FAULT', priority: 100 }],
      ],
    );
    advanceTo(h.clock, 20_000);
    assert.equal(h.rec.since(5001).length, 0);
  });

  it('reverse weight-0 tracker faults while its check succeeds', () => {
    const h = start({ trackers: [{ name: 'chk', kind: 'script', weight: 0, reverse: true }] });
    h.send({ type: 'TRACK', name: 'chk', ok: true });
    assert.equal(h.state(), 'fault');
    h.send({ type: 'TRACK', name: 'chk', ok: false });
    assert.equal(h.state(), 'backup');
  });

  it('the address owner leaves fault straight to master', () => {
    const h = start({ basePriority: 255 });
    advanceTo(h.clock, 1000);
    h.send({ type: 'LINK', up: false });
    assert.equal(h.state(), 'fault');
    advanceTo(h.clock, 2000);
    h.send({ type: 'LINK', up: true });
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.since(2000).map((c) => c.action),
      ['addVips', 'sendAdvert', 'notify', 'sendGarp'],
    );
  });

  it('adverts are ignored in fault', () => {
    const h = start();
    h.send({ type: 'LINK', up: false });
    h.advertAt(1000, 0);
    h.advertAt(2000, 200);
    assert.equal(h.state(), 'fault');
    assert.equal(h.ctx().masterIp, null);
  });

  it('SHUTDOWN from backup or fault only notifies STOP', () => {
    const h = start();
    h.send({ type: 'SHUTDOWN' });
    assert.equal(h.state(), 'stopped');
    assert.deepEqual(
      h.rec.calls.map((c) => c.action),
      ['notify', 'notify'],
    );
    assert.deepEqual(h.rec.calls[1]?.params, { state: 'STOP', priority: 100 });
  });
});

describe('vrrpInstance: sync group', () => {
  it('SYNC master forces a backup to master at once', () => {
    const h = start();
    advanceTo(h.clock, 1000);
    h.send({ type: 'SYNC', state: 'master' });
    assert.equal(h.state(), 'master');
    assert.deepEqual(
      h.rec.since(1000).map((c) => c.action),
      ['addVips', 'sendAdvert', 'notify', 'sendGarp'],
    );
  });

  it('SYNC fault forces master to fault (priority-0 advert, VIPs removed); SYNC backup releases it', () => {
    const h = start();
    advanceTo(h.clock, MDI_100);
    advanceTo(h.clock, 5000);
    h.send({ type: 'SYNC', state: 'fault' });
    assert.equal(h.state(), 'fault');
    assert.equal(h.ctx().syncFault, true);
    assert.deepEqual(
      h.rec.since(5000).map((c) => [c.action, c.params]),
      [
        ['sendAdvert', { priority: 0, advertIntervalCs: 100 }],
        ['removeVips', undefined],
        ['notify', { state: 'FAULT', priority: 100 }],
      ],
    );
    advanceTo(h.clock, 6000);
    h.send({ type: 'SYNC', state: 'backup' });
    assert.equal(h.state(), 'backup');
    advanceTo(h.clock, 6000 + MDI_100);
    assert.equal(h.state(), 'master');
  });

  it('SYNC backup forces a master to backup', () => {
    const h = start();
    advanceTo(h.clock, MDI_100);
    h.send({ type: 'SYNC', state: 'backup' });
    assert.equal(h.state(), 'backup');
    assert.deepEqual(
      h.rec
        .since(MDI_100)
        .map((c) => c.action)
        .slice(-2),
      ['removeVips', 'notify'],
    );
  });

  it('a member with its own fault stays in fault when the group says backup or master', () => {
    const h = start();
    h.send({ type: 'LINK', up: false });
    h.send({ type: 'SYNC', state: 'backup' });
    assert.equal(h.state(), 'fault');
    h.send({ type: 'SYNC', state: 'master' });
    assert.equal(h.state(), 'fault');
  });

  it('announces each state it settles in once, not each advert that re-arms Master_Down_Timer', () => {
    const h = start();
    h.advertAt(1000, 150);
    h.advertAt(2000, 150);
    assert.deepEqual(h.facts, ['backup']);
    advanceTo(h.clock, 2000 + MDI_100);
    h.advertAt(6000, 200);
    h.send({ type: 'LINK', up: false });
    h.send({ type: 'LINK', up: true });
    assert.equal(isStopped(h.actor.getSnapshot()), false);
    h.send({ type: 'SHUTDOWN' });
    assert.deepEqual(h.facts, ['backup', 'master', 'backup', 'fault+own fault', 'backup', 'stopped']);
    assert.equal(isStopped(h.actor.getSnapshot()), true);
  });

  it('held in FAULT by the group, announces a fault of its own that starts, though its state stays', () => {
    const h = start();
    h.send({ type: 'SYNC', state: 'fault' });
    assert.deepEqual(h.facts, ['backup', 'fault'], 'held by the group: no fault of its own');
    h.send({ type: 'LINK', up: false });
    h.send({ type: 'LINK', up: false });
    assert.equal(h.state(), 'fault');
    assert.deepEqual(h.facts, ['backup', 'fault', 'fault+own fault'], 'the own fault is announced once');
    h.send({ type: 'LINK', up: true });
    assert.deepEqual(h.facts, ['backup', 'fault', 'fault+own fault', 'backup'], 'its clearing leads back to backup');
  });

  it('a member held by the group that develops its own fault comes up when that clears', () => {
    const h = start();
    h.send({ type: 'SYNC', state: 'fault' });
    h.send({ type: 'LINK', up: false });
    assert.equal(h.ctx().syncFault, false);
    h.send({ type: 'LINK', up: true });
    assert.equal(h.state(), 'backup');
  });
});
