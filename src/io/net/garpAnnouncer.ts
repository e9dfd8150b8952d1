/**
 * The gratuitous ARPs of one VRRP instance while it is master. Each burst is one arping per VIP
 * (see garp.ts); stop() kills every run still sending and ignores later bursts, so a node that
 * has given its VIPs up stops pulling clients back at once: arping paces its packets 1 s apart,
 * so a burst of 5 outlives a quick failback or a partition that heals.
 */
import type { Logger } from '../log.js';
import { type GarpSend, sendGarp } from './garp.js';

export interface GarpTarget {
  dev: string;
  address: string;
}

export interface GarpAnnouncer {
  /** `repeat` GARPs for every target; nothing after stop(). */
  burst(repeat: number): void;
  stop(): void;
}

export function createGarpAnnouncer(targets: GarpTarget[], log: Logger): GarpAnnouncer {
  const running = new Set<GarpSend>();
  let stopped = false;
  return {
    burst(repeat) {
      if (stopped) return;
      for (const { dev, address } of targets) {
        const send = sendGarp(dev, address, repeat, log, () => running.delete(send));
        running.add(send);
      }
    },
    stop() {
      stopped = true;
      for (const send of running) send.cancel();
      running.clear();
    },
  };
}
