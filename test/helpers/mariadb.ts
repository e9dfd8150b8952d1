/**
 * A private MariaDB for tests: its own datadir, unix socket and loopback port, started and
 * stopped by pid. Never touches the system server on 3306 or /etc/mysql (--no-defaults).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { sleep } from '../../src/io/sleep.js';
import { freePort } from '../io/proxy/tcpFixtures.js';

export { freePort };

const run = promisify(execFile);
/** A hang detector, not a performance claim: a loaded machine may take several seconds. */
const READY_TIMEOUT_MS = 30_000;
/** mariadb-install-db writes a fresh system schema: seconds, far less on an idle machine. */
const INSTALL_TIMEOUT_MS = 60_000;

export interface PrivateMariadb {
  host: '127.0.0.1';
  port: number;
  socketPath: string;
  dir: string;
  pid(): number | undefined;
  /** Run SQL as root over the unix socket. */
  sql(statement: string): Promise<unknown>;
  /** Stop mariadbd (SIGTERM, then SIGKILL after 10 s); the datadir stays for start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and delete the datadir. */
  destroy(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startMariadb(): Promise<PrivateMariadb> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'halo-mdb-'));
  const datadir = join(dir, 'data');
  const socketPath = join(dir, 'sock');
  const errLog = join(dir, 'err.log');
  await run(
    'mariadb-install-db',
    [
      '--no-defaults',
      '--auth-root-authentication-method=normal',
      `--datadir=${datadir}`,
      '--user=root',
      '--skip-test-db',
    ],
    { timeout: INSTALL_TIMEOUT_MS },
  );
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const startedAt = Date.now();
    const logBefore = await readFile(errLog, 'utf8').catch(() => '');
    const proc = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--socket=${socketPath}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--user=root',
        `--pid-file=${join(dir, 'pid')}`,
        `--log-error=${errLog}`,
        '--innodb-buffer-pool-size=16M',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    while (Date.now() - startedAt < READY_TIMEOUT_MS) {
      if (proc.exitCode !== null) break;
      const log = await readFile(errLog, 'utf8').catch(() => '');
      if (log.slice(logBefore.length).includes('ready for connections')) return;
      await sleep(50);
    }
    const log = await readFile(errLog, 'utf8').catch(() => '');
    throw new Error(`mariadbd did not become ready in ${READY_TIMEOUT_MS} ms:\n${log.slice(-2000)}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const db: PrivateMariadb = {
    host: '127.0.0.1',
    port,
    socketPath,
    dir,
    pid: () => child?.pid,
    sql: async (statement) => {
      const conn = await createConnection({ socketPath, user: 'root' });
      try {
        const [rows] = await conn.query(statement);
        return rows;
      } finally {
        await conn.end();
      }
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}
