import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warmTakeover } from '../../src/actors/warmTakeover.js';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import { BASE_INSTANCE } from '../machines/vrrp/instanceInput.js';

test('walks backup → master twice (Master_Down_Interval and Skew_Time) without running one action', () => {
  const ran: string[] = [];
  const record = (name: string) => () => {
    ran.push(name);
  };
  const logic = vrrpInstanceMachine.provide({
    actions: { sendAdvert: record('sendAdvert'), addVips: record('addVips'), removeVips: record('removeVips'), sendGarp: record('sendGarp'), notify: record('notify') },
  });
  assert.deepEqual(warmTakeover(logic, BASE_INSTANCE), ['backup', 'backup', 'master', 'backup', 'backup', 'master']);
  assert.deepEqual(ran, [], 'no VIP, advert, ARP or notify script');
});
