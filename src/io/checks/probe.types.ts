/**
 * What the health probes take and give. ProbeResult is defined beside the server health
 * machine (machines import nothing from io) and re-exported here for the probes.
 */
export type { ProbeReason, ProbeResult } from '../../machines/lb/serverHealth.types.js';

export interface TcpTarget {
  host: string;
  port: number;
  /** Local address to connect from (haproxy `source`). */
  source?: string;
}

/** haproxy `http-check expect [!] <kind> <value>`. */
export interface HttpExpect {
  kind: 'status' | 'rstatus' | 'string' | 'rstring';
  value: string;
  negate: boolean;
}

/** haproxy `option httpchk [<method> <uri> [<version>]]` plus an optional Host header. */
export interface HttpCheck {
  method: string;
  uri: string;
  version: string;
  host?: string;
  expect?: HttpExpect;
}

export interface MysqlTarget {
  host: string;
  port: number;
  /** When set, connect through this unix socket instead of TCP. */
  socketPath?: string;
}

export interface MysqlCheckOptions {
  user: string;
  password?: string;
  database?: string;
  /** Default 'SELECT 1'. */
  query?: string;
  /** 1: healthy only if read_only is ON (a replica); 0: only if OFF (a writable primary). */
  requireReadOnly?: 0 | 1;
  /** Healthy only if the replica's Seconds_Behind_Master is at most this. */
  maxReplicaLagS?: number;
  /** Galera: healthy only if wsrep_local_state is 4 (Synced). */
  requireWsrepSynced?: boolean;
  connectTimeoutMs: number;
}
