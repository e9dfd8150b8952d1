import type { SourcePos } from '../../errors.js';
import { MAX_WEIGHT } from '../../machines/lb/weight.js';
import type { Diagnostics } from '../diagnostics.js';
import type { LbOnError, LbServer } from '../lb.model.js';
import { parseAddress, parsePort } from './address.js';
import { parseDuration } from './time.js';
import { MAX_INT, parseIntIn } from './values.js';

/** What `server` and `default-server` set; fastinter/downinter stay null until resolved to inter. */
export type ServerSettings = Omit<LbServer, 'name' | 'host' | 'port' | 'pos' | 'fastinter' | 'downinter'> & {
  fastinter: number | null;
  downinter: number | null;
};

/** haproxy's server defaults, configuration.txt 5.2 (each keyword's paragraph gives its default). */
export const SERVER_DEFAULTS: Readonly<ServerSettings> = {
  check: false,
  checkPort: null,
  checkAddr: null,
  inter: 2000, // 5.2 "inter": "defaults to 2000 ms"
  fastinter: null, // 5.2 "inter": fastinter/downinter fall back to inter when unset
  downinter: null,
  rise: 2, // 5.2 "rise": "defaults to 2"
  fall: 3, // 5.2 "fall": "defaults to 3"
  weight: 1, // 5.2 "weight": "The default weight is 1"
  backup: false,
  maxconn: 0, // 5.2 "maxconn": "The default value is 0 which means unlimited"
  maxqueue: 0, // 5.2 "maxqueue": "0 which means the queue is unlimited"
  slowstart: 0,
  sendProxy: null,
  disabled: false,
  observe: null, // 5.2 "observe": "By default this functionality is disabled"
  errorLimit: 10, // 5.2 "error-limit": "By default it is set to 10 consecutive errors"
  onError: 'fail-check', // 5.2 "on-error": "fail-check ... (default)"
  onMarkedDown: null,
  onMarkedUp: null,
  source: null,
};

/** Applies one option's argument; returns an error message, or null when accepted. */
type Apply = (s: ServerSettings, arg: string) => string | null;

interface ServerOption {
  arity: 0 | 1;
  apply: Apply;
}

const flag = (set: (s: ServerSettings) => void): ServerOption => ({
  arity: 0,
  apply: (s) => {
    set(s);
    return null;
  },
});

const integer = (min: number, max: number, set: (s: ServerSettings, n: number) => void): ServerOption => ({
  arity: 1,
  apply: (s, arg) => {
    const n = parseIntIn(arg, min, max);
    if (n === null) return `'${arg}' is not an integer in ${min}..${max}`;
    set(s, n);
    return null;
  },
});

/** haproxy refuses a zero inter/fastinter/downinter ("invalid value 0 for argument 'inter'"). */
const duration = (positive: boolean, set: (s: ServerSettings, ms: number) => void): ServerOption => ({
  arity: 1,
  apply: (s, arg) => {
    const d = parseDuration(arg);
    if (!d.ok) return d.error;
    if (positive && d.ms === 0) return `'${arg}' must be greater than 0`;
    set(s, d.ms);
    return null;
  },
});

const oneOf = <T extends string>(values: readonly T[], set: (s: ServerSettings, v: T) => void): ServerOption => ({
  arity: 1,
  apply: (s, arg) => {
    const v = values.find((x) => x === arg);
    if (v === undefined) return `'${arg}' is not one of ${values.join(', ')}`;
    set(s, v);
    return null;
  },
});

const ON_ERROR: readonly LbOnError[] = ['fastinter', 'fail-check', 'sudden-death', 'mark-down'];

/** The server settings halo acts on (configuration.txt 5.2), including the `no-*`/`enabled` resets. */
const OPTIONS: Readonly<Record<string, ServerOption>> = {
  check: flag((s) => {
    s.check = true;
  }),
  'no-check': flag((s) => {
    s.check = false;
  }),
  backup: flag((s) => {
    s.backup = true;
  }),
  'no-backup': flag((s) => {
    s.backup = false;
  }),
  disabled: flag((s) => {
    s.disabled = true;
  }),
  enabled: flag((s) => {
    s.disabled = false;
  }),
  'send-proxy': flag((s) => {
    s.sendProxy = 'v1';
  }),
  'send-proxy-v2': flag((s) => {
    s.sendProxy = 'v2';
  }),
  'no-send-proxy': flag((s) => {
    if (s.sendProxy === 'v1') s.sendProxy = null;
  }),
  'no-send-proxy-v2': flag((s) => {
    if (s.sendProxy === 'v2') s.sendProxy = null;
  }),
  port: {
    arity: 1,
    apply: (s, arg) => {
      const p = parsePort(arg);
      if (p === null) return `'${arg}' is not a port in 1..65535`;
      s.checkPort = p;
      return null;
    },
  },
  addr: {
    arity: 1,
    apply: (s, arg) => {
      const a = parseAddress(arg, { portRequired: false, anyHost: false });
      if (!a.ok) return a.error;
      if (a.port !== null) return `'${arg}': give the check port with "port", not in "addr"`;
      s.checkAddr = a.host;
      return null;
    },
  },
  inter: duration(true, (s, ms) => {
    s.inter = ms;
  }),
  fastinter: duration(true, (s, ms) => {
    s.fastinter = ms;
  }),
  downinter: duration(true, (s, ms) => {
    s.downinter = ms;
  }),
  slowstart: duration(false, (s, ms) => {
    s.slowstart = ms;
  }),
  // haproxy: "'rise' has to be > 0", same for fall.
  rise: integer(1, MAX_INT, (s, n) => {
    s.rise = n;
  }),
  fall: integer(1, MAX_INT, (s, n) => {
    s.fall = n;
  }),
  weight: integer(0, MAX_WEIGHT, (s, n) => {
    s.weight = n;
  }),
  maxconn: integer(0, MAX_INT, (s, n) => {
    s.maxconn = n;
  }),
  maxqueue: integer(0, MAX_INT, (s, n) => {
    s.maxqueue = n;
  }),
  'error-limit': integer(1, MAX_INT, (s, n) => {
    s.errorLimit = n;
  }),
  observe: oneOf(['layer4', 'layer7'] as const, (s, v) => {
    s.observe = v;
  }),
  'on-error': oneOf(ON_ERROR, (s, v) => {
    s.onError = v;
  }),
  'on-marked-down': oneOf(['shutdown-sessions'] as const, (s, v) => {
    s.onMarkedDown = v;
  }),
  'on-marked-up': oneOf(['shutdown-backup-sessions'] as const, (s, v) => {
    s.onMarkedUp = v;
  }),
  source: {
    arity: 1,
    apply: (s, arg) => {
      const a = parseAddress(arg, { portRequired: false, anyHost: true });
      if (!a.ok) return a.error;
      s.source = arg;
      return null;
    },
  },
};

/**
 * Valid haproxy server settings halo does not implement, with how many arguments each takes, so
 * the words after them are skipped instead of being reported as more unknown settings.
 */
const NOT_IMPLEMENTED: Readonly<Record<string, number>> = {
  id: 1,
  cookie: 1,
  minconn: 1,
  ssl: 0,
  verify: 1,
  sni: 1,
  'check-ssl': 0,
  'check-send-proxy': 0,
  'agent-check': 0,
  'agent-port': 1,
  'agent-inter': 1,
  'agent-addr': 1,
  'agent-send': 1,
  resolvers: 1,
  'resolve-prefer': 1,
  'init-addr': 1,
  track: 1,
  redir: 1,
  'pool-max-conn': 1,
  'pool-purge-delay': 1,
  'max-reuse': 1,
  proto: 1,
  alpn: 1,
  'tcp-ut': 1,
};

/**
 * Reads the settings of a `server` (after name and address) or `default-server` line into `s`.
 * Invalid values are errors; unknown settings are warnings, like every unknown keyword in halo.
 */
export function applyServerOptions(
  s: ServerSettings,
  words: readonly string[],
  pos: SourcePos,
  diag: Diagnostics,
): void {
  let i = 0;
  while (i < words.length) {
    const key = words[i]!;
    const opt = OPTIONS[key];
    if (opt === undefined) {
      const skip = NOT_IMPLEMENTED[key];
      if (skip === undefined)
        diag.warn(pos, `unknown server setting '${key}' ignored`, 'HALO_W_CONFIG_UNKNOWN_KEYWORD');
      else diag.warn(pos, `server setting '${key}' is not supported by halo; ignored`, 'HALO_W_CONFIG_UNSUPPORTED');
      i += 1 + (skip ?? 0);
      continue;
    }
    if (opt.arity === 1 && words[i + 1] === undefined) {
      diag.error(pos, `server setting '${key}' expects a value`, 'HALO_E_CONFIG_SYNTAX');
      return;
    }
    const err = opt.apply(s, words[i + 1] ?? '');
    if (err !== null) diag.error(pos, `server setting '${key}': ${err}`);
    i += 1 + opt.arity;
  }
}

/** A `server NAME ADDR[:PORT] settings...` line on top of the section's current default-server. */
export function parseServerLine(
  defaults: Readonly<ServerSettings>,
  args: readonly string[],
  pos: SourcePos,
  diag: Diagnostics,
): LbServer | null {
  const [name, address] = args;
  if (name === undefined || address === undefined) {
    diag.error(pos, "'server' expects a name and an address", 'HALO_E_CONFIG_SYNTAX');
    return null;
  }
  const addr = parseAddress(address, { portRequired: false, anyHost: false });
  if (!addr.ok) {
    diag.error(pos, `server '${name}': ${addr.error}`);
    return null;
  }
  const s: ServerSettings = { ...defaults };
  applyServerOptions(s, args.slice(2), pos, diag);
  if (s.check && addr.port === null && s.checkPort === null) {
    // haproxy: "server has neither service port nor check port": a check needs somewhere to connect.
    diag.error(pos, `server '${name}': 'check' needs a port on the address or a 'port' setting`);
  }
  // 5.2 "inter": fastinter and downinter use inter when not set.
  return {
    name,
    host: addr.host,
    port: addr.port,
    ...s,
    fastinter: s.fastinter ?? s.inter,
    downinter: s.downinter ?? s.inter,
    pos,
  };
}
