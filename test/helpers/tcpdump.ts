/** tcpdump inside a lab namespace, line-buffered, for tests that check what went on the wire. */
import type { LabNode } from './netns.js';

export interface Capture {
  /** Resolves once tcpdump says it is listening: frames sent after that are seen. */
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
  const ready = new Promise<void>((resolve) =>
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    }),
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { ready, exited, lines: () => out.split('\n').filter((l) => l !== ''), stop: () => proc.kill('SIGTERM') };
}
