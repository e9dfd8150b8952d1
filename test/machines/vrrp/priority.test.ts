import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advertWins, effectivePriority, ipv4ToUint } from '../../../src/machines/vrrp/priority.js';
import type { TrackedInput } from '../../../src/machines/vrrp/vrrpInstance.types.js';

type T = TrackedInput & { ok: boolean; value?: number };
const script = (weight: number, ok: boolean, reverse = false): T => ({
  name: 's',
  kind: 'script',
  weight,
  ok,
  reverse,
});
const file = (weight: number, value: number, reverse = false): T => ({
  name: 'f',
  kind: 'file',
  weight,
  ok: value === 0,
  value,
  reverse,
});

describe('effectivePriority (keepalived vrrp_track.c / track_file.c)', () => {
  const table: Array<[string, number, T[], number, boolean]> = [
    ['no trackers', 100, [], 100, false],
    ['weight > 0 adds while OK', 100, [script(20, true)], 120, false],
    ['weight > 0 adds nothing while failing', 100, [script(20, false)], 100, false],
    ['weight < 0 subtracts while failing', 100, [script(-30, false)], 70, false],
    ['weight < 0 changes nothing while OK', 100, [script(-30, true)], 100, false],
    ['weight 0 failing is a fault', 100, [script(0, false)], 100, true],
    ['weight 0 OK is fine', 100, [script(0, true)], 100, false],
    ['reverse weight > 0 subtracts while OK', 100, [script(20, true, true)], 80, false],
    ['reverse weight < 0 adds while failing', 100, [script(-30, false, true)], 130, false],
    ['reverse weight 0 faults while OK', 100, [script(0, true, true)], 100, true],
    ['reverse weight 0 is fine while failing', 100, [script(0, false, true)], 100, false],
    ['clamped to 254 at the top', 250, [script(20, true)], 254, false],
    ['clamped to 1 at the bottom', 10, [script(-50, false)], 1, false],
    ['the owner keeps 255 whatever the weights', 255, [script(-50, false)], 255, false],
    ['the owner still faults on a weight-0 tracker', 255, [script(0, false)], 255, true],
    ['track_file: value × weight', 100, [file(10, 3)], 130, false],
    ['track_file: negative product', 100, [file(-10, 3)], 70, false],
    ['track_file: reverse negates', 100, [file(10, 3, true)], 70, false],
    ['track_file: contribution capped at 253', 1, [file(100, 100)], 254, false],
    ['track_file: -254 or below is a fault', 100, [file(-127, 2)], 100, true],
    ['track_file: -253 is not a fault', 254, [file(-253, 1)], 1, false],
    ['track_file: weight 0, non-zero value is a fault', 100, [file(0, 7)], 100, true],
    ['track_file: weight 0, zero is fine', 100, [file(0, 0)], 100, false],
    ['track_file: weight 0 reverse, zero is a fault', 100, [file(0, 0, true)], 100, true],
    ['several trackers add up', 100, [script(20, true), script(-30, false), file(5, 2)], 100, false],
  ];
  for (const [name, base, trackers, priority, fault] of table) {
    it(name, () => {
      const r = effectivePriority(base, trackers);
      assert.equal(r.priority, priority);
      assert.equal(r.fault, fault);
      assert.equal(r.reasons.length > 0, fault);
    });
  }

  it('names the failing trackers in the fault reasons', () => {
    const r = effectivePriority(100, [
      { name: 'chk_haproxy', kind: 'script', weight: 0, ok: false },
      { name: 'eth1', kind: 'interface', weight: 0, ok: false },
      { name: 'chk_ok', kind: 'script', weight: 0, ok: true },
    ]);
    assert.deepEqual(r.reasons, ['track_script chk_haproxy', 'track_interface eth1']);
  });
});

describe('advertWins (RFC 5798 6.4.3)', () => {
  it('a higher priority wins, a lower one does not', () => {
    assert.equal(advertWins(101, '192.0.2.1', 100, '192.0.2.200'), true);
    assert.equal(advertWins(99, '192.0.2.250', 100, '192.0.2.1'), false);
  });
  it('equal priority: the higher primary address wins, compared as unsigned 32-bit', () => {
    assert.equal(advertWins(100, '192.0.2.100', 100, '192.0.2.99'), true);
    assert.equal(advertWins(100, '192.0.2.99', 100, '192.0.2.100'), false);
    assert.equal(advertWins(100, '203.0.113.1', 100, '198.51.100.255'), true);
    assert.equal(advertWins(100, '192.0.2.10', 100, '192.0.2.10'), false);
  });
  it('ipv4ToUint covers the whole unsigned range', () => {
    assert.equal(ipv4ToUint('255.255.255.255'), 4294967295);
    assert.equal(ipv4ToUint('128.0.0.0'), 2147483648);
    assert.ok(Number.isNaN(ipv4ToUint('2001:db8::1')));
  });
});
