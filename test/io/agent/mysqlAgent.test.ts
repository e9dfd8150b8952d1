import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { downResponse, upResponse } from '../../../src/io/agent/agentResponse.js';
import { type MysqlAgent, startMysqlAgent } from '../../../src/io/agent/mysqlAgent.js';
import { DEFAULT_HTTP_CHECK, httpProbe } from '../../../src/io/checks/httpProbe.js';
import { createLogger } from '../../../src/io/log.js';
import { type PrivateMariadb, startMariadb } from '../../helpers/mariadb.js';
import { SEED_OK, seedFail } from '../checks/seedAgent.js';
import { exchange } from './agentClient.js';

const REQUEST = 'OPTIONS / HTTP/1.0\r\n\r\n';
const statusLine = (text: string) => text.split('\r\n')[0];
const body = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('mysqlAgent (replaces xinetd + /opt/mysqlchk)', () => {
  let db: PrivateMariadb;
  let dir: string;
  let agent: MysqlAgent;
  let port: number;
  const logLines: string[] = [];
  const forceFail = () => join(dir, 'proxyoff');
  const passwordFile = () => join(dir, 'password');

  before(async () => {
    db = await startMariadb();
    for (const host of ['127.0.0.1', 'localhost'])
      await db.sql(`CREATE USER 'mysqlchkusr'@'${host}' IDENTIFIED BY 'secret'`);
    dir = await mkdtemp(join(tmpdir(), 'halo-agent-'));
    await writeFile(passwordFile(), 'secret\n');
    const destination = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    agent = await startMysqlAgent({
      listen: { host: '127.0.0.1', port: 0 },
      mysql: { socketPath: db.socketPath, user: 'mysqlchkusr', passwordFile: passwordFile() },
      forceFailFile: forceFail(),
      maxConnsPerSource: 3,
      log: createLogger({ level: 'debug', destination }),
    });
    port = agent.address().port;
  });
  after(async () => {
    await agent?.close();
    await db?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 200 "MySQL is running." when the check passes, with the seed’s status line and text', async () => {
    const { text } = await exchange(port, REQUEST);
    assert.equal(text, upResponse());
    assert.equal(statusLine(text), statusLine(SEED_OK));
    assert.equal(body(text), 'MySQL is running.\r\n');
    assert.ok(SEED_OK.includes(body(text)), 'the seed’s answer carries the same text');
    assert.match(text, /\r\nContent-Length: 19\r\n/);
  });

  it('answers 503 "<file> found" while the force-fail file exists, without asking MySQL', async () => {
    await writeFile(forceFail(), '');
    try {
      const { text } = await exchange(port, REQUEST);
      assert.equal(text, downResponse(`${forceFail()} found`));
      assert.equal(statusLine(text), statusLine(seedFail('x')));
      assert.equal(body(text), `MySQL is *down*.\r\n${forceFail()} found\r\n`);
    } finally {
      await rm(forceFail());
    }
    assert.equal(statusLine((await exchange(port, REQUEST)).text), 'HTTP/1.1 200 OK');
  });

  it('answers 503 with the MySQL error on a wrong password, and re-reads the password file', async () => {
    await writeFile(passwordFile(), 'not-it\n');
    try {
      const { text } = await exchange(port, REQUEST);
      assert.equal(statusLine(text), 'HTTP/1.1 503 Service Unavailable');
      assert.match(body(text), /^MySQL is \*down\*\.\r\nauth: Access denied for user 'mysqlchkusr'@'localhost'/);
      assert.doesNotMatch(text, /not-it|secret/);
    } finally {
      await writeFile(passwordFile(), 'secret\n');
    }
  });

  it('haproxy-style probing reads it: httpProbe is UP on 200', async () => {
    const r = await httpProbe({ host: '127.0.0.1', port }, DEFAULT_HTTP_CHECK, new AbortController().signal);
    assert.equal(r.ok, true, r.detail);
  });

  it('answers a client that sends nothing after the request grace, and survives garbage', async () => {
    const silent = await exchange(port, null);
    assert.equal(statusLine(silent.text), 'HTTP/1.1 200 OK');
    assert.ok(silent.ms >= 450 && silent.ms < 3000, `${silent.ms} ms`);
    const junk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    const garbage = await exchange(port, junk);
    assert.equal(statusLine(garbage.text), 'HTTP/1.1 200 OK');
    assert.equal(statusLine((await exchange(port, REQUEST)).text), 'HTTP/1.1 200 OK', 'still serving');
  });

  it('caps connections per source address (xinetd per_source)', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      await once(s, 'connect');
      idle.push(s);
    }
    const rejectedBefore = agent.stats.rejected;
    for (let i = 0; i < 5; i++) {
      const extra = await exchange(port, REQUEST).catch((err: NodeJS.ErrnoException) => ({ text: '', ms: 0, err }));
      assert.equal(extra.text, '', 'a connection over the cap is dropped unanswered');
    }
    assert.equal(agent.stats.rejected, rejectedBefore + 5, 'every refusal counted');
    const logged = logLines.filter((l) => l.includes('per-source connection limit'));
    assert.equal(logged.length, 1, 'logged once, not per refusal');
    for (const s of idle) s.destroy();
  });

  it('answers 503 with "refused" while mariadbd is stopped', async () => {
    await db.stop();
    try {
      const { text } = await exchange(port, REQUEST);
      assert.equal(statusLine(text), 'HTTP/1.1 503 Service Unavailable');
      assert.match(body(text), /^MySQL is \*down\*\.\r\nrefused: .*ENOENT/);
    } finally {
      await db.start();
    }
    assert.ok(agent.stats.up >= 5 && agent.stats.down >= 3, JSON.stringify(agent.stats));
  });
});
