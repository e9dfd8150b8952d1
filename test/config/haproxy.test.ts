import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseHaproxyCfg, parseHaproxyText } from '../../src/config/haproxy/parse.js';
import type { LbBackend, LbConfig } from '../../src/config/lb.model.js';

// Compiled to dist/test/config/; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/haproxy/', import.meta.url));

function backendNamed(config: LbConfig, name: string): LbBackend {
  const b = config.backends.find((x) => x.name === name);
  assert.ok(b, `backend ${name} exists`);
  return b;
}

describe("the seed's haproxy.cfg", () => {
  const file = join(FIXTURES, 'seed.cfg');
  const { config, warnings } = parseHaproxyCfg(file);

  it('loads although Debian haproxy 2.6 refuses it, warning that nbproc is ignored', () => {
    const nbproc = warnings.find((w) => w.message.includes('nbproc'));
    assert.deepEqual(nbproc?.pos, { file, line: 10 });
    assert.match(nbproc.message, /ignored/);
    assert.equal(config.global.maxconn, 51200);
    assert.deepEqual(
      config.global.ignored.map((i) => [i.keyword, i.pos.line]),
      [
        ['daemon', 8],
        ['nbproc', 10],
        ['pidfile', 11],
      ],
    );
  });

  it('turns listen proxy into a frontend on 10.1.6.173:3366 feeding the backend of the same name', () => {
    assert.equal(config.frontends.length, 1);
    const f = config.frontends[0]!;
    assert.equal(f.name, 'proxy');
    assert.equal(f.section, 'listen');
    assert.equal(f.mode, 'tcp');
    assert.deepEqual(f.binds, [{ host: '10.1.6.173', port: 3366, pos: { file, line: 22 } }]);
    assert.equal(f.defaultBackend, 'proxy');
    assert.deepEqual(f.useBackends, []);
    assert.deepEqual(
      config.backends.map((b) => b.name),
      ['proxy'],
    );
  });

  it('keeps roundrobin, httpchk, redispatch, abortonclose and the timeouts in ms (5000s = 5000 seconds)', () => {
    const b = backendNamed(config, 'proxy');
    assert.equal(b.section, 'listen');
    assert.equal(b.balance, 'roundrobin');
    assert.equal(b.retries, 3);
    assert.deepEqual(b.healthCheck, {
      kind: 'http',
      method: 'OPTIONS',
      uri: '/',
      version: 'HTTP/1.0',
      expect: null,
      pos: { file, line: 24 },
    });
    assert.deepEqual(b.options, {
      redispatch: true,
      redispatchInterval: -1,
      abortonclose: true,
      allbackups: false,
      logHealthChecks: false,
    });
    assert.equal(b.timeouts.connect, 5_000_000);
    assert.equal(b.timeouts.client, 50_000_000);
    assert.equal(b.timeouts.server, 50_000_000);
    assert.equal(b.timeouts.queue, 5_000_000, 'timeout queue falls back to timeout connect');
    assert.deepEqual(b.logs, [{ args: ['127.0.0.1', 'local0'], pos: { file, line: 19 } }]);
  });

  it('reads db1 and db2 with check port 9222 inter 12000 rise 3 fall 3 weight 1', () => {
    const b = backendNamed(config, 'proxy');
    assert.deepEqual(
      b.servers.map((s) => [s.name, s.host, s.port, s.pos.line]),
      [
        ['db1', '10.1.6.203', 3306, 25],
        ['db2', '10.1.6.205', 3306, 26],
      ],
    );
    for (const s of b.servers) {
      assert.equal(s.check, true);
      assert.equal(s.checkPort, 9222);
      assert.equal(s.inter, 12000);
      assert.equal(s.fastinter, 12000, 'fastinter defaults to inter');
      assert.equal(s.downinter, 12000, 'downinter defaults to inter');
      assert.equal(s.rise, 3);
      assert.equal(s.fall, 3);
      assert.equal(s.weight, 1);
      assert.equal(s.backup, false);
    }
  });

  it('makes haproxy_stats a stats listener on :8888 with uri /status, realm and a redactable password', () => {
    assert.equal(config.stats.length, 1);
    const l = config.stats[0]!;
    assert.equal(l.name, 'haproxy_stats');
    assert.equal(l.section, 'listen');
    assert.deepEqual(l.binds, [{ host: '10.1.6.173', port: 8888, pos: { file, line: 29 } }]);
    assert.equal(l.stats.uri, '/status');
    assert.equal(l.stats.realm, 'Haproxy Manager');
    assert.equal(l.stats.refresh, 5000);
    assert.deepEqual(l.stats.users, [{ user: 'admin', password: 'p@a1SZs24', pos: { file, line: 34 } }]);
    const realmWarning = warnings.find((w) => w.pos.line === 33);
    assert.match(realmWarning?.message ?? '', /haproxy reads only 'Haproxy'/);
  });

  it('is JSON-safe: a JSON round trip gives the same model, and passwords sit in `password` fields only', () => {
    const json = JSON.stringify(config);
    assert.deepEqual(JSON.parse(json), config);
    const redacted = JSON.stringify(config, (key, value) => (key === 'password' ? '[redacted]' : value));
    assert.equal(redacted.includes('p@a1SZs24'), false);
  });
});

describe('frontend/backend fixture', () => {
  const file = join(FIXTURES, 'frontend-backend.cfg');
  const { config, warnings } = parseHaproxyCfg(file);

  it('loads without warnings about the statements it uses', () => {
    assert.deepEqual(warnings, []);
  });

  it('reads every bind form: list, *:port, :port and [IPv6]:port', () => {
    const f = config.frontends.find((x) => x.name === 'mysql_in')!;
    assert.deepEqual(
      f.binds.map((b) => [b.host, b.port, b.pos.line]),
      [
        ['192.0.2.10', 3306, 26],
        ['192.0.2.11', 3306, 26],
        ['0.0.0.0', 3307, 27],
        ['0.0.0.0', 3308, 28],
        ['2001:db8::10', 3306, 29],
      ],
    );
    assert.equal(f.maxconn, 2000);
    assert.deepEqual(
      f.useBackends.map((u) => ({
        backend: u.backend,
        kind: u.condition?.kind,
        text: u.condition?.text,
        line: u.pos.line,
      })),
      [{ backend: 'mysql_primary', kind: 'if', text: 'TRUE', line: 31 }],
    );
    assert.equal(f.useBackends[0]!.condition?.anyOf[0]?.[0]?.acl, 'TRUE', 'parsed as the predefined ACL');
    assert.equal(f.defaultBackend, 'mysql_all');
    assert.deepEqual(f.options, { tcplog: true, httplog: false, dontlognull: true });
    assert.deepEqual(f.timeouts, {
      connect: 3000,
      client: 60000,
      server: 60000,
      queue: 10000,
      check: 1500,
      clientFin: 5000,
      serverFin: 5000,
      tunnel: 3_600_000,
    });
  });

  it('applies default-server to the servers after it, and mysql-check with its user', () => {
    const b = backendNamed(config, 'mysql_primary');
    assert.equal(b.balance, 'first');
    assert.equal(b.retries, 5);
    assert.deepEqual(b.healthCheck, { kind: 'mysql', user: 'haproxy_check', rules: null, pos: { file, line: 36 } });
    const [pri, standby] = b.servers;
    assert.deepEqual(
      [pri?.inter, pri?.fastinter, pri?.downinter, pri?.rise, pri?.fall, pri?.onError],
      [3000, 1000, 10000, 2, 4, 'mark-down'],
    );
    assert.deepEqual([standby?.backup, standby?.weight, standby?.inter], [true, 10, 3000]);
  });

  it('reads every server setting', () => {
    const b = backendNamed(config, 'mysql_all');
    assert.equal(b.balance, 'leastconn');
    assert.deepEqual(b.options, {
      redispatch: false,
      redispatchInterval: -1,
      abortonclose: false,
      allbackups: true,
      logHealthChecks: true,
    });
    assert.deepEqual(b.healthCheck, {
      kind: 'http',
      method: 'GET',
      uri: '/health',
      version: 'HTTP/1.1',
      expect: { negate: false, match: 'status', pattern: '200', pos: { file, line: 44 } },
      pos: { file, line: 43 },
    });
    const [db1, db2, db3, db4] = b.servers;
    assert.deepEqual(
      { ...db1, pos: undefined },
      {
        name: 'db1',
        host: '192.0.2.31',
        port: 3306,
        check: true,
        checkPort: 9222,
        checkAddr: '192.0.2.131',
        inter: 5000,
        fastinter: 5000,
        downinter: 5000,
        rise: 3,
        fall: 2,
        weight: 256,
        backup: false,
        maxconn: 100,
        maxqueue: 50,
        slowstart: 30000,
        sendProxy: null,
        disabled: false,
        observe: null,
        errorLimit: 10,
        onError: 'fail-check',
        onMarkedDown: null,
        onMarkedUp: null,
        source: null,
        pos: undefined,
      },
    );
    assert.deepEqual(
      [db2?.port, db2?.checkPort, db2?.observe, db2?.errorLimit, db2?.onError, db2?.onMarkedDown, db2?.onMarkedUp],
      [null, 3306, 'layer4', 5, 'sudden-death', 'shutdown-sessions', 'shutdown-backup-sessions'],
    );
    assert.deepEqual([db3?.sendProxy, db3?.source, db3?.disabled, db3?.check], ['v2', '192.0.2.1', true, false]);
    assert.deepEqual(
      [db4?.host, db4?.port, db4?.weight, db4?.sendProxy, db4?.inter],
      ['2001:db8::34', 3306, 0, 'v1', 500],
    );
  });

  it('keeps a mode http listen without stats as a frontend + backend pair', () => {
    const f = config.frontends.find((x) => x.name === 'web')!;
    assert.deepEqual([f.mode, f.section, f.defaultBackend, f.options.httplog], ['http', 'listen', 'web', true]);
    const b = backendNamed(config, 'web');
    assert.deepEqual([b.mode, b.balance, b.servers.length], ['http', 'source', 1]);
    assert.deepEqual(config.stats, []);
    assert.deepEqual(config.global.logs, [{ args: ['127.0.0.1:514', 'local0', 'info'], pos: { file, line: 5 } }]);
    assert.deepEqual(
      config.global.ignored.map((i) => i.keyword),
      ['nbthread', 'user', 'group'],
    );
  });
});

describe('defaults inheritance', () => {
  const { config } = parseHaproxyCfg(join(FIXTURES, 'defaults.cfg'));

  it('a proxy takes the defaults named with `from`', () => {
    const first = backendNamed(config, 'first');
    assert.deepEqual([first.balance, first.retries, first.options.redispatch], ['leastconn', 2, true]);
    assert.deepEqual([first.timeouts.connect, first.timeouts.server], [2000, 30000]);
    assert.deepEqual([first.servers[0]?.inter, first.servers[0]?.rise], [4000, 5]);
  });

  it('a defaults section with `from` starts from its parent and overrides it', () => {
    const second = backendNamed(config, 'second');
    assert.deepEqual(
      [second.balance, second.retries, second.timeouts.connect, second.timeouts.server],
      ['static-rr', 2, 2000, 300000],
    );
    assert.deepEqual(
      second.servers.map((s) => [s.name, s.inter, s.rise]),
      [
        ['b', 4000, 5],
        ['b2', 1000, 5],
      ],
    );
  });

  it('a bare defaults section resets to haproxy settings, and later proxies take the most recent one', () => {
    const third = backendNamed(config, 'third');
    assert.deepEqual([third.balance, third.retries, third.options.redispatch], ['roundrobin', 3, false]);
    assert.deepEqual([third.timeouts.connect, third.timeouts.server], [1000, 10000]);
    assert.deepEqual([third.servers[0]?.inter, third.servers[0]?.rise, third.servers[0]?.fall], [2000, 2, 3]);
    const front = config.frontends.find((f) => f.name === 'front')!;
    assert.deepEqual([front.timeouts.client, front.defaultBackend], [10000, 'second']);
    const fourth = backendNamed(config, 'fourth');
    assert.deepEqual([fourth.balance, fourth.timeouts.connect, fourth.servers[0]?.fall], ['source', 7000, 7]);
  });

  it('a defaults section does not leak into proxies declared before it', () => {
    const text = 'backend early\n  server a 192.0.2.1:1\ndefaults\n  retries 9\nbackend late\n  server b 192.0.2.2:1\n';
    const { config: c } = parseHaproxyText(text, 'inline.cfg');
    assert.deepEqual(
      c.backends.map((b) => [b.name, b.retries]),
      [
        ['early', 3],
        ['late', 9],
      ],
    );
  });
});

describe('option redispatch <interval> (4.2, haproxy >= 1.6)', () => {
  const options = (lines: string): LbBackend['options'] =>
    parseHaproxyText(`defaults\n  mode tcp\n${lines}backend b\n  server s 192.0.2.1:80\n`, 'r.cfg').config.backends[0]!
      .options;

  it('reads the interval, -1 (the last retry) when absent, and negative values', () => {
    assert.deepEqual(
      [options('  option redispatch\n').redispatch, options('  option redispatch\n').redispatchInterval],
      [true, -1],
    );
    assert.equal(options('  option redispatch 3\n').redispatchInterval, 3);
    assert.equal(options('  option redispatch -2\n').redispatchInterval, -2);
    assert.deepEqual(
      [options('  option redispatch 0\n').redispatch, options('  option redispatch 0\n').redispatchInterval],
      [false, 0],
      'haproxy clears the option for 0',
    );
    assert.equal(options('  option redispatch -0\n').redispatchInterval, 0);
    // Set again without an interval: back to the default, as haproxy resets redispatch_after.
    assert.equal(options('  option redispatch 3\n  option redispatch\n').redispatchInterval, -1);
    assert.equal(options('  option redispatch 3\n  no option redispatch\n').redispatch, false);
  });

  it('refuses a non-integer interval and extra words', () => {
    assert.throws(() => options('  option redispatch often\n'), /'option redispatch': 'often' is not an integer/);
    assert.throws(() => options('  option redispatch 1 2\n'), /expects 0 to 1 argument/);
  });
});
