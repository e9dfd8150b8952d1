/**
 * Runs async jobs strictly one after another. VIP add/del for one instance go through one queue
 * so a quick Master→Backup→Master never lets a late `ip addr del` undo the newer add.
 *
 * A job pushed while the queue is idle starts at once, inside the caller's turn: on takeover the
 * VIP write then goes out before the rest of the transition's work (journal, logs) runs.
 */
export interface SerialQueue {
  push(job: () => Promise<unknown>): void;
  /** Resolves when every job pushed so far has finished. */
  drained(): Promise<void>;
}

export function createSerialQueue(onError: (err: unknown) => void): SerialQueue {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  const settle = (p: Promise<unknown>): Promise<void> =>
    p
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        pending--;
      });
  const start = (job: () => Promise<unknown>): Promise<unknown> => {
    try {
      return job();
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    push(job) {
      pending++;
      tail = pending === 1 ? settle(start(job)) : settle(tail.then(() => start(job)));
    },
    drained: () => tail,
  };
}
