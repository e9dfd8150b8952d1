import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { tcpProbe } from '../../../src/io/checks/tcpProbe.js';
import { sleep } from '../../../src/io/sleep.js';
import { freePort } from '../../helpers/mariadb.js';

const never = () => new AbortController().signal;

describe('tcpProbe', () => {
  it('passes against a listening port on 127.0.0.1', async () => {
    const server = createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const r = await tcpProbe({ host: '127.0.0.1', port, source: '127.0.0.1' }, never());
    server.close();
    assert.equal(r.ok, true);
    assert.equal(r.reason, 'ok');
    assert.equal(r.detail, `connected to 127.0.0.1:${port}`);
    assert.ok(r.durationMs >= 0 && r.durationMs < 1000);
  });

  it('fails with refused on a closed port', async () => {
    const port = await freePort();
    const r = await tcpProbe({ host: '127.0.0.1', port }, never());
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'refused');
    assert.match(r.detail, /ECONNREFUSED/);
  });

  describe('a connect that never completes (listener with a full backlog)', () => {
    // A listener that never accepts, with backlog 0: once its accept queue holds a connection,
    // Linux drops further SYNs, so the next connect hangs in SYN_SENT until aborted.
    let listener: ChildProcess | undefined;
    const fillers: Socket[] = [];
    after(() => {
      for (const f of fillers) f.destroy();
      listener?.kill('SIGKILL');
    });

    it('is stopped by the abort signal and reported as timeout', async () => {
      listener = spawn(
        'python3',
        [
          '-c',
          'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\n' +
            'print(s.getsockname()[1],flush=True)\ntime.sleep(60)',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const [line] = (await once(listener.stdout!, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      // Fill the accept queue: connect until a connect no longer completes within 200 ms.
      for (let i = 0; i < 8; i++) {
        const s = connect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        fillers.push(s);
        const ok = await Promise.race([once(s, 'connect').then(() => true), sleep(200).then(() => false)]);
        if (!ok) break;
      }
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 400);
      const r = await tcpProbe({ host: '127.0.0.1', port }, ac.signal);
      const elapsed = Date.now() - started;
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'timeout');
      assert.equal(r.detail, 'connect timed out');
      assert.ok(elapsed >= 390 && elapsed < 1500, `settled on abort after ${elapsed} ms`);
    });
  });

  it('an already aborted signal ends the probe at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await tcpProbe({ host: '127.0.0.1', port: 9 }, ac.signal);
    assert.equal(r.reason, 'timeout');
  });
});
