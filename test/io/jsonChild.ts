/**
 * A node child that speaks JSON lines: the io tests run their adapters inside lab namespaces
 * (raw sockets, `ip`, /sys and arping all belong to the namespace of the process using them),
 * so each test drives a small fixture script over stdin and reads what it saw on stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LabNode } from '../helpers/netns.js';

export type JsonLine = Record<string, unknown>;

export interface JsonChild {
  child: ChildProcess;
  lines: JsonLine[];
  /** Resolve with the first line (already seen or still to come) that matches. */
  next(match: (line: JsonLine) => boolean, timeoutMs: number): Promise<JsonLine>;
  write(msg: JsonLine): void;
  stderr(): string;
}

/** Path of a compiled fixture next to the compiled test that calls this. */
export function fixturePath(testUrl: string, name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, testUrl));
}

export function spawnJsonChild(node: LabNode, script: string, args: string[]): JsonChild {
  const child = node.spawn('node', [script, ...args]);
  const lines: JsonLine[] = [];
  const waiters = new Set<() => void>();
  let errText = '';
  child.stderr?.on('data', (d: Buffer) => {
    errText += d.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as JsonLine);
    } catch {
      lines.push({ event: 'unparsed', text });
    }
    for (const wake of waiters) wake();
  });
  const next = (match: (line: JsonLine) => boolean, timeoutMs: number): Promise<JsonLine> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match);
        if (!found) return false;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve(found);
        return true;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(
          new Error(`no matching line within ${timeoutMs} ms; lines: ${JSON.stringify(lines)}; stderr: ${errText}`),
        );
      }, timeoutMs);
      waiters.add(wake);
      check();
    });
  return {
    child,
    lines,
    next,
    write: (msg) => child.stdin?.write(`${JSON.stringify(msg)}\n`),
    stderr: () => errText,
  };
}
