import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DURATION_MS, parseDuration } from '../../src/config/haproxy/time.js';

const VALID_DURATIONS: readonly [string, number][] = [
  ['0', 0],
  ['1500', 1500],
  ['1us', 1],
  ['999us', 1],
  ['1000us', 1],
  ['1001us', 2],
  ['250ms', 250],
  ['5s', 5000],
  ['5000s', 5_000_000],
  ['50000s', 50_000_000],
  ['2m', 120_000],
  ['1h', 3_600_000],
  ['1d', 86_400_000],
  ['24d', 2_073_600_000],
  ['2147483647', MAX_DURATION_MS],
  ['2147483s', 2_147_483_000],
];

const OVERFLOWING_DURATIONS: readonly string[] = ['25d', '2147483648', '2147484s', '596524h', '99999999999999999999'];

describe('haproxy time format (configuration.txt 2.5)', () => {
  for (const [text, ms] of VALID_DURATIONS) {
    it(`'${text}' is ${ms} ms`, () => {
      assert.deepEqual(parseDuration(text), { ok: true, ms });
    });
  }

  for (const text of OVERFLOWING_DURATIONS) {
    it(`'${text}' overflows haproxy's 2^31 ms timers`, () => {
      const r = parseDuration(text);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, /timer overflow/);
    });
  }

  for (const text of ['', 's', '-1', '1.5s', '5sx', '5x', '5 s', '5S', ' 5']) {
    it(`'${text}' is refused`, () => {
      assert.equal(parseDuration(text).ok, false);
    });
  }

  it('a bare number is in the unit the keyword documents (seconds for stats refresh)', () => {
    assert.deepEqual(parseDuration('5', 's'), { ok: true, ms: 5000 });
    assert.deepEqual(parseDuration('5ms', 's'), { ok: true, ms: 5 });
  });
});
