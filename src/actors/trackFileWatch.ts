/**
 * keepalived's track_file: the file holds an integer; its value (× weight) moves priority.
 * Polled once a second and reported on change; an unreadable file reports null.
 */
import { readFile } from 'node:fs/promises';

export function watchTrackFile(path: string, onValue: (value: number | null) => void, intervalMs = 1_000): () => void {
  let last: number | null | undefined;
  const poll = async (): Promise<void> => {
    let value: number | null;
    try {
      const text = (await readFile(path, 'utf8')).trim();
      const n = Number.parseInt(text, 10);
      value = Number.isFinite(n) ? n : null;
    } catch {
      value = null;
    }
    if (value !== last) {
      last = value;
      onValue(value);
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), intervalMs);
  return () => clearInterval(timer);
}
