/**
 * VRRP timer formulas (pure). Results are exact: keepalived keeps its timers in microseconds
 * (TIMER_HZ = 1 000 000) and truncates the skew to whole microseconds, so we compute the same
 * integer microseconds and only then convert. Master_Down_Interval for v2, priority 100, 1 s
 * adverts is therefore 3609.375 ms (360.9375 cs), not a value rounded to cs or ms.
 *
 * The statecharts use these in ms with the fraction kept, and both clocks honour it:
 * `SimulatedClock` in tests, and in the daemon the node's precise clock, which finishes each
 * VRRP timer against performance.now() (sub-millisecond) and fires it once that reading has
 * reached origin + delay, never before.
 */

const US_PER_CS = 10_000;
const US_PER_MS = 1_000;
const US_PER_S = 1_000_000;

/**
 * RFC 3768 6.1 (v2): Skew_Time = (256 - Priority) / 256 seconds, independent of the advert
 * interval. RFC 5798 6.1 (v3): Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256
 * centiseconds. keepalived (vrrp.h VRRP_TIMER_SKEW_CALC) computes the v3 form as
 * pri * interval_cs * 625 / 16 µs, i.e. the same value, truncated to µs.
 */
function skewTimeUs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  const weight = 256 - priority;
  return version === 3 ? Math.floor((weight * advertIntervalCs * 625) / 16) : Math.floor((weight * US_PER_S) / 256);
}

/**
 * RFC 3768 6.1 / RFC 5798 6.1: Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time
 * (v3: 3 * Master_Adver_Interval, the interval learned from the master; RFC 5798 6.4.2).
 * keepalived's VRRP_MS_DOWN_TIMER uses down_timer_adverts (default and strict-mode value 3).
 */
function masterDownIntervalUs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  return 3 * advertIntervalCs * US_PER_CS + skewTimeUs(priority, advertIntervalCs, version);
}

export function skewTimeCs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  return skewTimeUs(priority, advertIntervalCs, version) / US_PER_CS;
}

export function masterDownIntervalCs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  return masterDownIntervalUs(priority, advertIntervalCs, version) / US_PER_CS;
}

/** The same values in ms for xstate delays, converted once from µs so no rounding creeps in. */
export function skewTimeMs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  return skewTimeUs(priority, advertIntervalCs, version) / US_PER_MS;
}

export function masterDownIntervalMs(priority: number, advertIntervalCs: number, version: 2 | 3): number {
  return masterDownIntervalUs(priority, advertIntervalCs, version) / US_PER_MS;
}
