import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldRedispatch } from '../../../src/io/proxy/redispatch.js';

/** Which of retries 1..retries redispatch, for an interval, with the server still usable. */
const redispatched = (retries: number, interval: number): number[] =>
  Array.from({ length: retries }, (_, i) => i + 1).filter((retry) =>
    shouldRedispatch({ retry, retries, interval, serverUsable: true, activeServers: 1, hashed: false }),
  );

describe('option redispatch <interval>', () => {
  it(
    'with one active server, follows configuration.txt 4.2: every Pth retry, ' + 'counted from the end when negative',
    () => {
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
      ];
      for (const [retries, interval, want] of table)
        assert.deepEqual(redispatched(retries, interval), want, `retries ${retries}, interval ${interval}`);
    },
  );

  it('a retry whose server is no longer usable is redispatched whatever the interval', () => {
    for (const interval of [-1, 2, 9])
      assert.equal(
        shouldRedispatch({ retry: 1, retries: 3, interval, serverUsable: false, activeServers: 1, hashed: true }),
        true,
      );
  });

  it('several active servers and no hash: every retry leaves at once, as haproxy stream_choose_redispatch does', () => {
    const at = (activeServers: number, hashed: boolean) =>
      shouldRedispatch({ retry: 1, retries: 3, interval: -1, serverUsable: true, activeServers, hashed });
    assert.equal(at(2, false), true);
    assert.equal(at(2, true), false, 'balance source would pick the same server again: wait for the interval');
    assert.equal(at(1, false), false, 'the only active server: wait for the interval (a backup may take it then)');
  });
});
