import { readFileSync } from 'node:fs';

/** Running, as opposed to gone or a zombie waiting to be reaped (its /proc state is Z). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
