/**
 * The one pause halo waits on: resolves after `ms`, or at once when `signal` aborts, so a stop
 * never waits out a backoff. It never rejects: the caller checks `signal.aborted` if it cares.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
