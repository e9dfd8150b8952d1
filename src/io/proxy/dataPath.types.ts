/**
 * The contract between the load balancer's control plane (health actors, VIP presence, on the
 * main thread) and its data path (listeners and sessions, in a worker thread or in-process in
 * tests). Everything here is structured-clone safe: it crosses a worker boundary as is.
 */
import type { MetricName } from '../metricName.js';
import type { AdminState } from '../../machines/lb/serverHealth.types.js';
import type { LogLevel } from '../throttledLog.js';

export type CounterLabels = Record<string, string | number>;

/** What the control plane tells the data path about one server (only the fields that changed). */
export interface ServerUpdate {
  backend: string;
  server: string;
  up?: boolean;
  admin?: AdminState;
  weight?: number;
}

/** VIP-managed addresses and those this node holds now; a bind on a managed address listens only while held. */
export interface VipView {
  managed: string[];
  present: string[];
}

/** What the data path reports back. */
export interface DataPathEvents {
  /** A live connection attempt to a server failed (`ok: false`) or succeeded after failures (observe layer4). */
  passive(backend: string, server: string, ok: boolean, reason: string): void;
  count(name: MetricName, labels: CounterLabels, by: number): void;
  log(level: LogLevel, obj: Record<string, unknown>, msg: string): void;
  /** A listener started or stopped accepting. */
  listening(frontend: string, host: string, port: number, on: boolean): void;
}

export interface DataPath {
  /** Settles once every bind that does not wait for a VIP listens; rejects with HALO_E_LISTEN if one cannot. */
  readonly ready: Promise<void>;
  updateServer(update: ServerUpdate): void;
  setVip(address: string, present: boolean): void;
  /** Stop accepting and close every session. */
  stop(): Promise<void>;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'server'; update: ServerUpdate }
  | { type: 'vip'; address: string; present: boolean }
  | { type: 'stop' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready'; error: { message: string; context: Record<string, unknown> } | null }
  | { type: 'passive'; backend: string; server: string; ok: boolean; reason: string }
  | { type: 'counters'; entries: Array<[MetricName, CounterLabels, number]> }
  | { type: 'log'; level: LogLevel; obj: Record<string, unknown>; msg: string }
  | { type: 'listening'; frontend: string; host: string; port: number; on: boolean }
  | { type: 'stopped' };
