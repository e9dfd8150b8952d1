import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldRedispatch } from '../../../src/io/proxy/redispatch.js';

/** Which of retries 1..retries redispatch, for an interval, with the server still usable. */
const redispatched = (retries: number, interval: number): number[] =>
  Array.from({ length: retries }, (_, i) => i + 1).filter((retry) => shouldRedispatch({ retry, retries, interval, serverUsable: true }));

describe('option redispatch <interval>', () => {
  it('follows configuration.txt 4.2: every Pth retry, counted from the end when negative, never with 0', () => {
    const table: Array<[retries: number, interval: number, want: number[]]> = [
      [3, -1, [3]], // the default: the last retry only
      [1, -1, [1]],
      [5, 1, [1, 2, 3, 4, 5]],
      [6, 3, [3, 6]],
      [4, 5, []], // an interval beyond the retries never comes
      [3, -2, [2]], // period retries + 1 + N = 2
      [4, -3, [2, 4]],
      [3, -3, [1, 2, 3]], // period 1
      [3, -9, [1, 2, 3]], // reaches before the first retry: every retry
      [3, 0, []],
    ];
    for (const [retries, interval, want] of table) assert.deepEqual(redispatched(retries, interval), want, `retries ${retries}, interval ${interval}`);
  });

  it('a retry whose server is no longer usable is redispatched whatever the interval', () => {
    for (const interval of [-1, 0, 2]) assert.equal(shouldRedispatch({ retry: 1, retries: 3, interval, serverUsable: false }), true);
  });
});
