/**
 * Children that die with the daemon, even on kill -9. A helper that only reads its stdin (`ip
 * -batch`) sees EOF when the daemon goes, but one that only writes on events (`ip monitor`, a
 * background `arping`, a check script stuck in a sleep) would live on until its next write. So
 * each one is started through util-linux `setpriv --pdeathsig KILL`, which asks the kernel
 * (prctl PR_SET_PDEATHSIG) to SIGKILL it when its parent goes, then execs the command in place:
 * same pid, same priorities, same exit status. The signal fires when the *thread* that forked
 * exits: Node forks child_process children from the thread that calls spawn, and only the main
 * thread starts children here (the proxy worker thread starts none), so that thread's end is
 * the process's end.
 *
 * A second line of defence for what pdeathsig misses (a daemon gone between fork and prctl, a
 * grandchild of a script, a run without setpriv): every child inherits HALO_HELPER_OF, naming
 * the daemon that started it and its state dir, and the next daemon on that state dir ends the
 * ones whose daemon is gone (leftoverHelpers.ts).
 *
 * Notify scripts are the exception (runCommand's `outlivesDaemon`): as keepalived's, a running
 * one may finish, so it is neither wrapped nor tagged.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The environment variable that tags every child with the daemon that started it. */
export const OWNER_VAR = 'HALO_HELPER_OF';

/** A program and its arguments. */
export type Command = readonly [string, ...string[]];

/** What a tag says: the daemon's pid and start time (so a reused pid is told apart) and its state dir. */
export interface Owner {
  pid: number;
  /** /proc/<pid>/stat field 22, in clock ticks since boot. */
  startTime: number;
  stateDir: string;
}

/** setpriv's absolute path (a check script's clean environment may have no PATH), or null where it is missing. */
const SETPRIV = findExecutable('setpriv', process.env.PATH ?? '');

/** False where util-linux setpriv is missing: children then only have the leftover reaping. */
export function canTieChildren(): boolean {
  return SETPRIV !== null;
}

/** `argv` as a command that the kernel kills when the daemon's main thread (the spawning one) exits. */
export function diesWithDaemon(argv: Command): Command {
  return SETPRIV === null ? [...argv] : [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv];
}

/** child_process.spawn of a command that dies with the daemon; the wrapper costs one exec at spawn, nothing after. */
export function spawnDying(argv: Command, opts: SpawnOptions): ChildProcess {
  const [file, ...args] = diesWithDaemon(argv);
  return spawn(file, args, opts);
}

/**
 * Tags every child started from now on (through process.env, which spawn passes on unless told
 * otherwise) as this daemon's, on `stateDir`.
 */
export function tagChildren(stateDir: string): void {
  const owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? 0, stateDir: resolve(stateDir) };
  process.env[OWNER_VAR] = ownerTag(owner);
}

export function ownerTag(o: Owner): string {
  return `${o.pid}:${o.startTime}:${o.stateDir}`;
}

export function parseOwnerTag(tag: string): Owner | undefined {
  const m = /^(\d+):(\d+):(\/.*)$/.exec(tag);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTime: Number(m[2]), stateDir: m[3]! };
}

/** /proc/<pid>/stat field 22 (start time in ticks since boot), or undefined when the pid is gone. */
export function processStartTime(pid: number, procRoot = '/proc'): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: count from the last ')', which ends it.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(rest[22 - 3]);
  return Number.isInteger(start) ? start : undefined;
}

/**
 * Where execvp would find `file` with this PATH, or null. runCommand asks before wrapping a
 * script: one that cannot run is spawned as is, so Node reports ENOENT/EACCES as it always has
 * rather than setpriv's exit 127.
 */
export function findExecutable(file: string, path: string): string | null {
  const candidates = file.includes('/') ? [file] : path.split(delimiter).map((dir) => join(dir || '.', file));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // Not here: the next PATH entry.
    }
  }
  return null;
}
