import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mysqlProbe } from '../../../src/io/checks/mysqlProbe.js';
import type { MysqlCheckOptions } from '../../../src/io/checks/probe.types.js';
import { type PrivateMariadb, startMariadb } from '../../helpers/mariadb.js';

const PASSWORD = 'chk-S3cret!';
const never = () => new AbortController().signal;

describe('mysqlProbe against a private MariaDB', () => {
  let db: PrivateMariadb;
  let opts: MysqlCheckOptions;
  const tcp = () => ({ host: db.host, port: db.port });

  before(async () => {
    const t0 = Date.now();
    db = await startMariadb();
    console.log(`private mariadbd ready on 127.0.0.1:${db.port} in ${Date.now() - t0} ms`);
    for (const host of ['127.0.0.1', 'localhost']) {
      await db.sql(`CREATE USER 'chk'@'${host}' IDENTIFIED BY '${PASSWORD}'`);
    }
    opts = { user: 'chk', password: PASSWORD, connectTimeoutMs: 2000 };
  });
  after(async () => {
    await db?.destroy();
  });

  it('passes with SELECT 1 over TCP and over the unix socket', async () => {
    const r = await mysqlProbe(tcp(), opts, never());
    assert.deepEqual([r.ok, r.reason, r.detail], [true, 'ok', 'SELECT 1: ok']);
    const s = await mysqlProbe({ ...tcp(), socketPath: db.socketPath }, opts, never());
    assert.equal(s.ok, true, s.detail);
  });

  it('a wrong password fails with auth, and the detail never carries a password', async () => {
    const r = await mysqlProbe(tcp(), { ...opts, password: 'wrong-pw-123' }, never());
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'auth');
    assert.match(r.detail, /^auth: Access denied for user 'chk'@'127\.0\.0\.1' \(using password: YES\)/);
    assert.doesNotMatch(r.detail, /wrong-pw-123|chk-S3cret/);
  });

  it('a failing check query fails with query', async () => {
    const r = await mysqlProbe(tcp(), { ...opts, query: 'SELECT * FROM nosuchdb.t' }, never());
    assert.equal(r.reason, 'query');
    assert.match(r.detail, /^query: /);
  });

  it('the read_only rule follows SET GLOBAL read_only', async () => {
    const replicaRule = { ...opts, requireReadOnly: 1 as const };
    const primaryRule = { ...opts, requireReadOnly: 0 as const };
    const off = await mysqlProbe(tcp(), replicaRule, never());
    assert.deepEqual([off.ok, off.reason, off.detail], [false, 'read_only', 'read_only is OFF, required ON']);
    assert.equal((await mysqlProbe(tcp(), primaryRule, never())).ok, true);
    await db.sql('SET GLOBAL read_only = 1');
    try {
      const on = await mysqlProbe(tcp(), replicaRule, never());
      assert.equal(on.ok, true, on.detail);
      assert.equal(on.detail, 'SELECT 1: ok, read_only ON');
      assert.equal((await mysqlProbe(tcp(), primaryRule, never())).reason, 'read_only');
    } finally {
      await db.sql('SET GLOBAL read_only = 0');
    }
  });

  it('replica lag and wsrep rules fail on a standalone server', async () => {
    const denied = await mysqlProbe(tcp(), { ...opts, maxReplicaLagS: 10 }, never());
    assert.equal(denied.reason, 'query', 'replica status needs a privilege the check user lacks');
    assert.match(denied.detail, /SLAVE MONITOR/);
    for (const host of ['127.0.0.1', 'localhost']) await db.sql(`GRANT SLAVE MONITOR ON *.* TO 'chk'@'${host}'`);
    const lag = await mysqlProbe(tcp(), { ...opts, maxReplicaLagS: 10 }, never());
    assert.deepEqual([lag.reason, lag.detail], ['lag', 'not a replica (no replica status)']);
    const ws = await mysqlProbe(tcp(), { ...opts, requireWsrepSynced: true }, never());
    assert.deepEqual([ws.reason, ws.detail], ['wsrep', 'wsrep_local_state is absent, not 4 (Synced)']);
  });

  it('an abort ends a check in progress as timeout', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await mysqlProbe(tcp(), { ...opts, query: 'SELECT SLEEP(5)' }, ac.signal);
    assert.equal(r.reason, 'timeout');
    assert.ok(r.durationMs >= 190 && r.durationMs < 1000, `${r.durationMs} ms`);
  });

  it('with mariadbd stopped, fails with refused (TCP and socket)', async () => {
    await db.stop();
    const r = await mysqlProbe(tcp(), opts, never());
    assert.equal(r.reason, 'refused', r.detail);
    assert.match(r.detail, /ECONNREFUSED/);
    const s = await mysqlProbe({ ...tcp(), socketPath: db.socketPath }, opts, never());
    assert.equal(s.reason, 'refused', s.detail);
    await db.start();
    assert.equal((await mysqlProbe(tcp(), opts, never())).ok, true, 'back after restart');
  });
});
