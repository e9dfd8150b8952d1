/**
 * Runs async jobs strictly one after another. VIP add/del for one instance go through one queue
 * so a quick Master→Backup→Master never lets a late `ip addr del` undo the newer add.
 */
export interface SerialQueue {
  push(job: () => Promise<unknown>): void;
  /** Resolves when every job pushed so far has finished. */
  drained(): Promise<void>;
}

export function createSerialQueue(onError: (err: unknown) => void): SerialQueue {
  let tail: Promise<void> = Promise.resolve();
  return {
    push(job) {
      tail = tail.then(job).then(
        () => undefined,
        (err: unknown) => onError(err),
      );
    },
    drained: () => tail,
  };
}
