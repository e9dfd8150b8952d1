/**
 * Server and backend options of the data path with real sockets: `option abortonclose`,
 * `on-marked-up shutdown-backup-sessions`, per-server `source` and `weight` changes from checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends, runEngine } from './engineHarness.js';
import { freePort, hold, request, sleep } from './tcpFixtures.js';

async function listen(body: string): Promise<{
  port: number;
  dp: Awaited<ReturnType<typeof runEngine>>['dp'];
  rec: Awaited<ReturnType<typeof runEngine>>['rec'];
}> {
  const port = await freePort();
  const { dp, rec } = await runEngine(
    `defaults\n  mode tcp\n  timeout connect 300\n  timeout client 5s\n  timeout server 5s\nlisten p\n` +
      `  bind 127.0.0.1:${port}\n${body}\n`,
  );
  return { port, dp, rec };
}

describe('option abortonclose (configuration.txt 4.2)', () => {
  for (const abort of [false, true]) {
    it(`a queued client that half-closes is ${abort ? 'dropped with it' : 'still served without it'}`, async () => {
      const [q] = await backends('q');
      const { port } = await listen(
        `  timeout queue 3s\n${abort ? '  option abortonclose\n' : ''}  server q 127.0.0.1:${q!.port} maxconn 1`,
      );
      const first = await hold(port, 'a');
      await sleep(50);
      // Sends, half-closes at once and waits in the queue behind `first`.
      const second = request(port, 'b', 3_000).then(
        (answer) => ({ answer }),
        (err: Error) => ({ error: err.message }),
      );
      await sleep(100);
      assert.equal(await first.finish(), 'q:a');
      const outcome = await second;
      if (abort) assert.deepEqual(outcome, { error: 'connection closed without an answer' });
      else assert.deepEqual(outcome, { answer: 'q:b' });
      assert.equal(q!.accepted, abort ? 1 : 2, 'an aborted client never reaches the server');
    });
  }
});

describe('on-marked-up shutdown-backup-sessions', () => {
  it('a primary coming back UP cuts the sessions its backup was carrying', async () => {
    const [p, b] = await backends('p', 'b');
    const { port, dp } = await listen(
      `  server p 127.0.0.1:${p!.port} on-marked-up shutdown-backup-sessions\n  server b 127.0.0.1:${b!.port} backup`,
    );
    dp.updateServer({ backend: 'p', server: 'p', up: false });
    const onBackup = await hold(port, 'x');
    await sleep(50);
    assert.equal(b!.open.size, 1, 'the session went to the backup');
    const cut = Promise.race([onBackup.finish(), sleep(2_000).then(() => 'still open')]);
    dp.updateServer({ backend: 'p', server: 'p', up: true });
    assert.equal(await cut, '', 'closed by the proxy, with no answer');
    assert.equal(await request(port, 'y'), 'p:y', 'new clients go to the primary');
  });

  it('without it the backup keeps its sessions', async () => {
    const [p, b] = await backends('p', 'b');
    const { port, dp } = await listen(`  server p 127.0.0.1:${p!.port}\n  server b 127.0.0.1:${b!.port} backup`);
    dp.updateServer({ backend: 'p', server: 'p', up: false });
    const onBackup = await hold(port, 'x');
    await sleep(50);
    dp.updateServer({ backend: 'p', server: 'p', up: true });
    await sleep(100);
    assert.equal(b!.open.size, 1);
    assert.equal(await onBackup.finish(), 'b:x');
  });
});

describe('server source and weight', () => {
  it('source <addr> is the address the server sees the connection from', async () => {
    const [s] = await backends('s');
    const { port } = await listen(`  server s 127.0.0.1:${s!.port} source 127.0.0.2`);
    const client = await hold(port, 'x');
    await sleep(50);
    assert.deepEqual(
      [...s!.open].map((sock) => sock.remoteAddress),
      ['127.0.0.2'],
    );
    assert.equal(await client.finish(), 's:x');
  });

  it('a weight set at run time (a dynamic-weight check) changes the roundrobin share at once', async () => {
    const [a, b] = await backends('a', 'b');
    const { port, dp } = await listen(
      `  balance roundrobin\n  server a 127.0.0.1:${a!.port} weight 1\n  server b 127.0.0.1:${b!.port} weight 1`,
    );
    dp.updateServer({ backend: 'p', server: 'a', weight: 3 });
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) picks.push((await request(port, 'x')).split(':')[0]!);
    assert.deepEqual(
      [picks.filter((x) => x === 'a').length, picks.filter((x) => x === 'b').length],
      [6, 2],
      picks.join(' '),
    );
    dp.updateServer({ backend: 'p', server: 'a', weight: 0 });
    for (let i = 0; i < 3; i++) assert.equal(await request(port, 'y'), 'b:y', 'weight 0: no new connections');
  });
});
