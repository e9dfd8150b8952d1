import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { DataPath } from '../../../src/io/proxy/dataPath.types.js';
import { backends, type Recorded, runEngine } from './engineHarness.js';
import { type Backend, freePort, hold, request, sleep } from './tcpFixtures.js';

async function engine(body: string): Promise<{ dp: DataPath; port: number; rec: Recorded }> {
  const port = await freePort();
  const text =
    `defaults\n  mode tcp\n  timeout connect 300\n  timeout client 5s\n  timeout server 5s\nlisten p\n` +
    `  bind 127.0.0.1:${port}\n${body}\n`;
  return { ...(await runEngine(text)), port };
}

describe('proxy engine: tunnels', () => {
  it('forwards both ways and carries the client FIN to the server (half-close)', async () => {
    const [a] = await backends('a');
    const { port } = await engine(`  server a 127.0.0.1:${a!.port}`);
    // The echo backend answers only after it sees the FIN, so an answer proves the half-close.
    assert.equal(await request(port, 'hello'), 'a:hello');
    const big = 'x'.repeat(3 * 1024 * 1024);
    assert.equal((await request(port, big)).length, big.length + 2, 'a 3 MiB body crosses intact');
  });

  it('send-proxy-v2 and send-proxy put the client address first', async () => {
    const [a, b] = await backends('a', 'b');
    const { port } = await engine(
      `  balance roundrobin\n  server a 127.0.0.1:${a!.port} send-proxy-v2\n  server b 127.0.0.1:${b!.port} send-proxy`,
    );
    const answers = [await request(port, 'one'), await request(port, 'two')];
    const v2 = answers.find((x) => x.startsWith('a:'))!;
    assert.ok(v2.startsWith('a:\r\n\r\n\0\r\nQUIT\n'), 'v2 signature');
    const v1 = answers.find((x) => x.startsWith('b:'))!;
    assert.match(v1, new RegExp(`^b:PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${port}\\r\\n(one|two)$`));
  });
});

describe('proxy engine: retries and redispatch', () => {
  it('a refused connect is redispatched: the client gets an answer, the failure is a passive error', async () => {
    const [a, dead] = await backends('a', 'dead');
    await dead!.kill();
    const { port, rec } = await engine(
      `  balance roundrobin\n  retries 1\n  option redispatch\n` +
        `  server dead 127.0.0.1:${dead!.port} observe layer4\n  server a 127.0.0.1:${a!.port}`,
    );
    const answers = await Promise.all([request(port, '1'), request(port, '2'), request(port, '3'), request(port, '4')]);
    assert.deepEqual(answers.sort(), ['a:1', 'a:2', 'a:3', 'a:4']);
    assert.ok(rec.passive.some((p) => p.server === 'dead' && !p.ok && p.reason === 'ECONNREFUSED'));
    assert.ok((rec.counters.get('halo_lb_redispatches_total') ?? 0) >= 2);
  });

  it('without redispatch the retries stay on the server and the client is closed after them', async () => {
    const [dead] = await backends('dead');
    await dead!.kill();
    const { port, rec } = await engine(`  retries 2\n  server dead 127.0.0.1:${dead!.port}`);
    const t0 = Date.now();
    await assert.rejects(request(port, 'x'));
    // Two turn-around delays of min(timeout connect = 300 ms, 1 s).
    assert.ok(Date.now() - t0 >= 550, `gave up after ${Date.now() - t0} ms`);
    assert.equal(rec.counters.get('halo_lb_connect_errors_total'), 3);
  });

  it('sessions a dead server aborts are each counted but logged once', async () => {
    const [dead] = await backends('dead');
    await dead!.kill();
    const { port, rec } = await engine(`  retries 0\n  server dead 127.0.0.1:${dead!.port}`);
    for (let i = 0; i < 5; i++) await assert.rejects(request(port, 'x'));
    assert.equal(rec.counters.get('halo_lb_connect_errors_total'), 5);
    const reason = 'connect to dead failed: ECONNREFUSED';
    assert.deepEqual(
      rec.logs.filter((l) => l.msg.startsWith('session aborted')),
      [{ level: 'debug', obj: { frontend: 'p', backend: 'p', reason }, msg: 'session aborted' }],
    );
  });

  it('option redispatch <interval> picks which retry leaves the only active server (for the backup)', async () => {
    const [a, dead] = await backends('a', 'dead');
    await dead!.kill();
    const cfg = (opt: string): string =>
      `  retries 3\n  ${opt}\n  server dead 127.0.0.1:${dead!.port}\n  server a 127.0.0.1:${a!.port} backup`;
    // Failures on `dead` before the client is served: the first try plus each retry kept there.
    const failuresWith = async (opt: string): Promise<number> => {
      const { port, rec } = await engine(cfg(opt));
      assert.equal(await request(port, 'x'), 'a:x');
      return rec.counters.get('halo_lb_connect_errors_total') ?? 0;
    };
    assert.equal(await failuresWith('option redispatch'), 3, 'default -1: the third (last) retry redispatches');
    assert.equal(await failuresWith('option redispatch 1'), 1, 'every retry redispatches');
    assert.equal(await failuresWith('option redispatch 2'), 2, 'the second retry redispatches');
  });

  it('with two active servers (roundrobin) the first retry already leaves the failed one', async () => {
    const [a, dead] = await backends('a', 'dead');
    await dead!.kill();
    const { port, rec } = await engine(
      `  retries 3\n  option redispatch\n  server dead 127.0.0.1:${dead!.port}\n  server a 127.0.0.1:${a!.port}`,
    );
    for (let i = 0; i < 4; i++) assert.equal(await request(port, 'x'), 'a:x');
    // Every client that was sent to `dead` failed there once and was redispatched on its first retry.
    assert.equal(rec.counters.get('halo_lb_connect_errors_total'), rec.counters.get('halo_lb_redispatches_total'));
    assert.ok((rec.counters.get('halo_lb_redispatches_total') ?? 0) >= 1);
  });
});

describe('proxy engine: server state, maxconn and the queue', () => {
  it('a server marked down gets no new connections; shutdown-sessions cuts its open ones', async () => {
    const [a, b] = await backends('a', 'b');
    const { dp, port } = await engine(
      `  balance roundrobin\n  server a 127.0.0.1:${a!.port} on-marked-down shutdown-sessions\n  server b ` +
        `127.0.0.1:${b!.port}`,
    );
    const held = await hold(port, 'held');
    await sleep(50);
    assert.equal(a!.open.size, 1);
    dp.updateServer({ backend: 'p', server: 'a', up: false });
    assert.equal(await held.finish(), '', 'the session on a was cut');
    assert.deepEqual(await Promise.all([request(port, '1'), request(port, '2')]), ['b:1', 'b:2']);
  });

  it('excess connections wait in order for a slot, or leave at the queue timeout', async () => {
    const [a] = await backends('a');
    const { port, rec } = await engine(`  timeout queue 600\n  server a 127.0.0.1:${a!.port} maxconn 1`);
    const first = await hold(port, 'first');
    await sleep(30);
    const order: string[] = [];
    const second = request(port, 'second').then((r) => order.push(r));
    await sleep(30);
    const third = request(port, 'third').then((r) => order.push(r));
    await sleep(100);
    assert.equal(a!.accepted, 1, 'queued clients are not connected yet');
    assert.equal(await first.finish(), 'a:first');
    await Promise.all([second, third]);
    assert.deepEqual(order, ['a:second', 'a:third']);

    const blocker = await hold(port, 'b');
    await sleep(30);
    const t0 = Date.now();
    await assert.rejects(request(port, 'late'));
    const waited = Date.now() - t0;
    assert.ok(waited >= 550 && waited < 1500, `queue timeout after ${waited} ms`);
    assert.equal(rec.counters.get('halo_lb_queue_timeouts_total'), 1);
    await blocker.finish();
  });

  it('balance source: a full server queues its clients up to maxqueue, then they go to another server', async () => {
    const [a, b] = await backends('a', 'b');
    const run = async (
      maxqueue: string,
    ): Promise<{ third: string | null; served: Backend; other: Backend; finish: () => Promise<string> }> => {
      const { port } = await engine(
        `  balance source\n  timeout queue 3s\n` +
          `  server a 127.0.0.1:${a!.port} maxconn 1${maxqueue}\n  server b 127.0.0.1:${b!.port} maxconn 1${maxqueue}`,
      );
      const before = { a: a!.accepted, b: b!.accepted };
      const first = await hold(port, 'first');
      await sleep(50);
      // Every client comes from 127.0.0.1: the hash sends them all to one server.
      const served = a!.accepted > before.a ? a! : b!;
      const other = served === a ? b! : a!;
      const second = request(port, 'second');
      await sleep(50);
      const third = await Promise.race([request(port, 'third'), sleep(400).then(() => null)]);
      return {
        third,
        served,
        other,
        finish: async () => {
          assert.equal(await first.finish(), `${served.name}:first`);
          return second;
        },
      };
    };
    const limited = await run(' maxqueue 1');
    assert.equal(limited.third, `${limited.other.name}:third`, 'the queue of one was full: redispatched at once');
    assert.equal(await limited.finish(), `${limited.served.name}:second`, 'the queued client keeps its server');

    const unlimited = await run('');
    assert.equal(unlimited.third, null, 'without maxqueue the third client waits for its server');
    await unlimited.finish();
  });

  it('backups serve only when every primary is down', async () => {
    const [p, bk] = await backends('p', 'bk');
    const { dp, port } = await engine(`  server p 127.0.0.1:${p!.port}\n  server bk 127.0.0.1:${bk!.port} backup`);
    assert.equal(await request(port, 'x'), 'p:x');
    dp.updateServer({ backend: 'p', server: 'p', up: false });
    assert.equal(await request(port, 'y'), 'bk:y');
    dp.updateServer({ backend: 'p', server: 'p', up: true });
    assert.equal(await request(port, 'z'), 'p:z');
  });
});

describe('proxy engine: listeners follow the VIP', () => {
  it('a bind on a managed address listens only while it is present', async () => {
    const [a] = await backends('a');
    const port = await freePort();
    const { dp } = await runEngine(
      `listen v\n  mode tcp\n  bind 127.0.0.9:${port}\n  server a 127.0.0.1:${a!.port}\n`,
      { managed: ['127.0.0.9'], present: [] },
    );
    const refused = (): Promise<boolean> =>
      new Promise((r) => {
        const s = connect(port, '127.0.0.9');
        s.on('connect', () => {
          s.destroy();
          r(false);
        });
        s.on('error', () => r(true));
      });
    assert.equal(await refused(), true);
    dp.setVip('127.0.0.9', true);
    await sleep(50);
    assert.equal(await refused(), false);
    dp.setVip('127.0.0.9', false);
    await sleep(20);
    assert.equal(await refused(), true);
  });
});
