/**
 * Processes by parent, read from /proc: the tests that kill a daemon with -9 capture its
 * children first, then wait for those pids (never names) to be gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OWNER_VAR } from '../../src/io/childLifetime.js';
import { sleep } from '../../src/io/sleep.js';
import { alive } from './processAlive.js';

export interface ProcEntry {
  pid: number;
  comm: string;
}

export function childrenOf(parent: number): ProcEntry[] {
  const found: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === parent) found.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return found;
}

/** Polls until `ready` holds for the children of `parent`; fails naming `what` after `timeoutMs`. */
export async function waitForChildren(
  parent: number,
  ready: (c: ProcEntry[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ProcEntry[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = childrenOf(parent);
    if (ready(c)) return c;
    if (Date.now() > until)
      throw new Error(`${what} not seen within ${timeoutMs} ms (children of ${parent}: ${JSON.stringify(c)})`);
    await sleep(20);
  }
}

/**
 * Those of `procs` still running after `timeoutMs` (empty when all went in time). They are
 * then SIGKILLed, so a failing test leaves nothing behind.
 */
export async function survivors(procs: ProcEntry[], timeoutMs: number): Promise<ProcEntry[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = procs.filter((p) => alive(p.pid));
    if (left.length === 0 || Date.now() > until) {
      for (const p of left) process.kill(p.pid, 'SIGKILL');
      return left;
    }
    await sleep(20);
  }
}

/**
 * Starts test/io/fixtures/childStarter in `mode`, waits for its child named `comm`, kills the
 * stand-in daemon with SIGKILL and returns its children still running `graceMs` later (then killed).
 */
export async function leftAfterKill9(mode: string, comm: string, graceMs = 2_000): Promise<ProcEntry[]> {
  const script = fileURLToPath(new URL('../io/fixtures/childStarter.js', import.meta.url));
  const daemon = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = daemon.pid!;
  const exited = new Promise((r) => daemon.once('exit', r));
  try {
    await new Promise<void>((resolve, reject) => {
      daemon.stdout!.once('data', () => resolve());
      daemon.once('exit', (code) => reject(new Error(`stand-in daemon (${mode}) exited with ${code} before ready`)));
    });
    const children = await waitForChildren(
      pid,
      (c) => c.some((p) => p.comm === comm),
      5_000,
      `${mode}: a ${comm} child`,
    );
    daemon.kill('SIGKILL');
    await exited;
    return await survivors(children, graceMs);
  } finally {
    daemon.kill('SIGKILL');
  }
}

/** A `sleep 600` standing in for a helper, with `tag` (or, undefined, no tag) as its HALO_HELPER_OF. */
export function taggedSleep(tag: string | undefined): ChildProcess {
  const env = { ...process.env };
  delete env[OWNER_VAR];
  if (tag !== undefined) env[OWNER_VAR] = tag;
  return spawn('sleep', ['600'], { env, stdio: 'ignore' });
}
