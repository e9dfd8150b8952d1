/**
 * Debian's keepalived as a VRRP peer in a lab namespace, for the interop tests and the failover
 * benchmark: a private config and pid files in a temp dir, its console log kept line by line,
 * its state read from its own "(VI_1) Entering MASTER STATE" lines, and the two ways it can go
 * away (graceful SIGTERM, or a crash). Also a watcher for VIP additions (`ip monitor address`),
 * the clock both halo and keepalived are measured by when a takeover must be timed on the wire.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from '../../src/cli/nodeProcess.js';
import { type LabNode, waitFor } from './netns.js';
import { alive } from './processAlive.js';

/** keepalived's graceful stop sends its priority-0 adverts and removes its VIPs: well under this. */
const STOP_MS = 10_000;

export type KeepalivedState = 'MASTER' | 'BACKUP' | 'FAULT';

export interface KeepalivedTransition {
  instance: string;
  to: KeepalivedState;
  /** Our wall-clock ms when the line arrived (keepalived's own stamp has 1 s resolution). */
  time: number;
  line: string;
}

/**
 * keepalived logs why it drops a packet (vrrp.c vrrp_check_packet and friends): "received an
 * invalid passwd!", "advertisement interval mismatch", "Invalid checksum", "ip address
 * associated with VRID ... not present in MASTER advert", "bogus VRRP packet", "invalid ttl".
 */
const DROP_REASON = /invalid|mismatch|bogus|not present|checksum|wrong|unknown auth|ttl/i;
const ENTERING = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/;

export class KeepalivedPeer {
  proc: ChildProcess | undefined;
  readonly lines: string[] = [];
  readonly transitions: KeepalivedTransition[] = [];
  private readonly current = new Map<string, KeepalivedState>();
  private waiters: Array<{ instance: string; to: KeepalivedState; resolve: (t: KeepalivedTransition) => void }> = [];
  private readonly confPath: string;
  private readonly pidFile: string;
  private readonly vrrpPidFile: string;

  /** `dir` is private to this peer (created if missing); the config is written there. */
  constructor(
    readonly name: string,
    readonly host: LabNode,
    readonly dir: string,
    conf: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.confPath = join(dir, 'keepalived.conf');
    this.pidFile = join(dir, 'keepalived.pid');
    this.vrrpPidFile = join(dir, 'vrrp.pid');
    writeFileSync(this.confPath, conf);
  }

  start(): void {
    this.current.clear();
    // -n stay in the foreground (ip netns exec execs in place, so proc.pid is keepalived's
    // parent), -P VRRP only, -R never respawn a dead VRRP child (a crash must stay a crash),
    // -l -D -G detailed log on the console and none to syslog; private pid files.
    this.proc = this.host.spawn('keepalived', [
      '-n',
      '-P',
      '-R',
      '-l',
      '-D',
      '-G',
      '-f',
      this.confPath,
      '-p',
      this.pidFile,
      '-r',
      this.vrrpPidFile,
    ]);
    for (const stream of [this.proc.stdout!, this.proc.stderr!])
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    this.lines.push(line);
    const m = ENTERING.exec(line);
    if (!m) return;
    const t: KeepalivedTransition = { instance: m[1]!, to: m[2] as KeepalivedState, time: Date.now(), line };
    this.transitions.push(t);
    this.current.set(t.instance, t.to);
    this.waiters = this.waiters.filter((w) => {
      if (w.instance !== t.instance || w.to !== t.to) return true;
      w.resolve(t);
      return false;
    });
  }

  state(instance: string): KeepalivedState | undefined {
    return this.current.get(instance);
  }

  /** Log lines in which keepalived says it dropped or distrusted a packet. */
  dropReasons(): string[] {
    return this.lines.filter((l) => DROP_REASON.test(l));
  }

  tail(n = 15): string {
    return this.lines.slice(-n).join('\n');
  }

  /** The next time `instance` enters `to` (or the current state, if it is already there). */
  waitState(
    instance: string,
    to: KeepalivedState,
    timeoutMs: number,
    opts: { fresh?: boolean } = {},
  ): Promise<KeepalivedTransition> {
    if (!opts.fresh && this.current.get(instance) === to) {
      const last = this.transitions.findLast((t) => t.instance === instance && t.to === to);
      if (last) return Promise.resolve(last);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        instance,
        to,
        resolve: (t: KeepalivedTransition) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `${this.name}: keepalived (${instance}) did not enter ${to} within ${timeoutMs} ms; log:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Graceful stop: the VRRP child sends priority-0 adverts and removes its VIPs, then both exit. */
  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc, 'SIGTERM', STOP_MS, `${this.name} (keepalived)`);
  }

  /**
   * A crash: keepalived's VRRP child stops gracefully (priority 0) when its parent dies, so the
   * child is SIGKILLed first, from its pid file; with -R the parent does not respawn it.
   */
  async crash(): Promise<void> {
    const proc = this.proc;
    const child = this.vrrpPid();
    if (child !== undefined && alive(child)) {
      process.kill(child, 'SIGKILL');
      await waitFor(`keepalived's VRRP child ${child} to go after SIGKILL`, () => !alive(child), STOP_MS, 5);
    }
    if (proc) await stopChild(proc, 'SIGKILL', STOP_MS, `${this.name} (keepalived)`);
  }

  private vrrpPid(): number | undefined {
    try {
      return Number.parseInt(readFileSync(this.vrrpPidFile, 'utf8'), 10) || undefined;
    } catch {
      return undefined;
    }
  }
}

export interface AddressWatch {
  /** Resolves once `ip monitor` is listening. */
  ready: Promise<void>;
  /** Wall-clock ms of every addition of the address seen so far. */
  readonly adds: number[];
  /** The first addition at or after `sinceMs`, or a rejection after `timeoutMs`. */
  addedSince(sinceMs: number, timeoutMs: number): Promise<number>;
  close(): void;
}

/** `ip -ts` stamps each event with local wall-clock time to the microsecond. */
function parseIpTimestamp(line: string): number | undefined {
  // ip prints microseconds; Date keeps milliseconds, so the fraction is added back (a truncated
  // stamp would be up to 1 ms early, and failover times are compared to the tenth of a ms).
  const m = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d+)\]/.exec(line);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime() + Number(`0.${m[7]}`) * 1000;
}

/** TEST-NET-2: never one of the lab's own addresses or VIPs. */
const MARKER = '198.51.100.254';

/**
 * Watches `address` being added on the host (`ip -o -ts monitor address` in its namespace); the
 * time is ip's own stamp of the netlink event, so a busy test process does not delay it.
 */
export function watchAddress(host: LabNode, address: string): AddressWatch {
  // ip stamps an event when it reads it, not when the kernel made it: at SCHED_FIFO the stamp
  // does not wait for a CPU while the daemon under test is busy right after its takeover
  // (seen: 2–3.6 ms late at nice 0 on 2 vCPUs, never over 0.32 ms at FIFO).
  const mon = host.spawn('chrt', ['-f', '50', 'ip', '-o', '-ts', 'monitor', 'address']);
  const adds: number[] = [];
  let listeners: Array<() => void> = [];
  let heardMarker = false;
  createInterface({ input: mon.stdout! }).on('line', (line) => {
    if (line.includes('Deleted')) return;
    if (line.includes(`inet ${MARKER}/`)) heardMarker = true;
    if (!line.includes(`inet ${address}/`)) return;
    adds.push(parseIpTimestamp(line) ?? Date.now());
    for (const l of listeners) l();
  });
  // ip monitor prints nothing when it starts listening: a marker address on the namespace's lo,
  // added and removed until the monitor reports it, is the handshake.
  const ready = (async (): Promise<void> => {
    await new Promise((resolve, reject) => {
      mon.once('error', reject);
      mon.once('spawn', resolve);
    });
    await waitFor(
      `ip monitor in ${host.ns} to report a marker address`,
      async () => {
        if (heardMarker) return true;
        await host.exec('ip', ['addr', 'add', `${MARKER}/32`, 'dev', 'lo']);
        await host.exec('ip', ['addr', 'del', `${MARKER}/32`, 'dev', 'lo']);
        return false;
      },
      5_000,
    );
  })();
  return {
    ready,
    adds,
    addedSince(sinceMs, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const t = adds.find((a) => a >= sinceMs);
          if (t === undefined) return false;
          clearTimeout(timer);
          listeners = listeners.filter((l) => l !== listener);
          resolve(t);
          return true;
        };
        const listener = (): void => void check();
        const timer = setTimeout(() => {
          listeners = listeners.filter((l) => l !== listener);
          reject(new Error(`${address} was not added on ${host.ns} within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) listeners.push(listener);
      });
    },
    close: () => {
      mon.kill('SIGKILL');
    },
  };
}
