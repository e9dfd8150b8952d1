/**
 * Ends what a crashed run on the same state dir left running. A leftover is found by the
 * HALO_HELPER_OF tag in its environment (childLifetime.ts), not by a list the crashed run kept:
 * the tag is inherited, so it also finds a script's grandchildren and helpers started between
 * the crashed run's last write and its death, and it costs nothing per spawn. A process is
 * ended only if its tag names this state dir AND a daemon that is gone: the tag's pid no longer
 * runs with the tag's start time (so a reused pid still counts as gone). A live daemon's
 * children, and every process without the exact tag, are never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { canTieChildren, OWNER_VAR, parseOwnerTag, processStartTime, tagChildren } from './childLifetime.js';
import type { Logger } from './log.js';

export interface Leftover {
  pid: number;
  /** Its start time when found: the kill is skipped if the pid has since become another process. */
  startTime: number;
  command: string;
  /** The pid of the daemon that started it. */
  ownerPid: number;
}

/** Processes tagged with `stateDir` whose daemon is gone. */
export function findLeftovers(stateDir: string, procRoot = '/proc'): Leftover[] {
  const dir = resolve(stateDir);
  const found: Leftover[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const owner = ownerOf(pid, procRoot);
    if (!owner || owner.stateDir !== dir) continue;
    if (processStartTime(owner.pid, procRoot) === owner.startTime) continue;
    const startTime = processStartTime(pid, procRoot);
    if (startTime === undefined) continue;
    found.push({ pid, startTime, command: commandOf(pid, procRoot), ownerPid: owner.pid });
  }
  return found;
}

/** SIGKILLs the leftovers of crashed runs on `stateDir` and logs each one; returns what it ended. */
export function endLeftovers(stateDir: string, log: Logger, procRoot = '/proc'): Leftover[] {
  const ended: Leftover[] = [];
  for (const l of findLeftovers(stateDir, procRoot)) {
    // The pid may have exited and been reused since it was read: only the same process is killed.
    if (processStartTime(l.pid, procRoot) !== l.startTime) continue;
    try {
      process.kill(l.pid, 'SIGKILL');
      ended.push(l);
    } catch {
      // ESRCH: it ended on its own meanwhile.
    }
  }
  if (ended.length > 0) {
    log.warn(
      { stateDir, ended: ended.map(({ pid, command, ownerPid }) => ({ pid, command, ownerPid })) },
      'ended helpers a crashed run left behind',
    );
  }
  return ended;
}

/**
 * Start-up, before any child: tag every child from now on as this daemon's, end what a crashed
 * run on `stateDir` left behind, and say so if children cannot be tied to the daemon's life.
 */
export function takeChargeOfChildren(stateDir: string, log: Logger): void {
  tagChildren(stateDir);
  endLeftovers(stateDir, log);
  if (!canTieChildren()) {
    log.warn('setpriv (util-linux) not found: helpers outlive a killed daemon until its next start');
  }
}

/** The owner in `pid`'s environment (as it was at exec), or undefined: no tag, or not ours to read. */
function ownerOf(pid: number, procRoot: string) {
  let environ: string;
  try {
    environ = readFileSync(`${procRoot}/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `${OWNER_VAR}=`;
  const entry = environ.split('\0').find((e) => e.startsWith(prefix));
  return entry === undefined ? undefined : parseOwnerTag(entry.slice(prefix.length));
}

function commandOf(pid: number, procRoot: string): string {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return '?';
  }
}
