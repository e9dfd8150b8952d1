import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHaproxyText } from '../../../src/config/haproxy/parse.js';
import { BackendPool } from '../../../src/io/proxy/backendPool.js';
import { backends, runEngine } from './engineHarness.js';
import { freePort, request } from './tcpFixtures.js';

const DEFAULTS = 'defaults\n  mode tcp\n  timeout connect 300\n  timeout client 5s\n  timeout server 5s\n';

describe('proxy engine: use_backend conditions, per connection', () => {
  it('routes by the port the client connected to (two binds, dst_port), and `unless` inverts', async () => {
    const [a, b] = await backends('a', 'b');
    const [p1, p2] = [await freePort(), await freePort()];
    const servers = `backend b1\n  server a 127.0.0.1:${a!.port}\nbackend b2\n  server b 127.0.0.1:${b!.port}\n`;
    const binds = `  bind 127.0.0.1:${p1}\n  bind 127.0.0.1:${p2}\n`;
    const rIf = await runEngine(
      `${DEFAULTS}frontend f\n${binds}  use_backend b2 if { dst_port ${p2} }\n  default_backend b1\n${servers}`,
    );
    assert.deepEqual([await request(p1, '1'), await request(p2, '2'), await request(p1, '3')], ['a:1', 'b:2', 'a:3']);
    await rIf.dp.stop();

    await runEngine(
      `${DEFAULTS}frontend f\n${binds}  use_backend b2 unless { dst_port ${p1} }\n  default_backend b1\n${servers}`,
    );
    assert.deepEqual([await request(p1, '1'), await request(p2, '2')], ['a:1', 'b:2']);
  });

  it('nbsrv(main) lt 1 switches to the spare backend while main has no usable server, backups counted', async () => {
    const [m, mb, s] = await backends('m', 'mb', 's');
    const port = await freePort();
    const { dp } = await runEngine(
      `${DEFAULTS}frontend f\n  bind 127.0.0.1:${port}\n  use_backend spare if { nbsrv(main) lt 1 }\n` +
        `  default_backend main\n` +
        `backend main\n  server m 127.0.0.1:${m!.port}\n  server mb 127.0.0.1:${mb!.port} backup\nbackend spare\n` +
        `  server s 127.0.0.1:${s!.port}\n`,
    );
    assert.equal(await request(port, 'x'), 'm:x');
    dp.updateServer({ backend: 'main', server: 'm', up: false });
    assert.equal(await request(port, 'x'), 'mb:x', "main's backup still counts as a usable server");
    dp.updateServer({ backend: 'main', server: 'mb', up: false });
    assert.equal(await request(port, 'x'), 's:x', 'no usable server in main: spare');
    dp.updateServer({ backend: 'main', server: 'm', up: true });
    assert.equal(await request(port, 'x'), 'm:x', 'and back when main comes up');
  });

  it(
    'LOCALHOST and src 127.0.0.0/8 match loopback clients, IPv4-mapped ones included; ' + '::1 only LOCALHOST',
    async () => {
      const [local, v6, other] = await backends('local', 'v6', 'other');
      const [p4, pMapped, p6] = [await freePort(), await freePort(), await freePort()];
      await runEngine(
        `${DEFAULTS}frontend f\n  bind 127.0.0.1:${p4}\n  bind [::ffff:127.0.0.1]:${pMapped}\n  bind [::1]:${p6}\n` +
          '  use_backend local if { src 127.0.0.0/8 }\n  use_backend v6 if LOCALHOST\n  default_backend other\n' +
          `backend local\n  server s 127.0.0.1:${local!.port}\nbackend v6\n  server s 127.0.0.1:${v6!.port}\n` +
          `backend other\n  server s 127.0.0.1:${other!.port}\n`,
      );
      // The mapped listener sees the client as ::ffff:127.0.0.1, which haproxy matches against IPv4 patterns.
      assert.deepEqual(
        [await request(p4, '4'), await request(pMapped, 'm'), await request(p6, '6', 5_000, '::1')],
        ['local:4', 'local:m', 'v6:6'],
      );
      assert.equal(other!.accepted, 0);
    },
  );

  it('no rule matches and no default_backend: the client is closed and counted', async () => {
    const [a] = await backends('a');
    const [p1, p2] = [await freePort(), await freePort()];
    const { rec } = await runEngine(
      `${DEFAULTS}frontend f\n  bind 127.0.0.1:${p1}\n  bind 127.0.0.1:${p2}\n  use_backend b if { dst_port ${p1} }\n` +
        `backend b\n  server a 127.0.0.1:${a!.port}\n`,
    );
    assert.equal(await request(p1, 'x'), 'a:x');
    await assert.rejects(request(p2, 'y'));
    assert.equal(rec.counters.get('halo_lb_no_backend_total'), 1);
    assert.equal(a!.accepted, 1);
  });
});

describe('nbsrv counts like haproxy (be_usable_srv)', () => {
  const pool = (options: string): BackendPool => {
    const text =
      `backend b\n${options}  server a1 192.0.2.1:80\n  server a2 192.0.2.2:80\n` +
      `  server k1 192.0.2.3:80 backup\n  server k2 192.0.2.4:80 backup\n`;
    return new BackendPool(parseHaproxyText(text, 't.cfg').config.backends[0]!, () => 0);
  };

  it('usable active servers; with none, the first usable backup, or every usable one with allbackups', () => {
    for (const [options, backupsCount] of [
      ['', 1],
      ['  option allbackups\n', 2],
    ] as const) {
      const p = pool(options);
      const counts = [p.usableCount()];
      p.update({ backend: 'b', server: 'a1', up: false });
      counts.push(p.usableCount());
      p.update({ backend: 'b', server: 'a2', admin: 'maint' });
      counts.push(p.usableCount());
      p.update({ backend: 'b', server: 'k1', up: false });
      counts.push(p.usableCount());
      p.update({ backend: 'b', server: 'k2', up: false });
      counts.push(p.usableCount());
      assert.deepEqual(counts, [2, 1, backupsCount, 1, 0], options || 'without allbackups');
    }
  });
});
