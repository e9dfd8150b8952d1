/**
 * `halo run` as a real child process on loopback (no namespace): its pino lines are parsed
 * and kept in order, so a test can wait for a log line or a `transition`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HALO_MAIN, STOP_TIMEOUT_MS, stopChild } from '../../src/cli/nodeProcess.js';

export function spawnHaloRun<L extends { msg?: string }>(args: string[], lines: L[]): ChildProcess {
  const halo = spawn(process.execPath, [HALO_MAIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: halo.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as L);
    } catch {
      lines.push({ msg: text } as L);
    }
  });
  halo.stderr!.on('data', (d: Buffer) => lines.push({ msg: `stderr: ${d}` } as L));
  return halo;
}

/** SIGTERM and wait for the exit (the graceful stop a test ends with); nothing if it already exited. */
export async function stopHaloRun(halo: ChildProcess | undefined): Promise<void> {
  if (halo) await stopChild(halo, 'SIGTERM', STOP_TIMEOUT_MS, 'halo run');
}
