import type { SourcePos } from '../errors.js';

/**
 * The load balancer's configuration as halo runs it, whatever file it came from (haproxy.cfg
 * today). JSON-safe: no undefined, no Map, absent values are `null`. Every duration is in
 * milliseconds. Every object carries the `pos` of the statement that created it.
 *
 * `listen` sections are normalized into a frontend + backend pair of the same name, so the
 * proxy only ever follows frontend → backend; `section`/`sectionName` keep the original for the
 * stats page.
 */
export interface LbConfig {
  global: LbGlobal;
  frontends: LbFrontend[];
  backends: LbBackend[];
  /** listen/frontend sections in mode http with stats enabled: served by the web page, not the proxy. */
  stats: LbStatsListener[];
}

export type LbMode = 'tcp' | 'http';

/** haproxy's `balance` algorithms that make sense for TCP (configuration.txt 4.2 "balance"). */
export type LbBalance = 'roundrobin' | 'static-rr' | 'leastconn' | 'source' | 'first' | 'random';

export type LbSectionKind = 'listen' | 'frontend' | 'backend';

/** A haproxy-side statement halo accepts but does not act on, so a caller can log it at debug. */
export interface LbIgnored {
  keyword: string;
  args: string[];
  reason: string;
  pos: SourcePos;
}

/** `log ...` kept verbatim (`global`, `127.0.0.1 local0`, …) for the logging issue. */
export interface LbLog {
  args: string[];
  pos: SourcePos;
}

export interface LbGlobal {
  /** Process-wide connection limit; null when unset (haproxy then derives it from ulimit -n). */
  maxconn: number | null;
  logs: LbLog[];
  /** daemon, pidfile, user, nbthread, …: meaningful to haproxy's process model, not to halo's. */
  ignored: LbIgnored[];
  /** First `global` line; line 0 when the file has no global section. */
  pos: SourcePos;
}

/** A listening address. `*` and an empty host are IPv4 any (configuration.txt 11). */
export interface LbBind {
  host: string;
  port: number;
  pos: SourcePos;
}

/**
 * Timeouts in ms; null = not set = no timeout (haproxy also treats 0 as "eternity", so 0 is
 * stored as null). `queue` is already resolved to `connect` when unset (4.2 "timeout queue").
 */
export interface LbTimeouts {
  connect: number | null;
  client: number | null;
  server: number | null;
  queue: number | null;
  check: number | null;
  clientFin: number | null;
  serverFin: number | null;
  tunnel: number | null;
}

/** `if COND` / `unless COND` as written; `text` is what the stats page shows. */
export interface LbCondition {
  kind: 'if' | 'unless';
  text: string;
  pos: SourcePos;
}

/**
 * An ACL address pattern (configuration.txt 7.1.6): a plain address has the full prefix; an
 * IPv4 dotted netmask is stored as its prefix length.
 */
export interface LbAclNetwork {
  family: 4 | 6;
  address: string;
  prefix: number;
}

/** An integer pattern (7.1.2): `a:b`, `a:`, `:b`, `a`, and `eq|ge|gt|le|lt a` turned into ranges; null = unbounded. */
export interface LbAclRange {
  min: number | null;
  max: number | null;
}

/**
 * The samples halo can take when it accepts a connection (7.3.2, 7.3.3): the client's address
 * and port, the address and port it connected to, a backend's usable servers now, constants.
 */
export type LbAclFetch = 'src' | 'dst' | 'src_port' | 'dst_port' | 'nbsrv' | 'always_true' | 'always_false';

/** How a sample is compared (7.1 "-m"); `bool` and `found` take no pattern. */
export type LbAclMatch =
  | { method: 'ip'; networks: LbAclNetwork[] }
  | { method: 'int'; ranges: LbAclRange[] }
  | { method: 'bool' }
  | { method: 'found' };

/** One `acl` line or anonymous `{ ... }` ACL: it matches when its sample matches any of its patterns. */
export interface LbAclTest {
  fetch: LbAclFetch;
  /** The backend `nbsrv` counts; null for every other fetch. */
  backend: string | null;
  match: LbAclMatch;
  pos: SourcePos;
}

/** Every `acl` line of one name in a frontend, ORed in declaration order (7.1). */
export interface LbAcl {
  name: string;
  tests: LbAclTest[];
}

/** One term of a condition: a named, predefined (TRUE, LOCALHOST, …) or anonymous (`{ ... }`) ACL, maybe negated. */
export interface LbAclTerm {
  negate: boolean;
  acl: string;
  tests: LbAclTest[];
}

/** A condition resolved against its frontend's ACLs, in haproxy's disjunctive form (7.2). */
export interface LbAclCondition extends LbCondition {
  /** Groups joined by `or`/`||`; a group holds when all its terms do. No group: never holds. */
  anyOf: LbAclTerm[][];
}

/** A `use_backend` rule: as read in a section (`LbCondition`), and in a frontend once resolved (`LbAclCondition`). */
export interface LbUseBackend<C extends LbCondition = LbCondition> {
  backend: string;
  condition: C | null;
  pos: SourcePos;
}

export interface LbFrontend {
  name: string;
  section: LbSectionKind;
  sectionName: string;
  mode: LbMode;
  binds: LbBind[];
  /** 0 = use the global maxconn (4.2 "maxconn"). */
  maxconn: number;
  /** Evaluated for each new connection, in order; the first that matches wins, else `defaultBackend`. */
  useBackends: LbUseBackend<LbAclCondition>[];
  /** null: a connection no rule matches is closed. */
  defaultBackend: string | null;
  /** The named ACLs declared in the section, for the stats page; rules carry what they use. */
  acls: LbAcl[];
  timeouts: LbTimeouts;
  options: LbFrontendOptions;
  logs: LbLog[];
  pos: SourcePos;
}

export interface LbFrontendOptions {
  tcplog: boolean;
  httplog: boolean;
  dontlognull: boolean;
}

export interface LbBackendOptions {
  redispatch: boolean;
  /**
   * `option redispatch <interval>` (4.2, haproxy >= 1.6): which retries go to another server.
   * P > 0: every Pth retry; N < 0: counted from the last retry (-1, the default: the last one);
   * 0 turns `redispatch` off, as haproxy does.
   */
  redispatchInterval: number;
  abortonclose: boolean;
  allbackups: boolean;
  logHealthChecks: boolean;
}

/** `http-check expect [!] <match> <pattern>` (4.2 "http-check expect"). */
export interface LbHttpExpect {
  negate: boolean;
  match: 'status' | 'rstatus' | 'string' | 'rstring';
  pattern: string;
  pos: SourcePos;
}

/**
 * halo's MySQL check rules beyond haproxy's login (`halo-check mysql ...`): a password read from
 * a file (never kept in the model), the server's role and replication health.
 */
export interface LbMysqlRules {
  passwordFile: string | null;
  /** 0: healthy only while read_only is OFF (a writable primary); 1: only while ON (a replica). */
  readOnly: 0 | 1 | null;
  maxReplicaLagS: number | null;
  /** Galera: healthy only while wsrep_local_state is 4 (Synced). */
  wsrepSynced: boolean;
  pos: SourcePos;
}

/**
 * What a backend's health checks do. `tcp`: the connection alone (5.2 "check"); `http`:
 * `option httpchk` (defaults OPTIONS / HTTP/1.0, 2xx/3xx valid unless `expect` says otherwise);
 * `mysql`: `option mysql-check` plus halo's optional rules; `tcp-check`: `option tcp-check`
 * whose rules are not parsed yet; `external`: `option external-check` (4.2), with keepalived's
 * misc_dynamic weight rule when `halo-check dynamic-weight` asks for it; `icmp`: an echo
 * request per check (`halo-check icmp`; haproxy has no ICMP check).
 */
export type LbHealthCheck =
  | { kind: 'tcp'; pos: SourcePos }
  | { kind: 'tcp-check'; pos: SourcePos }
  | { kind: 'http'; method: string; uri: string; version: string; expect: LbHttpExpect | null; pos: SourcePos }
  | { kind: 'mysql'; user: string | null; rules: LbMysqlRules | null; pos: SourcePos }
  | { kind: 'external'; command: string; path: string | null; dynamicWeight: boolean; pos: SourcePos }
  | { kind: 'icmp'; pos: SourcePos };

export type LbOnError = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

/** A `server` line with `default-server` and haproxy's defaults applied (configuration.txt 5.2). */
export interface LbServer {
  name: string;
  host: string;
  /** null = connect to the port the client connected to (5.2: the port is optional). */
  port: number | null;
  check: boolean;
  /** Health checks go to checkAddr:checkPort when set (5.2 "addr", "port"). */
  checkPort: number | null;
  checkAddr: string | null;
  inter: number;
  fastinter: number;
  downinter: number;
  rise: number;
  fall: number;
  weight: number;
  backup: boolean;
  /** 0 = unlimited. */
  maxconn: number;
  /** 0 = unlimited. */
  maxqueue: number;
  slowstart: number;
  sendProxy: 'v1' | 'v2' | null;
  disabled: boolean;
  observe: 'layer4' | 'layer7' | null;
  errorLimit: number;
  onError: LbOnError;
  onMarkedDown: 'shutdown-sessions' | null;
  onMarkedUp: 'shutdown-backup-sessions' | null;
  source: string | null;
  pos: SourcePos;
}

export interface LbBackend {
  name: string;
  section: LbSectionKind;
  sectionName: string;
  mode: LbMode;
  balance: LbBalance;
  servers: LbServer[];
  healthCheck: LbHealthCheck;
  retries: number;
  timeouts: LbTimeouts;
  options: LbBackendOptions;
  logs: LbLog[];
  pos: SourcePos;
}

/** A `stats auth USER:PASS` account; `password` is the field redaction looks for. */
export interface LbStatsUser {
  user: string;
  password: string;
  pos: SourcePos;
}

/** `stats *` settings; defaults from 4.2 "stats enable". */
export interface LbStats {
  uri: string;
  realm: string;
  users: LbStatsUser[];
  /** `stats refresh` (a bare number there is seconds); null = no auto refresh. */
  refresh: number | null;
  admin: LbCondition | null;
  hideVersion: boolean;
  pos: SourcePos;
}

export interface LbStatsListener {
  name: string;
  section: LbSectionKind;
  binds: LbBind[];
  stats: LbStats;
  timeouts: LbTimeouts;
  logs: LbLog[];
  pos: SourcePos;
}
