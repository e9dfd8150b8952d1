/**
 * The MySQL check agent: replaces the seed's xinetd service + /opt/mysqlchk script. Each TCP
 * connection gets one MySQL check (mysql2, no shell, no temp files) and one HTTP answer that
 * haproxy's `option httpchk` reads: 200 when the check passes, 503 when MySQL fails or the
 * force-fail file exists (the seed's /dev/shm/proxyoff switch). Like xinetd's `per_source`,
 * connections per client address are capped; stalled or half-open clients time out.
 */
import { access, readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { mysqlProbe } from '../checks/mysqlProbe.js';
import type { MysqlCheckOptions, MysqlTarget, ProbeResult } from '../checks/probe.types.js';
import type { Logger } from '../log.js';
import { throttledLog } from '../throttledLog.js';
import { downResponse, requestHeadComplete, upResponse } from './agentResponse.js';

export interface MysqlAgentOptions {
  listen: { host: string; port: number };
  mysql: { host?: string; port?: number; socketPath?: string; user: string; passwordFile?: string };
  /** Present → answer 503 "<file> found" without asking MySQL. Default /dev/shm/proxyoff. */
  forceFailFile?: string;
  /** Default 'SELECT 1'. */
  query?: string;
  /** Concurrent connections allowed per client address (xinetd per_source). Default 32. */
  maxConnsPerSource?: number;
  /** Deadline of one MySQL check. Default 2000 ms (haproxy's default check timeout is inter, 2 s). */
  checkTimeoutMs?: number;
  log: Logger;
}

export interface MysqlAgentStats {
  connections: number;
  up: number;
  down: number;
  /** Refused by the per-source cap. */
  rejected: number;
  /** Client connections that ended in an error or idle timeout before the answer went out. */
  clientErrors: number;
}

export interface MysqlAgent {
  close(): Promise<void>;
  address(): { host: string; port: number };
  stats: MysqlAgentStats;
}

const DEFAULT_FORCE_FAIL_FILE = '/dev/shm/proxyoff';
/** Debian's mariadb/mysql server socket, where the seed's script connected. */
const DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';
const DEFAULT_MAX_PER_SOURCE = 32;
const DEFAULT_CHECK_TIMEOUT_MS = 2000;
/** How long to wait for the client's request before answering anyway (a bare `nc` sends none). */
const REQUEST_GRACE_MS = 500;
/** Request bytes read before answering; the rest is drained unread-free and ignored. */
const REQUEST_CAP = 8 * 1024;
/** A client silent this long, before or after the answer, is dropped. */
const IDLE_TIMEOUT_MS = 10_000;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function startMysqlAgent(opts: MysqlAgentOptions): Promise<MysqlAgent> {
  const log = opts.log;
  const forceFailFile = opts.forceFailFile ?? DEFAULT_FORCE_FAIL_FILE;
  const maxPerSource = opts.maxConnsPerSource ?? DEFAULT_MAX_PER_SOURCE;
  const checkTimeoutMs = opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const target: MysqlTarget = {
    host: opts.mysql.host ?? 'localhost',
    port: opts.mysql.port ?? 3306,
    socketPath: opts.mysql.socketPath ?? (opts.mysql.host ? undefined : DEFAULT_SOCKET),
  };
  const stats: MysqlAgentStats = { connections: 0, up: 0, down: 0, rejected: 0, clientErrors: 0 };
  const perSource = new Map<string, number>();
  const sockets = new Set<Socket>();

  /** The check behind one answer; the password file is read each time so rotation needs no restart. */
  const check = async (signal: AbortSignal): Promise<ProbeResult | string> => {
    if (await exists(forceFailFile)) return `${forceFailFile} found`;
    let password: string | undefined;
    if (opts.mysql.passwordFile) {
      try {
        password = (await readFile(opts.mysql.passwordFile, 'utf8')).replace(/\r?\n$/, '');
      } catch (err) {
        return `cannot read password file ${opts.mysql.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`;
      }
    }
    const checkOpts: MysqlCheckOptions = {
      user: opts.mysql.user,
      password,
      query: opts.query,
      connectTimeoutMs: checkTimeoutMs,
    };
    const timer = AbortSignal.timeout(checkTimeoutMs);
    return mysqlProbe(target, checkOpts, AbortSignal.any([signal, timer]));
  };

  // A client flooding the agent must not flood the log: each kind once, then summaries.
  const refused = throttledLog(log, {
    level: 'warn',
    msg: 'mysql agent: per-source connection limit reached, dropping',
  });
  const clientErrors = throttledLog(log, { level: 'debug', msg: 'mysql agent: client socket error' });

  const serve = (socket: Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const open = perSource.get(source) ?? 0;
    if (open >= maxPerSource) {
      stats.rejected++;
      refused.note('per_source', { source, open, maxPerSource }, source);
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    stats.connections++;
    perSource.set(source, open + 1);
    sockets.add(socket);
    const aborter = new AbortController();
    let answered = false;
    socket.once('close', () => {
      sockets.delete(socket);
      const left = (perSource.get(source) ?? 1) - 1;
      if (left > 0) perSource.set(source, left);
      else perSource.delete(source);
      aborter.abort();
      if (!answered) stats.clientErrors++;
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      clientErrors.note(err.code ?? 'error', { source, err: err.message }, source),
    );
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());

    // Read (and ignore) the request before answering: closing with unread bytes would make the
    // kernel send RST, which can reach the client before our answer.
    let request = '';
    const requestRead = new Promise<void>((resolve) => {
      const grace = setTimeout(resolve, REQUEST_GRACE_MS);
      socket.once('close', () => clearTimeout(grace));
      socket.on('data', (chunk: Buffer) => {
        if (request.length >= REQUEST_CAP) return;
        request += chunk.toString('latin1');
        if (request.length >= REQUEST_CAP || requestHeadComplete(request)) {
          clearTimeout(grace);
          resolve();
        }
      });
      socket.once('end', () => {
        clearTimeout(grace);
        resolve();
      });
    });

    Promise.all([check(aborter.signal), requestRead]).then(([result]) => {
      if (socket.destroyed) return;
      answered = true;
      const up = typeof result !== 'string' && result.ok;
      if (up) stats.up++;
      else stats.down++;
      const why = typeof result === 'string' ? result : result.detail;
      log.debug({ source, up, why }, 'mysql agent: answered');
      socket.end(up ? upResponse() : downResponse(why));
    });
  };

  const server = createServer(serve);
  server.on('error', (err) => log.error({ err: err.message }, 'mysql agent: server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = {
    host: opts.listen.host,
    port: typeof bound === 'object' && bound ? bound.port : opts.listen.port,
  };
  log.info({ listen: address, mysql: { ...target, user: opts.mysql.user }, forceFailFile }, 'mysql agent listening');

  return {
    stats,
    address: () => address,
    close: () =>
      new Promise<void>((resolve) => {
        refused.close();
        clientErrors.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
