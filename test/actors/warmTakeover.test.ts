import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warmTakeover } from '../../src/actors/warmTakeover.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import type { VrrpInstanceInput } from '../../src/machines/vrrp/vrrpInstance.types.js';

const INPUT: VrrpInstanceInput = {
  name: 'VI_1',
  vrid: 51,
  version: 2,
  basePriority: 100,
  advertIntervalCs: 100,
  preempt: true,
  preemptDelayCs: 0,
  initialState: 'BACKUP',
  primaryIp: '192.0.2.10',
  trackers: [],
  garp: { delayCs: 500, repeat: 5, refreshCs: 0, refreshRepeat: 1 },
};

test('walks backup → master twice (Master_Down_Interval and Skew_Time) without running one action', () => {
  const ran: string[] = [];
  const record = (name: string) => () => {
    ran.push(name);
  };
  const logic = vrrpInstanceMachine.provide({
    actions: { sendAdvert: record('sendAdvert'), addVips: record('addVips'), removeVips: record('removeVips'), sendGarp: record('sendGarp'), notify: record('notify') },
  });
  assert.deepEqual(warmTakeover(logic, INPUT), ['backup', 'backup', 'master', 'backup', 'backup', 'master']);
  assert.deepEqual(ran, [], 'no VIP, advert, ARP or notify script');
});
