import type { SourcePos } from '../../errors.js';
import type {
  LbBackendOptions,
  LbBind,
  LbFrontendOptions,
  LbHealthCheck,
  LbHttpExpect,
  LbLog,
  LbMode,
  LbMysqlRules,
  LbBalance,
  LbServer,
  LbStats,
  LbTimeouts,
  LbUseBackend,
} from '../lb.model.js';
import { SERVER_DEFAULTS, type ServerSettings } from './server.js';

export type ProxyKind = 'defaults' | 'listen' | 'frontend' | 'backend';

/**
 * Everything a `defaults` section can preset. A proxy starts from a deep copy of its defaults
 * section's settings (configuration.txt 4: "take their initial settings from a defaults section").
 */
export interface ProxySettings {
  mode: LbMode;
  balance: LbBalance;
  retries: number;
  maxconn: number;
  timeouts: LbTimeouts;
  frontendOptions: LbFrontendOptions;
  backendOptions: LbBackendOptions;
  /** null until an `option httpchk|mysql-check|tcp-check|external-check` sets it: plain TCP checks then. */
  healthCheck: LbHealthCheck | null;
  httpExpect: LbHttpExpect | null;
  /** `external-check command|path`, combined with `option external-check` when the proxy is built. */
  externalCommand: { command: string; pos: SourcePos } | null;
  externalPath: string | null;
  /** `halo-check dynamic-weight`, for an external check. */
  dynamicWeight: SourcePos | null;
  /** `halo-check mysql ...`, for `option mysql-check user <name>`. */
  mysqlRules: LbMysqlRules | null;
  defaultServer: ServerSettings;
  defaultBackend: { name: string; pos: SourcePos } | null;
  logs: LbLog[];
  /** null while no `stats` keyword enabled the statistics page. */
  stats: LbStats | null;
}

/** An `acl` line as read; acl.ts parses it once the section is complete. */
export interface AclStatement {
  name: string;
  words: string[];
  pos: SourcePos;
}

/** One section as read, before listen sections are split and references are checked. */
export interface ProxyDraft {
  kind: ProxyKind;
  name: string;
  pos: SourcePos;
  settings: ProxySettings;
  binds: LbBind[];
  servers: LbServer[];
  useBackends: LbUseBackend[];
  acls: AclStatement[];
}

/**
 * The settings haproxy starts from when no defaults section applies (configuration.txt 4:
 * "A defaults section resets all settings to the documented ones"). mode tcp (4.2 "mode": tcp is
 * the default), balance roundrobin (haproxy's backend default), retries 3 (CONN_RETRIES in
 * include/haproxy/defaults.h), maxconn 0 = global maxconn (4.2 "maxconn").
 */
export function initialSettings(): ProxySettings {
  return {
    mode: 'tcp',
    balance: 'roundrobin',
    retries: 3,
    maxconn: 0,
    timeouts: {
      connect: null,
      client: null,
      server: null,
      queue: null,
      check: null,
      clientFin: null,
      serverFin: null,
      tunnel: null,
    },
    frontendOptions: { tcplog: false, httplog: false, dontlognull: false },
    backendOptions: {
      redispatch: false,
      redispatchInterval: -1,
      abortonclose: false,
      allbackups: false,
      logHealthChecks: false,
    },
    healthCheck: null,
    httpExpect: null,
    externalCommand: null,
    externalPath: null,
    dynamicWeight: null,
    mysqlRules: null,
    defaultServer: { ...SERVER_DEFAULTS },
    defaultBackend: null,
    logs: [],
    stats: null,
  };
}

/** Default statistics settings, 4.2 "stats enable". */
export function initialStats(pos: SourcePos): LbStats {
  return {
    uri: '/haproxy?stats',
    realm: 'HAProxy Statistics',
    users: [],
    refresh: null,
    admin: null,
    hideVersion: false,
    pos,
  };
}
