import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { LbBackendOptions, LbBalance, LbFrontendOptions, LbHttpExpect, LbStats, LbTimeouts } from '../lb.model.js';
import { readAclStatement } from './acl.js';
import { parseAddress } from './address.js';
import { CHECK_KEYWORDS } from './checkKeywords.js';
import { type Ctx, expectArgs, type Keyword, kw, readCondition, setInt } from './keyword.js';
import { initialStats, type ProxyDraft, type ProxyKind } from './proxy.js';
import { applyServerOptions, parseServerLine } from './server.js';
import { parseDuration } from './time.js';
import { MAX_INT, parseIntIn } from './values.js';

const BALANCE: readonly LbBalance[] = ['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random'];

const TIMEOUTS: Readonly<Record<string, { key: keyof LbTimeouts; cap: Keyword['cap'] }>> = {
  connect: { key: 'connect', cap: 'be' },
  client: { key: 'client', cap: 'fe' },
  server: { key: 'server', cap: 'be' },
  queue: { key: 'queue', cap: 'be' },
  check: { key: 'check', cap: 'be' },
  'client-fin': { key: 'clientFin', cap: 'fe' },
  'server-fin': { key: 'serverFin', cap: 'be' },
  tunnel: { key: 'tunnel', cap: 'be' },
};

const FRONTEND_OPTIONS: Readonly<Record<string, keyof LbFrontendOptions>> = {
  tcplog: 'tcplog',
  httplog: 'httplog',
  dontlognull: 'dontlognull',
};

/** The on/off backend options; `option redispatch` also takes an interval (its own keyword below). */
const BACKEND_OPTIONS: Readonly<Record<string, Exclude<keyof LbBackendOptions, 'redispatch' | 'redispatchInterval'>>> =
  {
    abortonclose: 'abortonclose',
    allbackups: 'allbackups',
    'log-health-checks': 'logHealthChecks',
  };

const HTTP_EXPECT_MATCHES: readonly LbHttpExpect['match'][] = ['status', 'rstatus', 'string', 'rstring'];

/** Every stats keyword enables the page with 4.2 "stats enable" defaults, then sets its value. */
function stats(c: Ctx): LbStats {
  const s = c.draft.settings;
  s.stats ??= initialStats(c.pos);
  return s.stats;
}

function statsKeyword(set: (c: Ctx, st: LbStats) => void, more: Partial<Keyword> = {}): Keyword {
  return kw('both', (c) => set(c, stats(c)), more);
}

const LISTED_KEYWORDS: Readonly<Record<string, Keyword>> = {
  bind: kw(
    'fe',
    (c) => {
      const [addresses, ...params] = c.args;
      if (addresses === undefined) {
        c.diag.error(c.pos, "'bind' expects an address:port", 'HALO_E_CONFIG_SYNTAX');
        return;
      }
      for (const text of addresses.split(',')) {
        const a = parseAddress(text, { portRequired: true, anyHost: true });
        if (!a.ok) c.diag.error(c.pos, `bind: ${a.error}`);
        else c.draft.binds.push({ host: a.host, port: a.port!, pos: c.pos });
      }
      if (params.length > 0)
        c.diag.warn(
          c.pos,
          `bind parameters '${params.join(' ')}' are not supported by halo; ignored`,
          'HALO_W_CONFIG_UNSUPPORTED',
        );
    },
    { inDefaults: false },
  ),
  mode: kw('both', (c) => {
    if (!expectArgs(c, 'mode', 1, 1)) return;
    const m = c.args[0];
    if (m === 'tcp' || m === 'http') c.draft.settings.mode = m;
    else c.diag.error(c.pos, `mode '${m}' is not tcp or http`);
  }),
  balance: kw('be', (c) => {
    if (c.args.length === 0) {
      c.diag.error(c.pos, "'balance' expects an algorithm", 'HALO_E_CONFIG_SYNTAX');
      return;
    }
    // `random(<draws>)` (4.2 "balance") picks the best of N random draws; halo draws once.
    const draws = /^random\([0-9]+\)$/.test(c.args[0]!);
    if (draws)
      c.diag.warn(
        c.pos,
        `balance ${c.args[0]}: the number of draws is not supported by halo; plain random is used`,
        'HALO_W_CONFIG_UNSUPPORTED',
      );
    const algo = draws ? 'random' : BALANCE.find((b) => b === c.args[0]);
    if (algo === undefined)
      c.diag.error(c.pos, `unknown balance algorithm '${c.args[0]}' (halo supports ${BALANCE.join(', ')})`);
    else c.draft.settings.balance = algo;
    if (c.args.length > 1)
      c.diag.warn(
        c.pos,
        `balance arguments '${c.args.slice(1).join(' ')}' are not supported by halo; ignored`,
        'HALO_W_CONFIG_UNSUPPORTED',
      );
  }),
  server: kw(
    'be',
    (c) => {
      const server = parseServerLine(c.draft.settings.defaultServer, c.args, c.pos, c.diag);
      if (server === null) return;
      const twin = c.draft.servers.find((s) => s.name === server.name);
      if (twin !== undefined) {
        c.diag.error(
          c.pos,
          `${c.draft.kind} '${c.draft.name}': another server named '${server.name}' was already defined at ` +
            `line ${twin.pos.line}`,
        );
        return;
      }
      c.draft.servers.push(server);
    },
    { inDefaults: false },
  ),
  // Later `server` lines start from it; earlier ones keep what they had (haproxy copies it at parse time).
  'default-server': kw('be', (c) => applyServerOptions(c.draft.settings.defaultServer, c.args, c.pos, c.diag)),
  retries: kw('be', (c) =>
    setInt(c, 'retries', 0, MAX_INT, (n) => {
      c.draft.settings.retries = n;
    }),
  ),
  maxconn: kw('fe', (c) =>
    setInt(c, 'maxconn', 0, MAX_INT, (n) => {
      c.draft.settings.maxconn = n;
    }),
  ),
  use_backend: kw(
    'fe',
    (c) => {
      const backend = c.args[0];
      if (backend === undefined) {
        c.diag.error(c.pos, "'use_backend' expects a backend name", 'HALO_E_CONFIG_SYNTAX');
        return;
      }
      const condition = readCondition(c, 1);
      if (condition === undefined) return;
      c.draft.useBackends.push({ backend, condition, pos: c.pos });
    },
    { inDefaults: false },
  ),
  // Conditions are resolved when the frontend is built (acl.ts); haproxy 2.6 refuses acl in defaults.
  acl: kw('fe', readAclStatement),
  default_backend: kw('fe', (c) => {
    if (expectArgs(c, 'default_backend', 1, 1)) c.draft.settings.defaultBackend = { name: c.args[0]!, pos: c.pos };
  }),
  log: kw(
    'both',
    (c) => {
      if (c.negate) c.draft.settings.logs = [];
      else if (expectArgs(c, 'log', 1, Number.POSITIVE_INFINITY))
        c.draft.settings.logs.push({ args: c.args, pos: c.pos });
    },
    { negatable: true },
  ),
  'option httpchk': kw(
    'be',
    (c) => {
      if (c.negate) {
        c.draft.settings.healthCheck = null;
        return;
      }
      if (!expectArgs(c, 'option httpchk', 0, 3)) return;
      // 4.2 "option httpchk": one argument is the URI; method defaults to OPTIONS, URI to "/", version to HTTP/1.0.
      const [method, uri, version] = c.args.length === 1 ? ['OPTIONS', c.args[0], undefined] : c.args;
      c.draft.settings.healthCheck = {
        kind: 'http',
        method: method ?? 'OPTIONS',
        uri: uri ?? '/',
        version: version ?? 'HTTP/1.0',
        expect: null,
        pos: c.pos,
      };
    },
    { negatable: true },
  ),
  'option mysql-check': kw(
    'be',
    (c) => {
      if (c.negate) {
        c.draft.settings.healthCheck = null;
        return;
      }
      if (!expectArgs(c, 'option mysql-check', 0, 3)) return;
      if (c.args.length > 0 && (c.args[0] !== 'user' || c.args[1] === undefined)) {
        c.diag.error(c.pos, "'option mysql-check' expects 'user <username>'", 'HALO_E_CONFIG_SYNTAX');
        return;
      }
      const variant = c.args[2];
      if (variant !== undefined && variant !== 'post-41' && variant !== 'pre-41') {
        c.diag.error(c.pos, `'option mysql-check': '${variant}' is not post-41 or pre-41`);
        return;
      }
      if (variant === 'pre-41')
        c.diag.warn(
          c.pos,
          "'pre-41' MySQL checks are not supported by halo; the post-4.1 handshake is used",
          'HALO_W_CONFIG_UNSUPPORTED',
        );
      c.draft.settings.healthCheck = { kind: 'mysql', user: c.args[1] ?? null, rules: null, pos: c.pos };
    },
    { negatable: true },
  ),
  'option tcp-check': kw(
    'be',
    (c) => {
      c.draft.settings.healthCheck = c.negate ? null : { kind: 'tcp-check', pos: c.pos };
    },
    { negatable: true },
  ),
  'http-check expect': kw('be', (c) => {
    const words = [...c.args];
    let negate = false;
    if (words[0] === '!') {
      negate = true;
      words.shift();
    } else if (words[0]?.startsWith('!')) {
      negate = true;
      words[0] = words[0].slice(1);
    }
    const match = HTTP_EXPECT_MATCHES.find((m) => m === words[0]);
    if (match === undefined || words.length !== 2) {
      c.diag.warn(
        c.pos,
        `'http-check expect ${c.args.join(' ')}' is not supported by halo (only [!] status|rstatus|string|rstring ` +
          `<pattern>); ignored`,
        'HALO_W_CONFIG_UNSUPPORTED',
      );
      return;
    }
    c.draft.settings.httpExpect = { negate, match, pattern: words[1]!, pos: c.pos };
  }),
  'stats enable': statsKeyword(() => {}),
  'stats hide-version': statsKeyword((_c, st) => {
    st.hideVersion = true;
  }),
  'stats uri': statsKeyword((c, st) => {
    if (expectArgs(c, 'stats uri', 1, 1)) st.uri = c.args[0]!;
  }),
  // 4.2 "stats realm" reads one word (haproxy would keep only "Haproxy" of the seed's
  // `stats realm Haproxy Manager`); halo keeps the words the operator wrote and says so.
  'stats realm': statsKeyword((c, st) => {
    if (!expectArgs(c, 'stats realm', 1, Number.POSITIVE_INFINITY)) return;
    st.realm = c.args.join(' ');
    if (c.args.length > 1)
      c.diag.warn(
        c.pos,
        `stats realm: haproxy reads only '${c.args[0]}'; halo uses '${st.realm}' (escape spaces with '\\ ' to ` +
          `silence this)`,
        'HALO_W_CONFIG_ADJUSTED',
      );
  }),
  'stats auth': statsKeyword((c, st) => {
    if (!expectArgs(c, 'stats auth', 1, 1)) return;
    const text = c.args[0]!;
    const colon = text.indexOf(':');
    if (colon <= 0) {
      c.diag.error(c.pos, "'stats auth' expects <user>:<password>");
      return;
    }
    st.users.push({ user: text.slice(0, colon), password: text.slice(colon + 1), pos: c.pos });
  }),
  'stats refresh': statsKeyword((c, st) => {
    if (!expectArgs(c, 'stats refresh', 1, 1)) return;
    // 4.2 "stats refresh": "<delay> is ... specified in seconds".
    const d = parseDuration(c.args[0]!, 's');
    if (!d.ok) c.diag.error(c.pos, `stats refresh: ${d.error}`);
    else st.refresh = d.ms;
  }),
  'stats admin': statsKeyword(
    (c, st) => {
      const cond = readCondition(c, 0);
      if (cond === null)
        c.diag.error(c.pos, "'stats admin' expects 'if <condition>' or 'unless <condition>'", 'HALO_E_CONFIG_SYNTAX');
      else if (cond !== undefined) st.admin = cond;
    },
    { inDefaults: false },
  ),
};

const timeoutKeywords = Object.entries(TIMEOUTS).map(([name, t]): [string, Keyword] => [
  `timeout ${name}`,
  kw(t.cap, (c) => {
    if (!expectArgs(c, `timeout ${name}`, 1, 1)) return;
    const d = parseDuration(c.args[0]!);
    if (!d.ok) c.diag.error(c.pos, `timeout ${name}: ${d.error}`);
    // haproxy stores 0 as TICK_ETERNITY: the same as not setting it.
    else c.draft.settings.timeouts[t.key] = d.ms === 0 ? null : d.ms;
  }),
]);

const frontendOptionKeywords = Object.entries(FRONTEND_OPTIONS).map(([name, key]): [string, Keyword] => [
  `option ${name}`,
  kw(
    'fe',
    (c) => {
      if (expectArgs(c, `option ${name}`, 0, 0)) c.draft.settings.frontendOptions[key] = !c.negate;
    },
    { negatable: true },
  ),
]);

const backendOptionKeywords = Object.entries(BACKEND_OPTIONS).map(([name, key]): [string, Keyword] => [
  `option ${name}`,
  kw(
    'be',
    (c) => {
      if (expectArgs(c, `option ${name}`, 0, 0)) c.draft.settings.backendOptions[key] = !c.negate;
    },
    { negatable: true },
  ),
]);

/**
 * `option redispatch [<interval>]` (4.2, haproxy >= 1.6): the interval defaults to -1 (the last
 * retry) each time the option is set; `no option redispatch` turns it off whatever the interval.
 */
const redispatchKeyword = kw(
  'be',
  (c) => {
    if (!expectArgs(c, 'option redispatch', 0, c.negate ? 0 : 1)) return;
    const o = c.draft.settings.backendOptions;
    const arg = c.args[0];
    const magnitude = arg === undefined ? 1 : parseIntIn(arg.replace(/^-/, ''), 0, MAX_INT);
    if (magnitude === null) {
      c.diag.error(c.pos, `'option redispatch': '${arg}' is not an integer`);
      return;
    }
    // haproxy clears the option for an interval of 0 (cfgparse-listen.c): not even a DOWN server's retry leaves it.
    o.redispatch = !c.negate && magnitude !== 0;
    // `-0` is 0 (no -0 in the model).
    o.redispatchInterval = arg === undefined || (arg.startsWith('-') && magnitude > 0) ? -magnitude : magnitude;
  },
  { negatable: true },
);

const KEYWORDS: Readonly<Record<string, Keyword>> = {
  ...LISTED_KEYWORDS,
  ...CHECK_KEYWORDS,
  ...Object.fromEntries([...timeoutKeywords, ...frontendOptionKeywords, ...backendOptionKeywords]),
  'option redispatch': redispatchKeyword,
};

/** Keywords made of two words: the first word selects a family, the second the keyword. */
const TWO_WORD = new Set(['option', 'timeout', 'stats', 'http-check', 'external-check', 'halo-check']);

function hasCapability(kind: ProxyKind, cap: Keyword['cap']): boolean {
  if (cap === 'both' || kind === 'defaults' || kind === 'listen') return true;
  return cap === 'fe' ? kind === 'frontend' : kind === 'backend';
}

/** Applies one statement of a defaults/listen/frontend/backend section to its draft. */
export function applyProxyStatement(
  draft: ProxyDraft,
  words: readonly string[],
  pos: SourcePos,
  diag: Diagnostics,
): void {
  const negate = words[0] === 'no';
  const rest = negate ? words.slice(1) : [...words];
  const width = TWO_WORD.has(rest[0] ?? '') && rest.length > 1 ? 2 : 1;
  const name = rest.slice(0, width).join(' ');
  const k = KEYWORDS[name];
  if (k === undefined) {
    diag.warn(
      pos,
      `unknown keyword '${words.join(' ')}' in '${draft.kind}' section; ignored`,
      'HALO_W_CONFIG_UNKNOWN_KEYWORD',
    );
    return;
  }
  if (negate && !k.negatable) {
    diag.warn(pos, `'no ${name}' is not supported by halo; ignored`, 'HALO_W_CONFIG_UNSUPPORTED');
    return;
  }
  if (draft.kind === 'defaults' && !k.inDefaults) {
    diag.warn(pos, `'${name}' is not allowed in a defaults section; ignored`, 'HALO_W_CONFIG_IGNORED');
    return;
  }
  if (!hasCapability(draft.kind, k.cap)) {
    const missing = k.cap === 'fe' ? 'frontend' : 'backend';
    diag.warn(
      pos,
      `'${name}' ignored because ${draft.kind} '${draft.name}' has no ${missing} capability`,
      'HALO_W_CONFIG_IGNORED',
    );
    return;
  }
  k.handle({ draft, args: rest.slice(width), pos, diag, negate });
}
