import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  masterDownIntervalCs,
  masterDownIntervalMs,
  skewTimeCs,
  skewTimeMs,
} from '../../../src/machines/vrrp/timers.js';

describe('VRRP timers', () => {
  // [priority, advertIntervalCs, version, skew cs, master down cs]
  const table: Array<[number, number, 2 | 3, number, number]> = [
    // RFC 3768 6.1: (256 - 100) / 256 s = 0.609375 s, independent of the interval.
    [100, 100, 2, 60.9375, 360.9375],
    [100, 300, 2, 60.9375, 960.9375],
    // 2/256 s = 7812.5 µs → 7812 µs.
    [254, 100, 2, 0.7812, 300.7812],
    // 255: 1/256 s = 3906.25 µs, truncated to 3906 µs as keepalived's integer µs do.
    [255, 100, 2, 0.3906, 300.3906],
    [1, 100, 2, 99.6093, 399.6093],
    // RFC 5798 6.1: ((256 - 100) × 100 cs) / 256 = 60.9375 cs.
    [100, 100, 3, 60.9375, 360.9375],
    [100, 50, 3, 30.4687, 180.4687],
    [200, 1, 3, 0.2187, 3.2187],
    [150, 4095, 3, 1695.5859, 13980.5859],
  ];
  for (const [prio, adv, version, skew, mdi] of table) {
    it(`v${version} priority ${prio}, interval ${adv} cs: skew ${skew} cs, Master_Down_Interval ${mdi} cs`, () => {
      assert.equal(skewTimeCs(prio, adv, version), skew);
      assert.equal(masterDownIntervalCs(prio, adv, version), mdi);
      assert.equal(skewTimeMs(prio, adv, version), Math.round(skew * 10_000) / 1000);
      assert.equal(masterDownIntervalMs(prio, adv, version), Math.round(mdi * 10_000) / 1000);
    });
  }

  it('the example in the brief: v2 priority 100 at 1 s gives 3609.375 ms', () => {
    assert.equal(masterDownIntervalMs(100, 100, 2), 3609.375);
  });

  it('a higher priority always has the shorter skew, so it wins the race to MASTER', () => {
    for (const version of [2, 3] as const) {
      for (let p = 1; p < 255; p++) assert.ok(skewTimeCs(p + 1, 100, version) < skewTimeCs(p, 100, version));
    }
  });
});
