import type { Diagnostics } from '../diagnostics.js';
import type { SourcePos } from '../../errors.js';
import type {
  LbAclCondition,
  LbBackend,
  LbConfig,
  LbFrontend,
  LbGlobal,
  LbHealthCheck,
  LbStatsListener,
  LbTimeouts,
  LbUseBackend,
} from '../lb.model.js';
import { aclTestsOf, resolveAcls } from './acl.js';
import type { ProxyDraft } from './proxy.js';

/**
 * Turns the sections into what the proxy runs: every listen becomes a frontend and a backend of
 * the same name (the frontend falls back to it, as a listen section uses its own servers when no
 * switching rule matches, 4.2 "use_backend"); mode http listen/frontend sections with stats
 * become stats listeners; then every backend reference is checked.
 */
export function normalize(global: LbGlobal, proxies: readonly ProxyDraft[], diag: Diagnostics): LbConfig {
  const config: LbConfig = { global, frontends: [], backends: [], stats: [] };
  const refs: BackendRef[] = [];
  for (const p of proxies) {
    const stats = p.settings.stats;
    // Warn only where the stats keyword was written, not in every section inheriting it.
    const ownStats = stats !== null && stats.pos.file === p.pos.file && stats.pos.line > p.pos.line;
    if (stats !== null && p.kind !== 'backend' && p.settings.mode === 'http') {
      config.stats.push(statsListener(p, diag));
      continue;
    }
    if (ownStats)
      diag.warn(
        stats.pos,
        `${p.kind} '${p.name}': halo serves stats only on a 'mode http' listen or frontend; ignored`,
        'HALO_W_CONFIG_INEFFECTIVE',
      );
    if (p.kind !== 'backend') {
      const f = frontend(p, diag);
      config.frontends.push(f);
      refs.push(...f.useBackends.map((u) => ({ frontend: f, name: u.backend, pos: u.pos, nbsrv: false })));
      if (f.defaultBackend !== null)
        refs.push({ frontend: f, name: f.defaultBackend, pos: p.settings.defaultBackend?.pos ?? p.pos, nbsrv: false });
      for (const t of aclTestsOf(f.acls, f.useBackends))
        if (t.backend !== null) refs.push({ frontend: f, name: t.backend, pos: t.pos, nbsrv: true });
    }
    if (p.kind !== 'frontend') config.backends.push(backend(p, diag));
  }
  checkUnique(config, diag);
  checkReferences(config, refs, diag);
  return config;
}

function timeouts(p: ProxyDraft): LbTimeouts {
  const t = p.settings.timeouts;
  // 4.2 "timeout queue": "If unspecified, the same value as the backend's connection timeout".
  return { ...t, queue: t.queue ?? t.connect };
}

function statsListener(p: ProxyDraft, diag: Diagnostics): LbStatsListener {
  if (p.servers.length > 0 || p.useBackends.length > 0 || p.settings.defaultBackend !== null) {
    diag.warn(
      p.pos,
      `${p.kind} '${p.name}' serves the stats page; its servers and backend rules are ignored by halo`,
      'HALO_W_CONFIG_IGNORED',
    );
  }
  if (p.binds.length === 0)
    diag.warn(
      p.pos,
      `${p.kind} '${p.name}' has no 'bind': the stats page is not reachable`,
      'HALO_W_CONFIG_INEFFECTIVE',
    );
  return {
    name: p.name,
    section: p.kind === 'listen' ? 'listen' : 'frontend',
    binds: p.binds,
    stats: p.settings.stats!,
    timeouts: timeouts(p),
    logs: p.settings.logs,
    pos: p.pos,
  };
}

function frontend(p: ProxyDraft, diag: Diagnostics): LbFrontend {
  const s = p.settings;
  const fallback = s.defaultBackend?.name ?? (p.kind === 'listen' ? p.name : null);
  const { acls, useBackends } = resolveAcls(p, diag);
  return {
    name: p.name,
    section: p.kind === 'listen' ? 'listen' : 'frontend',
    sectionName: p.name,
    mode: s.mode,
    binds: p.binds,
    maxconn: s.maxconn,
    useBackends,
    defaultBackend: fallback,
    acls,
    timeouts: timeouts(p),
    options: s.frontendOptions,
    logs: s.logs,
    pos: p.pos,
  };
}

/**
 * The backend's check with the statements that complete it (`http-check expect`, `external-check
 * command|path`, `halo-check dynamic-weight|mysql`), wherever they appeared in the section.
 */
function healthCheckOf(p: ProxyDraft, diag: Diagnostics): LbHealthCheck {
  const s = p.settings;
  const hc: LbHealthCheck = s.healthCheck ?? { kind: 'tcp', pos: p.pos };
  const where = `${p.kind} '${p.name}'`;
  if (hc.kind !== 'http' && s.httpExpect !== null)
    diag.warn(
      s.httpExpect.pos,
      `${where}: 'http-check expect' has no effect without 'option httpchk'`,
      'HALO_W_CONFIG_INEFFECTIVE',
    );
  if (hc.kind !== 'external') {
    if (s.externalCommand !== null)
      diag.warn(
        s.externalCommand.pos,
        `${where}: 'external-check command' has no effect without 'option external-check'`,
        'HALO_W_CONFIG_INEFFECTIVE',
      );
    if (s.dynamicWeight !== null)
      diag.warn(
        s.dynamicWeight,
        `${where}: 'halo-check dynamic-weight' has no effect without 'option external-check'`,
        'HALO_W_CONFIG_INEFFECTIVE',
      );
  }
  // A role rule that silently did nothing would send writes to a replica: refuse to start.
  if (s.mysqlRules !== null && (hc.kind !== 'mysql' || hc.user === null)) {
    diag.error(
      s.mysqlRules.pos,
      `${where}: 'halo-check mysql' needs 'option mysql-check user <name>' in the same backend`,
    );
  }
  switch (hc.kind) {
    case 'http':
      return { ...hc, expect: s.httpExpect };
    case 'mysql':
      return { ...hc, rules: s.mysqlRules };
    case 'external':
      // haproxy refuses to start too ("no external-check command"): there is nothing to run.
      if (s.externalCommand === null)
        diag.error(hc.pos, `${where}: 'option external-check' needs 'external-check command <command>'`);
      return {
        ...hc,
        command: s.externalCommand?.command ?? '',
        path: s.externalPath,
        dynamicWeight: s.dynamicWeight !== null,
      };
    default:
      return hc;
  }
}

function backend(p: ProxyDraft, diag: Diagnostics): LbBackend {
  const s = p.settings;
  const healthCheck = healthCheckOf(p, diag);
  if (p.servers.length === 0)
    diag.warn(
      p.pos,
      `${p.kind} '${p.name}' has no server: its connections will be refused`,
      'HALO_W_CONFIG_INEFFECTIVE',
    );
  return {
    name: p.name,
    section: p.kind === 'listen' ? 'listen' : 'backend',
    sectionName: p.name,
    mode: s.mode,
    balance: s.balance,
    servers: p.servers,
    healthCheck,
    retries: s.retries,
    timeouts: timeouts(p),
    options: s.backendOptions,
    logs: s.logs,
    pos: p.pos,
  };
}

/**
 * Two proxies with the same capability may not share a name (configuration.txt 4); a frontend
 * and a backend may, which is what lets a listen section become a pair.
 */
function checkUnique(config: LbConfig, diag: Diagnostics): void {
  const groups: { what: string; items: { name: string; pos: LbFrontend['pos'] }[] }[] = [
    { what: 'frontend', items: [...config.frontends, ...config.stats] },
    { what: 'backend', items: config.backends },
  ];
  for (const { what, items } of groups) {
    const seen = new Map<string, number>();
    for (const item of items) {
      const first = seen.get(item.name);
      if (first === undefined) seen.set(item.name, item.pos.line);
      else diag.error(item.pos, `${what} '${item.name}' has the same name as the ${what} declared at line ${first}`);
    }
  }
}

/** A backend named by a frontend, where it was named: a rule's target, or what an `nbsrv` counts. */
interface BackendRef {
  frontend: LbFrontend;
  name: string;
  pos: SourcePos;
  nbsrv: boolean;
}

/** A rule that applies to every connection, as written (`if TRUE` is the seed's idiom). */
function isUnconditional(u: LbUseBackend<LbAclCondition>): boolean {
  return u.condition === null || (u.condition.kind === 'if' && u.condition.text === 'TRUE');
}

function checkReferences(config: LbConfig, refs: readonly BackendRef[], diag: Diagnostics): void {
  const backends = new Map(config.backends.map((b) => [b.name, b]));
  for (const { frontend: f, name, pos, nbsrv } of refs) {
    const b = backends.get(name);
    if (b === undefined)
      diag.error(
        pos,
        `${f.section} '${f.name}': ${nbsrv ? `nbsrv(${name}): ` : ''}unknown backend '${name}'`,
        'HALO_E_CONFIG_REF',
      );
    // configuration.txt 4: an http frontend cannot hand its requests to a tcp backend.
    else if (!nbsrv && f.mode === 'http' && b.mode === 'tcp')
      diag.error(pos, `${f.section} '${f.name}' is in mode http but backend '${b.name}' is in mode tcp`);
  }
  for (const f of config.frontends) {
    if (f.defaultBackend === null && !f.useBackends.some(isUnconditional)) {
      if (f.useBackends.length === 0) {
        diag.error(
          f.pos,
          `frontend '${f.name}' has no backend: add 'default_backend' or an unconditional 'use_backend'`,
          'HALO_E_CONFIG_REF',
        );
      } else {
        diag.warn(
          f.pos,
          `frontend '${f.name}' has no 'default_backend': a connection no 'use_backend' rule matches is closed`,
          'HALO_W_CONFIG_INEFFECTIVE',
        );
      }
    }
    if (f.binds.length === 0)
      diag.warn(
        f.pos,
        `${f.section} '${f.name}' has no 'bind' directive: it accepts no connection`,
        'HALO_W_CONFIG_INEFFECTIVE',
      );
  }
}
