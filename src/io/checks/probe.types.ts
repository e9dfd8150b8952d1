/**
 * What the health probes take and give. ProbeResult is defined beside the server health
 * machine (machines import nothing from io) and re-exported here for the probes.
 */
import type { ProbeResult } from '../../machines/lb/serverHealth.types.js';

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

/**
 * haproxy `option external-check` (configuration.txt 4.2 "external-check command"): the command
 * runs with `<proxy_addr> <proxy_port> <server_addr> <server_port>` and HAPROXY_* variables;
 * exit 0 passes. `dynamicWeight` adds keepalived's MISC_CHECK `misc_dynamic` rule.
 */
export interface ScriptCheck {
  command: string;
  /** PATH for the command (`external-check path`); null = haproxy's default, an empty PATH. */
  path: string | null;
  dynamicWeight: boolean;
  /** First IPv4/IPv6 listener of the proxy, or null in a backend section ("NOT_USED"). */
  proxy: { name: string; id: number; address: string | null; port: number | null };
  /** `weight`: the configured one, which a dynamic-weight check's exit 0 restores (keepalived check_misc.c). */
  server: { name: string; id: number; address: string; port: number | null; maxconn: number; weight: number };
  /** HAPROXY_SERVER_CURCONN when the wiring can tell; the variable is left out otherwise. */
  currentConnections?: () => number;
}

/** One ICMP echo per check, to `host` (haproxy has no ICMP check; keepalived users ping). */
export interface IcmpPinger {
  ping(host: string, signal: AbortSignal): Promise<ProbeResult>;
  /** Close the raw socket; pending pings settle as failed. */
  close(): void;
}
