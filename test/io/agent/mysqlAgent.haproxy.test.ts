/**
 * Debian's haproxy reading our agent: a private haproxy (own config, loopback ports, stats socket
 * in a temp dir) with `option httpchk` + `check port <agent>` marks the MySQL server UP and DOWN
 * as the agent's answers change, exactly as it did with xinetd + /opt/mysqlchk.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type MysqlAgent, startMysqlAgent } from '../../../src/io/agent/mysqlAgent.js';
import { createLogger } from '../../../src/io/log.js';
import { sleep } from '../../../src/io/sleep.js';
import { freePort, type PrivateMariadb, startMariadb } from '../../helpers/mariadb.js';

interface ServerStat {
  status: string;
  check_status: string;
  check_code: string;
  check_desc: string;
}

function showStat(sock: string): Promise<ServerStat | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const s = connect(sock, () => s.write('show stat\n'));
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
    });
    s.on('error', () => resolve(undefined));
    s.on('close', () => {
      const [header, ...rows] = text.trim().split('\n');
      if (!header) return resolve(undefined);
      const cols = header.replace(/^# /, '').split(',');
      const row = rows.map((r) => r.split(',')).find((r) => r[0] === 'proxy' && r[1] === 's1');
      if (!row) return resolve(undefined);
      const get = (name: string) => row[cols.indexOf(name)] ?? '';
      resolve({
        status: get('status'),
        check_status: get('check_status'),
        check_code: get('check_code'),
        check_desc: get('check_desc'),
      });
    });
  });
}

async function waitForStat(
  sock: string,
  want: (s: ServerStat) => boolean,
  ms: number,
): Promise<ServerStat | undefined> {
  let last: ServerStat | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    last = await showStat(sock);
    if (last && want(last)) return last;
    await sleep(50);
  }
  return last;
}

describe('Debian haproxy with option httpchk against the mysql agent', () => {
  let db: PrivateMariadb;
  let agent: MysqlAgent;
  let dir: string;
  let haproxy: ChildProcess | undefined;
  let stderr = '';
  const statsSock = () => join(dir, 'admin.sock');
  const forceFail = () => join(dir, 'proxyoff');

  before(async () => {
    db = await startMariadb();
    for (const host of ['127.0.0.1', 'localhost'])
      await db.sql(`CREATE USER 'mysqlchkusr'@'${host}' IDENTIFIED BY 'secret'`);
    dir = await mkdtemp(join(tmpdir(), 'halo-hap-'));
    await writeFile(join(dir, 'password'), 'secret\n');
    // Start forced DOWN so the UP that follows is haproxy's reading of a 200, not its start state.
    await writeFile(forceFail(), '');
    agent = await startMysqlAgent({
      listen: { host: '127.0.0.1', port: 0 },
      mysql: { host: '127.0.0.1', port: db.port, user: 'mysqlchkusr', passwordFile: join(dir, 'password') },
      forceFailFile: forceFail(),
      log: createLogger({ level: 'silent' }),
    });
    const listenPort = await freePort();
    const cfg = [
      'global',
      `    stats socket ${statsSock()} level admin`,
      'defaults',
      '    mode tcp',
      '    timeout connect 1s',
      '    timeout client 5s',
      '    timeout server 5s',
      '    timeout check 1s',
      'listen proxy',
      `    bind 127.0.0.1:${listenPort}`,
      '    option httpchk',
      `    server s1 127.0.0.1:${db.port} check port ${agent.address().port} inter 200 rise 1 fall 1`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'haproxy.cfg'), cfg);
    haproxy = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    haproxy.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
  });
  after(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy!.once('exit', r));
      haproxy.kill('SIGTERM');
      await exited;
    }
    await agent?.close();
    await db?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('marks the server DOWN on 503, UP on 200, and DOWN again when the force-fail file appears', async () => {
    const down = await waitForStat(statsSock(), (s) => s.status === 'DOWN', 5000);
    assert.equal(down?.status, 'DOWN', `haproxy stderr:\n${stderr}`);
    assert.equal(down?.check_status, 'L7STS');
    assert.equal(down?.check_code, '503');

    let t0 = Date.now();
    await rm(forceFail());
    const up = await waitForStat(statsSock(), (s) => s.status === 'UP', 5000);
    assert.equal(up?.status, 'UP', `haproxy stderr:\n${stderr}`);
    assert.equal(up?.check_status, 'L7OK');
    assert.equal(up?.check_code, '200');

    console.log(`haproxy saw UP ${Date.now() - t0} ms after the force-fail file went away`);
    t0 = Date.now();
    await writeFile(forceFail(), '');
    const downAgain = await waitForStat(statsSock(), (s) => s.status === 'DOWN', 5000);
    console.log(`haproxy saw DOWN ${Date.now() - t0} ms after the force-fail file appeared`);
    assert.equal(downAgain?.status, 'DOWN', `haproxy stderr:\n${stderr}`);
    assert.equal(downAgain?.check_code, '503');
    assert.match(stderr, /Server proxy\/s1 is UP/);
    assert.match(stderr, /Server proxy\/s1 is DOWN/);
  });
});
