/**
 * Which connection retries go to another server once `option redispatch` is on (configuration.txt
 * 4.2 "option redispatch <interval>"; haproxy's stream_choose_redispatch, include/haproxy/stream.h).
 * A retry is redispatched when any of these holds:
 *  - the server that failed is no longer usable (marked DOWN meanwhile);
 *  - the backend has more than one usable active server and its algorithm is not a hash
 *    (`balance source`): haproxy does not care which server then, so it leaves at once;
 *  - retry k (numbered from 1) is a multiple of the period: P for a positive interval P,
 *    `retries + 1 + N` for a negative N (the default -1: the last retry only).
 * `option redispatch 0` turns the option off altogether (cfgparse-listen.c), so it never gets here.
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
  /** Usable non-backup servers in the backend, the failed one included if still usable (haproxy srv_act). */
  activeServers: number;
  /** The algorithm maps a client to one server (`balance source`): another pick would land there again. */
  hashed: boolean;
}

export function shouldRedispatch(s: RetryState): boolean {
  if (!s.serverUsable) return true;
  if (s.activeServers > 1 && !s.hashed) return true;
  if (s.interval === 0) return false;
  // A period below 1 (an interval reaching back before the first retry) means every retry.
  const period = s.interval > 0 ? s.interval : Math.max(1, s.retries + 1 + s.interval);
  return s.retry % period === 0;
}
