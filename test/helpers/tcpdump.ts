/** tcpdump inside a lab namespace, line-buffered, for tests that check what went on the wire. */
import { type LabNode, withTimeout } from './netns.js';

/** tcpdump says it listens within milliseconds; this only bounds a hang. */
const LISTEN_TIMEOUT_MS = 5_000;

export interface Capture {
  /** Resolves once tcpdump says it is listening (frames sent after that are seen); bounded. */
  ready: Promise<void>;
  /** Resolves when tcpdump exits (after `-c N` frames, or stop()). */
  exited: Promise<void>;
  /** The lines printed so far. */
  lines(): string[];
  stop(): void;
}

export function tcpdump(node: LabNode, args: string[]): Capture {
  const proc = node.spawn('tcpdump', ['-n', '-l', ...args]);
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const listening = new Promise<void>((resolve) =>
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    }),
  );
  const ready = withTimeout(listening, LISTEN_TIMEOUT_MS, `tcpdump ${args.join(' ')} in ${node.ns} to listen`);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { ready, exited, lines: () => out.split('\n').filter((l) => l !== ''), stop: () => proc.kill('SIGTERM') };
}

/** VRRP adverts from `tcpdump -tt` lines: the kernel's stamp in epoch ms, and the priority. */
export function advertTimes(lines: string[]): Array<{ t: number; prio: number }> {
  return lines.flatMap((line) => {
    const m = /^(\d+\.\d+) .*prio (\d+)/.exec(line);
    return m ? [{ t: Number(m[1]) * 1000, prio: Number(m[2]) }] : [];
  });
}
