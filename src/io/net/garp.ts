/**
 * Gratuitous ARP for a VIP after it moves here (RFC 5798 §6.4.2: "broadcast a gratuitous ARP
 * request containing the virtual router MAC address for each IP address associated with the
 * virtual router"). iputils `arping -U` sends what keepalived sends, but paces its packets 1 s
 * apart and lingers that long after the last one, so it runs detached and is never awaited:
 * the VRRP state change must not wait for it. A run can be cancelled (garpAnnouncer.ts does it
 * when the node leaves master). Failures are logged and counted, never thrown.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { spawnDying } from '../childLifetime.js';
import type { Logger } from '../log.js';

/** arping runs: started, finished with exit 0, failed (could not start, or exit ≠ 0), and cancelled. */
export const garpStats = { started: 0, sent: 0, failed: 0, cancelled: 0 };

/** Enough of arping's stderr to say why it failed. */
const STDERR_KEEP = 1024;

/** One arping run: cancel() stops it before it starts or kills it while it sends. */
export interface GarpSend {
  cancel(): void;
}

/**
 * Send `count` gratuitous ARPs for `address` on `dev`, 1 s apart (arping's fixed pacing; keepalived
 * sends its garp_master_repeat burst back to back). Returns at once; `onEnd` runs once the run
 * is over, however it ended.
 */
export function sendGarp(
  dev: string,
  address: string,
  count: number,
  log: Logger,
  onEnd: () => void = () => undefined,
): GarpSend {
  garpStats.started++;
  let child: ChildProcess | undefined;
  let cancelled = false;
  // fork+exec costs ~2 ms of event loop: do it after the caller's turn (the advert that
  // announced mastership goes out first), one spawn per loop iteration.
  const pending = setImmediate(() => {
    child = runArping(dev, address, Math.max(1, Math.floor(count)), log, () => cancelled, onEnd);
  });
  return {
    cancel() {
      if (cancelled) return;
      cancelled = true;
      if (child === undefined) {
        clearImmediate(pending);
        garpStats.cancelled++;
        onEnd();
      } else if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    },
  };
}

function runArping(
  dev: string,
  address: string,
  count: number,
  log: Logger,
  cancelled: () => boolean,
  onEnd: () => void,
): ChildProcess {
  let stderr = '';
  let failed = false;
  const fail = (msg: string, detail: Record<string, unknown>): void => {
    if (failed) return;
    failed = true;
    garpStats.failed++;
    log.warn({ dev, address, ...detail }, msg);
  };

  // Its own process group, so a signal aimed at the daemon's group does not cut a send short;
  // but it dies with the daemon, whose VIPs go with it (childLifetime.ts).
  const argv = ['arping', '-U', '-c', String(count), '-I', dev, address] as const;
  const child = spawnDying(argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += d.toString().slice(0, STDERR_KEEP - stderr.length);
  });
  child.on('error', (err) => {
    fail('gratuitous ARP failed to start', { err: err.message });
    if (child.pid === undefined) onEnd();
  });
  child.on('close', (code, signal) => {
    if (child.pid === undefined) return; // a spawn error, reported above
    onEnd();
    if (cancelled()) {
      garpStats.cancelled++;
      log.debug({ dev, address }, 'gratuitous ARP cancelled');
    } else if (code === 0) {
      garpStats.sent++;
      log.debug({ dev, address, count }, 'gratuitous ARP sent');
    } else {
      fail('gratuitous ARP failed', { exitCode: code, signal, stderr: stderr.trim() });
    }
  });
  // Never keep the daemon alive just to hear how arping ended (a piped stdio stream is a net.Socket).
  child.unref();
  (child.stderr as Socket).unref();
  return child;
}
