/**
 * `halo agent mysql`: the seed's xinetd + /opt/mysqlchk as one small server. It answers
 * haproxy's `option httpchk` with 200 "MySQL is running." or 503 and the reason, one check per
 * connection, with no shell and no temp files; the force-fail file takes a node out by hand.
 */
import { parseAddress } from '../config/haproxy/address.js';
import { HaloError } from '../errors.js';
import { startMysqlAgent } from '../io/agent/mysqlAgent.js';
import { createLogger } from '../io/log.js';
import { parseCommandArgs } from './args.js';
import { untilStopSignal } from './signals.js';

const USAGE = `usage: halo agent mysql --listen ADDR:PORT [--host H] [--port P | --socket PATH] --user U
       [--password-file FILE] [--force-fail-file /dev/shm/proxyoff] [--query 'select 1']
       [--max-conns-per-source N] [--check-timeout MS]
`;

function hostPort(text: string, what: string, portRequired: boolean): { host: string; port: number | null } {
  const r = parseAddress(text, { portRequired, anyHost: true });
  if (!r.ok) throw new HaloError('HALO_E_USAGE', `${what}: ${r.error}\n${USAGE}`);
  return r;
}

export async function agentCommand(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== 'mysql') throw new HaloError('HALO_E_USAGE', `unknown agent '${kind ?? ''}'\n${USAGE}`);
  const { values } = parseCommandArgs(rest, {
    listen: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    socket: { type: 'string' },
    user: { type: 'string' },
    'password-file': { type: 'string' },
    'force-fail-file': { type: 'string' },
    query: { type: 'string' },
    'max-conns-per-source': { type: 'string' },
    'check-timeout': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (!values.listen || !values.user) throw new HaloError('HALO_E_USAGE', `--listen and --user are required\n${USAGE}`);
  const listen = hostPort(values.listen, '--listen', true);
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0)
      throw new HaloError('HALO_E_USAGE', `--${name} '${text}' must be a positive integer`);
    return n;
  };
  const log = createLogger({ ...(values['log-level'] ? { level: values['log-level'] } : {}) }).child({
    actor: 'agent:mysql',
  });
  const maxConns = number('max-conns-per-source', values['max-conns-per-source']);
  const checkTimeout = number('check-timeout', values['check-timeout']);
  const mysqlPort = number('port', values.port);
  const agent = await startMysqlAgent({
    listen: { host: listen.host, port: listen.port! },
    mysql: {
      user: values.user,
      ...(values.host ? { host: values.host } : {}),
      ...(mysqlPort ? { port: mysqlPort } : {}),
      ...(values.socket ? { socketPath: values.socket } : {}),
      ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
    },
    ...(values['force-fail-file'] ? { forceFailFile: values['force-fail-file'] } : {}),
    ...(values.query ? { query: values.query } : {}),
    ...(maxConns ? { maxConnsPerSource: maxConns } : {}),
    ...(checkTimeout ? { checkTimeoutMs: checkTimeout } : {}),
    log,
  });
  log.info({ listen: agent.address() }, 'mysql check agent listening');
  await untilStopSignal();
  await agent.close();
  log.info({ stats: agent.stats }, 'mysql check agent stopped');
  return 0;
}
