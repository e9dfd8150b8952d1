import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HALO_MAIN } from '../../src/cli/nodeProcess.js';
import { freePort, type PrivateMariadb, startMariadb } from '../helpers/mariadb.js';
import { waitFor } from '../helpers/netns.js';
import { exchange } from '../io/agent/agentClient.js';

describe('halo agent mysql (the seed xinetd + /opt/mysqlchk, as a command)', () => {
  let db: PrivateMariadb;
  let dir: string;
  before(async () => {
    db = await startMariadb();
    for (const host of ['127.0.0.1', 'localhost'])
      await db.sql(`CREATE USER 'mysqlchkusr'@'${host}' IDENTIFIED BY 'secret'`);
    dir = mkdtempSync(join(tmpdir(), 'halo-agent-cli-'));
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'answers 200 while MySQL answers, 503 with the reason under the force-fail file, ' + 'exits 0 on SIGTERM',
    async () => {
      const port = await freePort();
      const passwordFile = join(dir, 'password');
      writeFileSync(passwordFile, 'secret\n', { mode: 0o600 });
      const forceFail = join(dir, 'proxyoff');
      const child = spawn(
        process.execPath,
        [
          HALO_MAIN,
          'agent',
          'mysql',
          '--listen',
          `127.0.0.1:${port}`,
          '--socket',
          db.socketPath,
          '--user',
          'mysqlchkusr',
          '--password-file',
          passwordFile,
          '--force-fail-file',
          forceFail,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        const up = await waitFor(
          `the agent answering OPTIONS on 127.0.0.1:${port}`,
          async () => {
            try {
              return (await exchange(port, 'OPTIONS / HTTP/1.0\r\n\r\n')).text;
            } catch {
              return undefined;
            }
          },
          10_000,
          50,
        );
        assert.match(up, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(up, /MySQL is running\./);
        writeFileSync(forceFail, '');
        const down = (await exchange(port, 'OPTIONS / HTTP/1.0\r\n\r\n')).text;
        assert.match(down, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
        assert.ok(down.includes(`${forceFail} found`), down);
      } finally {
        const code = await new Promise<number | null>((resolve) => {
          child.once('exit', (c) => resolve(c));
          child.kill('SIGTERM');
        });
        assert.equal(code, 0);
      }
    },
  );

  test('bad arguments give a usage error with exit 1, not a crash', async () => {
    const run = spawn(process.execPath, [HALO_MAIN, 'agent', 'mysql', '--listen', 'nowhere'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /HALO_E_USAGE/);
  });
});
