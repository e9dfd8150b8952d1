/**
 * Link state of one interface, as events: keepalived's track_interface and its FAULT state
 * follow IFF_UP && IFF_RUNNING. The first reading comes from /sys (inside `ip netns exec`
 * that is the namespace's own sysfs); changes come from a long-lived `ip -o monitor link`
 * child whose lines are parsed here, restarted after a pause if it dies. Only changes are
 * reported: an MTU or address change on an up link says nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnDying } from '../childLifetime.js';
import type { Logger } from '../log.js';

export interface LinkWatch {
  close(): void;
  current(): boolean;
}

export interface LinkWatchOptions {
  /** Pause before restarting a monitor that died. Default 1000 ms. */
  restartDelayMs?: number;
}

export interface MonitorLine {
  name: string;
  up: boolean;
}

const DEFAULT_RESTART_DELAY_MS = 1000;
/** After the monitor starts, re-read /sys once it has surely subscribed, to catch a change made meanwhile. */
const RESYNC_AFTER_START_MS = 100;
/** The monitor's last stderr bytes kept for the log line when it dies: its last words explain why. */
const STDERR_TAIL = 512;

export function watchLink(
  dev: string,
  onChange: (up: boolean) => void,
  log: Logger,
  opts: LinkWatchOptions = {},
): LinkWatch {
  let up = readLinkUp(dev);
  let closed = false;
  let monitor: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;

  const report = (now: boolean, via: string): void => {
    if (closed || now === up) return;
    up = now;
    log.info({ dev, up, via }, up ? 'link up' : 'link down');
    onChange(up);
  };

  const start = (): void => {
    // It writes only when a link changes, so it would outlive a killed daemon until then.
    const child = spawnDying(['ip', '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'pipe'] });
    monitor = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = parseMonitorLine(line);
      if (parsed?.name === dev) report(parsed.up, 'monitor');
    });
    child.on('spawn', () => {
      timer = setTimeout(() => report(readLinkUp(dev), 'sysfs'), RESYNC_AFTER_START_MS);
    });
    child.on('error', (err) => log.warn({ dev, err: err.message }, 'link monitor failed to start'));
    child.on('close', (code, signal) => {
      if (closed) return;
      log.warn({ dev, exitCode: code, signal, stderr: stderr.trim() }, 'link monitor ended; restarting');
      clearTimeout(timer);
      timer = setTimeout(start, opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS);
    });
  };
  start();

  return {
    current: () => up,
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      monitor?.kill();
    },
  };
}

/**
 * One line of `ip -o monitor link`, e.g.
 * `3: eth0@if4: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 … state LOWERLAYERDOWN …`, or the
 * same prefixed with `Deleted `. Up means administratively UP with carrier (ip prints NO-CARRIER
 * for UP without IFF_RUNNING) and an operational state of UP or UNKNOWN (drivers without one).
 */
export function parseMonitorLine(line: string): MonitorLine | undefined {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/.exec(line);
  if (!m) return undefined;
  const [, deleted, name = '', flagText = ''] = m;
  const state = / state (\S+)/.exec(line)?.[1];
  const flags = new Set(flagText.split(','));
  const up = !deleted && flags.has('UP') && !flags.has('NO-CARRIER') && (state === 'UP' || state === 'UNKNOWN');
  return { name, up };
}

/** /sys/class/net/DEV: operstate `up` (or `unknown`, for drivers that keep none) with carrier 1. */
export function linkUpFromSysfs(operstate: string, carrier: string | undefined): boolean {
  const state = operstate.trim();
  return (state === 'up' || state === 'unknown') && carrier?.trim() === '1';
}

function readLinkUp(dev: string): boolean {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(`/sys/class/net/${dev}/${file}`, 'utf8');
    } catch {
      // No such device, or carrier on an admin-down link (EINVAL): both mean down.
      return undefined;
    }
  };
  const operstate = read('operstate');
  return operstate !== undefined && linkUpFromSysfs(operstate, read('carrier'));
}
