/**
 * From a backend's health check to the probe one server's health actor runs: tcp, httpchk,
 * mysql (with halo's role rules and a password read once from its file), external check, ICMP.
 * Everything a probe needs that could fail (the password file) is read here, at start, so a bad
 * setting stops `halo run` with a clear error instead of failing every check.
 */
import { readFile } from 'node:fs/promises';
import { atPos, HaloError } from '../errors.js';
import type { LbBackend, LbConfig, LbMysqlRules, LbServer } from '../config/lb.model.js';
import { httpProbe } from '../io/checks/httpProbe.js';
import { mysqlProbe } from '../io/checks/mysqlProbe.js';
import type {
  HttpCheck,
  IcmpPinger,
  MysqlCheckOptions,
  ProbeResult,
  ScriptCheck,
  TcpTarget,
} from '../io/checks/probe.types.js';
import { scriptInvocation } from '../io/checks/scriptCheck.js';
import { scriptProbe } from '../io/checks/scriptProbe.js';
import { tcpProbe } from '../io/checks/tcpProbe.js';

export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

export interface ProbeSite {
  cfg: LbConfig;
  backend: LbBackend;
  server: LbServer;
  /** Where checks go: checkAddr:checkPort, else the server's own address. */
  target: TcpTarget;
  checkPort: number | null;
  timeoutMs: number;
  /** The node's one ICMP socket, opened on first use. */
  pinger: () => IcmpPinger;
}

/** The first character after the last newline is dropped too: files written by `echo` end in one. */
async function readPassword(rules: LbMysqlRules): Promise<string | undefined> {
  if (rules.passwordFile === null) return undefined;
  try {
    return (await readFile(rules.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    const message = atPos(
      rules.pos,
      `halo-check mysql: cannot read password-file ${rules.passwordFile}: ${(err as Error).message}`,
    );
    throw new HaloError('HALO_E_CONFIG_IO', message, { file: rules.passwordFile }, { cause: err });
  }
}

async function mysqlOptions(user: string, rules: LbMysqlRules | null, timeoutMs: number): Promise<MysqlCheckOptions> {
  const password = rules === null ? undefined : await readPassword(rules);
  return {
    user,
    connectTimeoutMs: timeoutMs,
    ...(password !== undefined ? { password } : {}),
    ...(rules?.readOnly != null ? { requireReadOnly: rules.readOnly } : {}),
    ...(rules?.maxReplicaLagS != null ? { maxReplicaLagS: rules.maxReplicaLagS } : {}),
    ...(rules?.wsrepSynced ? { requireWsrepSynced: true } : {}),
  };
}

/**
 * haproxy's external check arguments: the proxy's first listener (a `listen` section has one;
 * a backend has none: NOT_USED) and ids numbered from 1 in file order.
 */
function scriptCheck(site: ProbeSite, command: string, path: string | null, dynamicWeight: boolean): ScriptCheck {
  const { cfg, backend, server, target } = site;
  const own = cfg.frontends.find((f) => f.section === 'listen' && f.sectionName === backend.sectionName);
  const bind = own?.binds[0];
  return {
    command,
    path,
    dynamicWeight,
    proxy: {
      name: backend.name,
      id: cfg.backends.indexOf(backend) + 1,
      address: bind?.host ?? null,
      port: bind?.port ?? null,
    },
    server: {
      name: server.name,
      id: backend.servers.indexOf(server) + 1,
      address: target.host,
      port: site.checkPort,
      maxconn: server.maxconn,
      weight: server.weight,
    },
  };
}

export async function probeFor(site: ProbeSite): Promise<Probe> {
  const { backend, target, timeoutMs } = site;
  const hc = backend.healthCheck;
  switch (hc.kind) {
    case 'http': {
      const check: HttpCheck = {
        method: hc.method,
        uri: hc.uri,
        version: hc.version,
        ...(hc.expect ? { expect: { kind: hc.expect.match, value: hc.expect.pattern, negate: hc.expect.negate } } : {}),
      };
      return (signal) => httpProbe(target, check, signal);
    }
    case 'mysql': {
      // Without `user`, haproxy only reads the server's greeting: a live TCP handshake is the
      // closest halo has. With a user it logs in (no password unless halo-check mysql gives one).
      if (hc.user === null) return (signal) => tcpProbe(target, signal);
      const opts = await mysqlOptions(hc.user, hc.rules, timeoutMs);
      return (signal) => mysqlProbe({ host: target.host, port: target.port }, opts, signal);
    }
    case 'external': {
      const check = scriptCheck(site, hc.command, hc.path, hc.dynamicWeight);
      try {
        scriptInvocation(check, undefined); // the same rule every check applies, once at start
      } catch (err) {
        throw new HaloError(
          'HALO_E_CONFIG_VALUE',
          atPos(hc.pos, (err as Error).message),
          { backend: backend.name },
          { cause: err },
        );
      }
      return (signal) => scriptProbe(check, signal);
    }
    case 'icmp': {
      const pinger = site.pinger();
      return (signal) => pinger.ping(target.host, signal);
    }
    case 'tcp':
    case 'tcp-check':
      return (signal) => tcpProbe(target, signal);
  }
}
