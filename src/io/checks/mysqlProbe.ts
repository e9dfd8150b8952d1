/**
 * A MySQL/MariaDB health check with mysql2: log in, run the check query (default `SELECT 1`, as
 * the seed's /opt/mysqlchk does), then the optional role rules: read_only (primary or replica),
 * replica lag, Galera sync state. One connection per check, closed after; never rejects.
 */
import { type Connection, createConnection, type QueryError } from 'mysql2';
import type { MysqlCheckOptions, MysqlTarget, ProbeReason, ProbeResult } from './probe.types.js';
import { errorText, fail, type Outcome, pass, socketErrorReason, stopwatch } from './probeOutcome.js';

type Row = Record<string, unknown>;

/** Server errors that mean the login itself was refused. */
const AUTH_ERRORS = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
]);

/** Galera wsrep_local_state 4 = Synced. */
const WSREP_SYNCED = '4';

function reasonFor(err: QueryError): ProbeReason {
  if (AUTH_ERRORS.has(err.code)) return 'auth';
  if (err.code === 'ETIMEDOUT') return 'timeout';
  const socketReason = socketErrorReason(err);
  if (socketReason !== 'error') return socketReason;
  // A server error on a live session is the query's fault; anything else broke the link.
  return err.fatal ? 'error' : 'query';
}

function query(conn: Connection, sql: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.query(sql, (err, rows) => (err ? reject(err) : resolve(Array.isArray(rows) ? (rows as Row[]) : [])));
  });
}

/** Seconds_Behind_Master (MariaDB, MySQL < 8.4) or Seconds_Behind_Source (MySQL 8.0.22+). */
async function replicaLag(conn: Connection): Promise<Outcome | number> {
  const rows = await query(conn, 'SHOW REPLICA STATUS').catch(() => query(conn, 'SHOW SLAVE STATUS'));
  const row = rows[0];
  if (!row) return fail('lag', 'not a replica (no replica status)');
  const lag = row.Seconds_Behind_Master ?? row.Seconds_Behind_Source;
  if (lag === null || lag === undefined) return fail('lag', 'replication is not running');
  return Number(lag);
}

async function runRules(conn: Connection, opts: MysqlCheckOptions): Promise<Outcome> {
  const sql = opts.query ?? 'SELECT 1';
  await query(conn, sql);
  const notes = [`${sql}: ok`];
  if (opts.requireReadOnly !== undefined) {
    const [row] = await query(conn, 'SELECT @@global.read_only AS ro');
    const ro = Number(row?.ro) ? 1 : 0;
    if (ro !== opts.requireReadOnly) {
      return fail('read_only', `read_only is ${ro ? 'ON' : 'OFF'}, required ${opts.requireReadOnly ? 'ON' : 'OFF'}`);
    }
    notes.push(`read_only ${ro ? 'ON' : 'OFF'}`);
  }
  if (opts.maxReplicaLagS !== undefined) {
    const lag = await replicaLag(conn);
    if (typeof lag !== 'number') return lag;
    if (lag > opts.maxReplicaLagS) return fail('lag', `replica ${lag} s behind, limit ${opts.maxReplicaLagS} s`);
    notes.push(`lag ${lag} s`);
  }
  if (opts.requireWsrepSynced) {
    const [row] = await query(conn, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'");
    const state = row ? String(row.Value) : 'absent';
    if (state !== WSREP_SYNCED) return fail('wsrep', `wsrep_local_state is ${state}, not 4 (Synced)`);
    notes.push('wsrep Synced');
  }
  return pass(notes.join(', '));
}

export function mysqlProbe(target: MysqlTarget, opts: MysqlCheckOptions, signal: AbortSignal): Promise<ProbeResult> {
  const stamp = stopwatch();
  // mysql2 messages never carry the password; scrub anyway, since it must never reach a log.
  const scrub = (text: string) => (opts.password ? text.split(opts.password).join('***') : text);
  return new Promise<ProbeResult>((resolve) => {
    if (signal.aborted) {
      resolve(stamp(fail('timeout', 'aborted before connecting')));
      return;
    }
    let done = false;
    const conn = createConnection({
      host: target.host,
      port: target.port,
      socketPath: target.socketPath,
      user: opts.user,
      password: opts.password ?? '',
      database: opts.database,
      connectTimeout: opts.connectTimeoutMs,
    });
    const settle = (o: Outcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      conn.destroy();
      resolve(stamp({ ...o, detail: scrub(o.detail) }));
    };
    const onAbort = () => settle(fail('timeout', 'no answer before the deadline'));
    signal.addEventListener('abort', onAbort, { once: true });
    // Fatal errors reach queued queries too; this listener keeps an idle one from throwing.
    conn.on('error', (err: QueryError) => settle(fail(reasonFor(err), `${reasonFor(err)}: ${err.message}`)));
    runRules(conn, opts).then(settle, (err: unknown) => {
      const e = err as QueryError;
      settle(
        typeof e?.code === 'string'
          ? fail(reasonFor(e), `${reasonFor(e)}: ${e.message}`)
          : fail('error', errorText(err)),
      );
    });
  });
}
