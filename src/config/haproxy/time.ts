/** haproxy's time units (configuration.txt 2.5). */
export type TimeUnit = 'us' | 'ms' | 's' | 'm' | 'h' | 'd';

/** Length of each unit in microseconds, the smallest unit, so every conversion is exact. */
export const TIME_UNIT_US: Readonly<Record<TimeUnit, bigint>> = {
  us: 1n,
  ms: 1_000n,
  s: 1_000_000n,
  m: 60_000_000n,
  h: 3_600_000_000n,
  d: 86_400_000_000n,
};

/** haproxy refuses timers of 2^31 ms or more ("timer overflow", parse_time_err PARSE_TIME_OVER). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

/**
 * Parses `<digits>[unit]` into milliseconds like haproxy's parse_time_err (src/tools.c): a bare
 * number is in `bareUnit` (ms for timeouts and check intervals, s for `stats refresh`), a value
 * that is not a whole number of ms is rounded up (`1us` → 1 ms), and results of 2^31 ms or more
 * are refused. haproxy 2.6 only warns about characters after the unit and says it will become
 * an error; halo makes it one now.
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's' = 'ms'): DurationResult {
  const m = /^([0-9]+)([a-z]*)$/.exec(text);
  if (m === null) return { ok: false, error: `'${text}' is not a duration (digits then one of us, ms, s, m, h, d)` };
  const suffix = m[2]!;
  const unit: TimeUnit | undefined = suffix === '' ? bareUnit : isTimeUnit(suffix) ? suffix : undefined;
  if (unit === undefined)
    return { ok: false, error: `unknown time unit '${suffix}' in '${text}' (us, ms, s, m, h, d)` };
  const us = BigInt(m[1]!) * TIME_UNIT_US[unit];
  const ms = (us + 999n) / 1000n;
  if (ms > BigInt(MAX_DURATION_MS)) {
    return { ok: false, error: `timer overflow in '${text}' (maximum is ${MAX_DURATION_MS} ms, about 24.8 days)` };
  }
  return { ok: true, ms: Number(ms) };
}

function isTimeUnit(s: string): s is TimeUnit {
  return Object.hasOwn(TIME_UNIT_US, s);
}
