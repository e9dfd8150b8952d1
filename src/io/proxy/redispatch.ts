/**
 * Which connection retries go to another server (configuration.txt 4.2 "option redispatch
 * <interval>", haproxy >= 1.6). haproxy (2.6+, src/stream.c) numbers the retries from 1 and
 * redispatches retry k when k is a multiple of the period: P for a positive interval P, and
 * `retries + 1 + N` for a negative N, so the default -1 is the last retry only; 0 never does.
 * Whatever the interval, a retry whose server is no longer usable (marked DOWN meanwhile) is
 * redispatched.
 */

export interface RetryState {
  /** 1 for the first retry, up to `retries`. */
  retry: number;
  /** The backend's `retries`. */
  retries: number;
  /** `option redispatch` interval (LbBackendOptions.redispatchInterval). */
  interval: number;
  /** Is the server that just failed still usable? */
  serverUsable: boolean;
}

export function shouldRedispatch(s: RetryState): boolean {
  if (!s.serverUsable) return true;
  if (s.interval === 0) return false;
  // A period below 1 (an interval reaching back before the first retry) means every retry.
  const period = s.interval > 0 ? s.interval : Math.max(1, s.retries + 1 + s.interval);
  return s.retry % period === 0;
}
