/**
 * A flood told in a few lines. What can happen once per packet or per connection (a dropped
 * advert, a refused client) is logged in full the first time each key (a drop reason) shows up,
 * then as one summary line per interval with the counts by key and by source. A peer or a client
 * misbehaving at line rate thus costs a few log lines per interval, not one per packet; the exact
 * numbers stay in the counters, which are kept apart from this.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the lines go: a pino Logger fits, so does the proxy worker's relay to the main thread. */
export type LineSink = Record<LogLevel, (obj: Record<string, unknown>, msg: string) => void>;

/** The timer source; tests pass a fake one, as pino takes its `timestamp` function. */
export interface ThrottleTimers {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ThrottledLogOptions {
  level: LogLevel;
  /** The message of every line; the summary appends " (repeats)". */
  msg: string;
  /** Fields on every line, the summary included (the device, the listener). */
  fields?: Record<string, unknown>;
  intervalMs?: number;
  timers?: ThrottleTimers;
}

export interface ThrottledLog {
  /** One occurrence; `fields` reach the log only if this occurrence is the one logged in full. */
  note(key: string, fields: Record<string, unknown>, source?: string): void;
  /** Writes the pending summary, if any, and stops the timer. */
  close(): void;
}

/** One summary line per interval and key set: a burst shows within this long. */
const THROTTLE_INTERVAL_MS = 10_000;
/** Full lines (new keys) per interval at most; more new keys wait for the summary. */
const FULL_LINES_PER_INTERVAL = 5;
/** Sources named in a summary at most; the occurrences from others are summed. */
const SOURCES_LISTED = 10;
/** Keys named in a summary at most (a key built from a peer's input must not make one line huge). */
const KEYS_LISTED = 32;

const nodeTimers: ThrottleTimers = {
  // Unref'd: a pending summary never keeps the process alive.
  setTimeout: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function throttledLog(sink: LineSink, opts: ThrottledLogOptions): ThrottledLog {
  const write = sink[opts.level];
  const intervalMs = opts.intervalMs ?? THROTTLE_INTERVAL_MS;
  const timers = opts.timers ?? nodeTimers;
  /** Keys logged in full and seen again since: their occurrences go to the summary. */
  const shown = new Set<string>();
  let fullLines = 0;
  let repeats = new Map<string, number>();
  let bySource = new Map<string, number>();
  let otherSources = 0;
  let otherKeys = 0;
  let timer: unknown;

  const summarize = (): boolean => {
    if (repeats.size === 0 && otherKeys === 0) return false;
    const summary: Record<string, unknown> = { ...opts.fields, repeats: Object.fromEntries(repeats), intervalMs };
    if (bySource.size > 0) summary.sources = Object.fromEntries(bySource);
    if (otherSources > 0) summary.otherSources = otherSources;
    if (otherKeys > 0) summary.otherKeys = otherKeys;
    write.call(sink, summary, `${opts.msg} (repeats)`);
    repeats = new Map();
    bySource = new Map();
    otherSources = 0;
    otherKeys = 0;
    return true;
  };

  // An interval with repeats ends in a summary and starts the next; a quiet one forgets the
  // keys, so the next burst is logged in full again at once.
  const tick = (): void => {
    fullLines = 0;
    if (summarize()) {
      timer = timers.setTimeout(tick, intervalMs);
      return;
    }
    shown.clear();
    timer = undefined;
  };

  return {
    note(key, fields, source) {
      if (timer === undefined) timer = timers.setTimeout(tick, intervalMs);
      if (!shown.has(key) && fullLines < FULL_LINES_PER_INTERVAL) {
        shown.add(key);
        fullLines++;
        write.call(sink, { ...opts.fields, ...fields }, opts.msg);
        return;
      }
      const repeated = repeats.get(key);
      if (repeated !== undefined) repeats.set(key, repeated + 1);
      else if (repeats.size < KEYS_LISTED) repeats.set(key, 1);
      else otherKeys++;
      if (source === undefined) return;
      const count = bySource.get(source);
      if (count !== undefined) bySource.set(source, count + 1);
      else if (bySource.size < SOURCES_LISTED) bySource.set(source, 1);
      else otherSources++;
    },
    close() {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      summarize();
      shown.clear();
      fullLines = 0;
    },
  };
}
