/**
 * One long-lived `ip -force -batch -` per daemon, fed a line per command. A VIP change is then
 * a pipe write (microseconds) instead of a fork+exec of `ip` (milliseconds, and the fork blocks
 * the event loop in front of the advert being sent) — that fork was most of halo's lag behind
 * keepalived's in-process netlink on takeover.
 *
 * `ip` says nothing on success, so each command is followed by a marker command that always
 * fails (`link show dev <absent>`): its "Command failed -:N" line on stderr, which is written
 * in order with the real command's error, tells that the command before it is done.
 */
import { type ChildProcessWithoutNullStreams, execFile } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { spawnDying } from '../childLifetime.js';

export type IpOutcome = { ok: true; stdout: string } | { ok: false; stderr: string; cause: unknown };

const MARKER = 'link show dev halo-no-such';
/** A read through netlink that prints nothing (loopback has no neighbours) and changes nothing. */
const WARM_UP = ['neigh', 'show', 'dev', 'lo'];
const FAILED = /^Command failed -:(\d+)$/;
const TIMEOUT_MS = 5_000;

interface Pending {
  line: number;
  errors: string[];
  failed: boolean;
  timer: NodeJS.Timeout;
  resolve: (o: IpOutcome) => void;
}

export interface IpBatch {
  run(args: string[]): Promise<IpOutcome>;
  /**
   * Sends `ip` a command that changes nothing and says nothing, so the pipe, the helper and its
   * netlink socket are warm for a command that is about to matter (a VIP on takeover).
   */
  warm(): void;
  close(): void;
}

export interface IpBatchOptions {
  /** Nice value for the `ip` process (it is spawned before the daemon raises its own). */
  nice?: number;
  /**
   * SCHED_FIFO priority for the `ip` process (`chrt -f -p`). A pipe write wakes the reader on the
   * writer's CPU, where the daemon goes on with its takeover: at an equal nice, `ip` waits for the
   * daemon's turn to end before it adds the VIP; at FIFO it runs at once. It only ever blocks on
   * its stdin, so it cannot hog a CPU.
   */
  fifo?: number;
  /** Told when a priority cannot be set (no CAP_SYS_NICE, no chrt): ip then runs at the daemon's. */
  onPriorityError?: (message: string) => void;
}

export function openIpBatch(opts: IpBatchOptions = {}): IpBatch {
  let proc: ChildProcessWithoutNullStreams | undefined;
  let line = 0;
  let closed = false;
  /** By the command's line number; its marker is line + 1. */
  const pending = new Map<number, Pending>();
  let stderrLines: string[] = [];

  const failAll = (why: string): void => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, stderr: why, cause: new Error(why) });
    }
    pending.clear();
  };

  const onStderr = (text: string): void => {
    const m = FAILED.exec(text);
    if (!m) {
      stderrLines.push(text);
      return;
    }
    const n = Number(m[1]);
    const own = pending.get(n);
    if (own) {
      own.failed = true;
      own.errors = stderrLines;
    } else {
      const done = pending.get(n - 1);
      if (done) {
        pending.delete(n - 1);
        clearTimeout(done.timer);
        done.resolve(
          done.failed
            ? { ok: false, stderr: done.errors.join('\n'), cause: new Error(done.errors.join('\n')) }
            : { ok: true, stdout: '' },
        );
      }
    }
    stderrLines = [];
  };

  const raise = (pid: number): void => {
    try {
      if (opts.nice !== undefined) setPriority(pid, opts.nice);
    } catch (err) {
      opts.onPriorityError?.(`cannot renice ip -batch: ${(err as Error).message}`);
    }
    if (opts.fifo === undefined) return;
    execFile('chrt', ['-f', '-p', String(opts.fifo), String(pid)], (err) => {
      if (err) opts.onPriorityError?.(`cannot make ip -batch SCHED_FIFO: ${err.message}`);
    });
  };

  const ensure = (): ChildProcessWithoutNullStreams => {
    if (proc && proc.exitCode === null && proc.signalCode === null) return proc;
    line = 0;
    stderrLines = [];
    // setpriv execs ip in place: the pid raised below is ip's, and FIFO/nice survive the exec.
    const child = spawnDying(['ip', '-force', '-batch', '-'], { stdio: 'pipe' }) as ChildProcessWithoutNullStreams;
    child.stdin.on('error', () => undefined);
    if (child.pid !== undefined) raise(child.pid);
    child.stdout.resume();
    createInterface({ input: child.stderr }).on('line', onStderr);
    child.once('error', (err) => failAll(`ip -batch: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (proc === child) proc = undefined;
      failAll(`ip -batch exited (${signal ?? code})`);
    });
    proc = child;
    return child;
  };

  const run = (args: string[]): Promise<IpOutcome> => {
    if (closed) return Promise.resolve({ ok: false, stderr: 'ip batch is closed', cause: new Error('closed') });
    // One batch line per command: an argument with white space cannot be sent this way.
    if (args.some((a) => /\s/.test(a) || a === ''))
      return Promise.resolve({
        ok: false,
        stderr: `unsafe argument in: ${args.join(' ')}`,
        cause: new Error('unsafe'),
      });
    const child = ensure();
    // The write goes first, the bookkeeping after: on takeover this is the VIP on its way,
    // and `ip` answers on a later turn at the earliest.
    child.stdin.write(`${args.join(' ')}\n${MARKER}\n`);
    line += 2;
    const cmdLine = line - 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A stuck `ip` takes every command with it; the next command starts a new one.
        child.kill('SIGKILL');
        failAll(`ip -batch did not answer within ${TIMEOUT_MS} ms`);
      }, TIMEOUT_MS);
      pending.set(cmdLine, { line: cmdLine, errors: [], failed: false, timer, resolve });
    });
  };

  return {
    run,
    warm() {
      // Through run() itself, so the code a VIP change takes is warm too; the outcome is moot.
      void run(WARM_UP);
    },
    close() {
      closed = true;
      failAll('ip batch closed');
      proc?.stdin.end();
      proc = undefined;
    },
  };
}
