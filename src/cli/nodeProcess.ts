/**
 * A halo daemon running in a lab namespace, watched through its own log: every `transition`
 * line is recorded, so callers (the demo, e2e tests, the failover benchmark) can wait for a
 * state and read when the node itself says it got there.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HaloError } from '../errors.js';
import type { LabNode } from '../io/net/netnsLab.js';
import { STOP_BOUND_MS } from './signals.js';

export interface Transition {
  node: string;
  actor: string;
  from: string | null;
  to: string;
  event: string;
  /** The daemon's own wall-clock ms for the transition (pino `time`). */
  time: number;
}

export const HALO_MAIN = resolve(fileURLToPath(import.meta.url), '../main.js');

export class NodeProcess {
  proc: ChildProcess | undefined;
  readonly transitions: Transition[] = [];
  readonly errors: string[] = [];
  private readonly current = new Map<string, string>();
  private waiters: Array<{
    actor: string;
    to: string;
    resolve: (t: Transition) => void;
    reject: (err: Error) => void;
  }> = [];

  constructor(
    readonly name: string,
    readonly host: LabNode,
    private readonly args: string[],
    private readonly onTransition: (t: Transition) => void = () => undefined,
    /** Added to the daemon's environment (e.g. HALO_NATS_URL). */
    private readonly env: Record<string, string> = {},
  ) {}

  start(): void {
    this.current.clear();
    const proc = this.host.spawn(process.execPath, [HALO_MAIN, 'run', ...this.args, '--node-name', this.name], {
      env: { ...process.env, ...this.env },
    });
    this.proc = proc;
    const out = createInterface({ input: proc.stdout! });
    out.on('line', (line) => this.onLine(line));
    // Its log ended, so no state it is waited for can come: say so now rather than at the
    // timeout. Unless it was restarted meanwhile: a waiter may be meant for the new run.
    out.on('close', () => {
      if (this.proc === proc) this.failWaiters(`${this.name} exited`);
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => this.errors.push(line));
  }

  private failWaiters(why: string): void {
    const waiters = this.waiters;
    this.waiters = [];
    const stderr = this.errors.slice(-3).join(' | ');
    for (const w of waiters)
      w.reject(
        new HaloError('HALO_E_EXEC', `${why} while waiting for ${w.actor} to reach ${w.to} (stderr: ${stderr})`),
      );
  }

  state(actor: string): string | undefined {
    return this.current.get(actor);
  }

  private onLine(line: string): void {
    let rec: {
      msg?: string;
      actor?: string;
      from?: string | null;
      to?: string;
      event?: string;
      time?: number;
      level?: number;
    };
    try {
      rec = JSON.parse(line);
    } catch {
      return;
    }
    if ((rec.level ?? 0) >= 50) this.errors.push(line);
    if (rec.msg !== 'transition' || !rec.actor || !rec.to) return;
    const t: Transition = {
      node: this.name,
      actor: rec.actor,
      from: rec.from ?? null,
      to: rec.to,
      event: rec.event ?? '',
      time: rec.time ?? Date.now(),
    };
    this.transitions.push(t);
    this.current.set(t.actor, t.to);
    this.onTransition(t);
    this.waiters = this.waiters.filter((w) => {
      if (w.actor !== t.actor || w.to !== t.to) return true;
      w.resolve(t);
      return false;
    });
  }

  /** The next transition of `actor` into `to` (or the current state, if it is already there). */
  waitState(actor: string, to: string, timeoutMs: number, opts: { fresh?: boolean } = {}): Promise<Transition> {
    if (!opts.fresh && this.current.get(actor) === to) {
      const last = this.transitions.findLast((t) => t.actor === actor && t.to === to);
      if (last) return Promise.resolve(last);
    }
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const now = this.current.get(actor) ?? 'unknown';
        const stderr = this.errors.slice(-3).join(' | ');
        rej(
          new HaloError(
            'HALO_E_TIMEOUT',
            `${this.name}: ${actor} did not reach ${to} within ${timeoutMs} ms (now ${now}; stderr: ${stderr})`,
            { timeoutMs },
          ),
        );
      }, timeoutMs);
      const waiter = {
        actor,
        to,
        resolve: (t: Transition) => {
          clearTimeout(timer);
          res(t);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          rej(err);
        },
      };
      this.waiters.push(waiter);
    });
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** `ip netns exec` execs node in place, so the signal reaches the daemon itself. */
  async kill(signal: NodeJS.Signals, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (this.proc) await stopChild(this.proc, signal, timeoutMs, `${this.name} (halo run)`);
  }
}

/** The daemon's own bound on its graceful stop, and a margin for it to say why it ran out. */
export const STOP_TIMEOUT_MS = STOP_BOUND_MS + 5_000;

/**
 * Send `signal` and wait for the exit. A child still there after `timeoutMs` is SIGKILLed and the
 * call throws, so a stop that hangs fails with a name instead of waiting forever.
 */
export async function stopChild(
  proc: ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const gone = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  if (gone()) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(true), timeoutMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (!late) return;
  proc.kill('SIGKILL');
  await exited;
  throw new HaloError('HALO_E_TIMEOUT', `${what} did not exit within ${timeoutMs} ms of ${signal}; SIGKILLed it`, {
    pid: proc.pid,
    signal,
    timeoutMs,
  });
}
