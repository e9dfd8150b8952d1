import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ErrorDiagnostic } from '../../src/config/diagnostics.js';
import { parseHaproxyCfg, parseHaproxyText } from '../../src/config/haproxy/parse.js';
import { type HaloErrorCode, isHaloError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/haproxy/', import.meta.url));

/** Runs a parse that must fail and returns its one HaloError's diagnostics as [code, line, message]. */
function errorsOf(parse: () => unknown): {
  code: HaloErrorCode;
  message: string;
  found: [HaloErrorCode, number, string][];
} {
  try {
    parse();
  } catch (err) {
    assert.ok(isHaloError(err), 'throws a HaloError');
    const diagnostics = err.context.diagnostics as ErrorDiagnostic[];
    return { code: err.code, message: err.message, found: diagnostics.map((d) => [d.code, d.pos.line, d.message]) };
  }
  assert.fail('expected the parse to throw');
}

const V = 'HALO_E_CONFIG_VALUE';
const S = 'HALO_E_CONFIG_SYNTAX';
const R = 'HALO_E_CONFIG_REF';

describe('haproxy.cfg errors', () => {
  it('collects every error of errors.cfg and throws once, each with its code and file:line', () => {
    const file = join(FIXTURES, 'errors.cfg');
    const { code, message, found } = errorsOf(() => parseHaproxyCfg(file));
    assert.equal(code, S, 'the error takes the code of the first finding (the unterminated quote)');
    const byLine = found.map(([c, line, text]) => [line, c, text] as const).sort((a, b) => a[0] - b[0]);
    const expected: [number, HaloErrorCode, RegExp][] = [
      [3, V, /'maxconn' expects one integer/],
      [5, V, /mode 'udp' is not tcp or http/],
      [6, V, /unknown time unit 'x'/],
      [7, V, /timer overflow in '30d'/],
      [8, V, /'retries': 'many' is not an integer/],
      [10, V, /'192\.0\.2\.256' is not an IPv4 or IPv6 address/],
      [11, V, /port '70000' is not a number in 1\.\.65535/],
      [12, V, /a port is required/],
      [13, R, /unknown backend 'nowhere'/],
      [15, R, /frontend 'f_no_backend' has no backend/],
      [18, V, /unknown balance algorithm 'wrr'/],
      [19, V, /'weight': '257' is not an integer in 0\.\.256/],
      [20, V, /another server named 's1' was already defined at line 19/],
      [21, V, /'inter': '0' must be greater than 0/],
      [22, V, /'check' needs a port/],
      [23, V, /'db\.example\.com' is not an IPv4 or IPv6 address/],
      [24, V, /'rise': '0'/],
      [24, V, /'fall': '-1'/],
      [25, S, /'option mysql-check' expects 'user <username>'/],
      [26, V, /'stats auth' expects <user>:<password>/],
      [28, S, /unterminated double quote/],
      [29, R, /no defaults section named 'nowhere'/],
    ];
    assert.equal(byLine.length, expected.length, `found: ${JSON.stringify(byLine)}`);
    expected.forEach(([line, c, re], i) => {
      const [gotLine, gotCode, text] = byLine[i]!;
      assert.deepEqual([gotLine, gotCode], [line, c], `finding ${i}: ${text}`);
      assert.match(text, re);
      assert.ok(message.includes(`${file}:${line}: ${text}`), `the thrown message lists ${file}:${line}`);
    });
  });

  it('an unknown keyword is a warning with its own code, never an error', () => {
    const text = 'global\n  tune.bufsize 16384\nbackend b\n  frobnicate yes\n  server s 192.0.2.1:80 frob\n';
    const { config, warnings } = parseHaproxyText(text, 'w.cfg');
    assert.equal(config.backends[0]?.servers.length, 1);
    const U = 'HALO_W_CONFIG_UNKNOWN_KEYWORD';
    assert.deepEqual(
      warnings.map((w) => [w.severity, w.code, w.pos.line, w.message]),
      [
        ['warning', U, 2, "unknown keyword 'tune.bufsize' in 'global' section; ignored"],
        ['warning', U, 4, "unknown keyword 'frobnicate yes' in 'backend' section; ignored"],
        ['warning', U, 5, "unknown server setting 'frob' ignored"],
      ],
    );
  });

  it('a known haproxy setting halo does not implement is skipped with its argument', () => {
    const { config, warnings } = parseHaproxyText('backend b\n  server s 192.0.2.1:80 cookie abc check\n', 'c.cfg');
    assert.equal(config.backends[0]?.servers[0]?.check, true);
    assert.deepEqual(
      warnings.map((w) => [w.code, w.message]),
      [['HALO_W_CONFIG_UNSUPPORTED', "server setting 'cookie' is not supported by halo; ignored"]],
    );
  });

  it('balance random(<draws>) falls back to random with a warning; other algorithms are errors', () => {
    const { config, warnings } = parseHaproxyText('backend b\n  balance random(2)\n  server s 192.0.2.1:80\n', 'r.cfg');
    assert.equal(config.backends[0]?.balance, 'random');
    assert.deepEqual(
      warnings.map((w) => w.pos.line),
      [2],
    );
    const { found } = errorsOf(() => parseHaproxyText('backend b\n  balance uri\n', 'u.cfg'));
    assert.deepEqual(
      found.map(([c, line]) => [c, line]),
      [[V, 2]],
    );
  });

  it('a keyword outside its capability is ignored with a warning, as haproxy does', () => {
    const text =
      'frontend f\n  bind :80\n  server s 192.0.2.1:80\n  default_backend b\nbackend b\n  bind :81\n' +
      '  server s 192.0.2.1:80\n';
    const { config, warnings } = parseHaproxyText(text, 'cap.cfg');
    assert.deepEqual(config.frontends[0]?.binds.length, 1);
    assert.deepEqual(
      warnings.map((w) => [w.code, w.pos.line, w.message]),
      [
        ['HALO_W_CONFIG_IGNORED', 3, "'server' ignored because frontend 'f' has no backend capability"],
        ['HALO_W_CONFIG_IGNORED', 6, "'bind' ignored because backend 'b' has no frontend capability"],
      ],
    );
  });

  it('refuses an http frontend switching to a tcp backend, and duplicate proxy names', () => {
    const text =
      'frontend f\n  mode http\n  bind :80\n  default_backend b\nbackend b\n  server s 192.0.2.1:80\nbackend b\n' +
      '  server s 192.0.2.1:81\n';
    const { found } = errorsOf(() => parseHaproxyText(text, 'm.cfg'));
    assert.deepEqual(
      found.map(([c, line]) => [c, line]),
      [
        [V, 7],
        [V, 4],
      ],
    );
    assert.match(found[0]![2], /backend 'b' has the same name as the backend declared at line 5/);
    assert.match(found[1]![2], /mode http but backend 'b' is in mode tcp/);
  });

  it('reports an unreadable file as HALO_E_CONFIG_IO', () => {
    assert.throws(
      () => parseHaproxyCfg(join(FIXTURES, 'does-not-exist.cfg')),
      (err: unknown) => isHaloError(err) && err.code === 'HALO_E_CONFIG_IO',
    );
  });
});

describe('haproxy.cfg words (configuration.txt 2.2)', () => {
  it('reads quotes, escapes and comments like haproxy', () => {
    const text = [
      'listen st',
      '  mode http',
      '  bind 127.0.0.1:8888',
      '  stats realm HAProxy\\ Statistics   # escaped space: one word, no warning',
      `  stats auth "ad min":'p#ss"w'\\x41rd`,
      '  stats uri /a\\#b#comment',
      '  stats admin if LOCALHOST or TRUE',
    ].join('\n');
    const { config, warnings } = parseHaproxyText(text, 'q.cfg');
    assert.deepEqual(warnings, []);
    const st = config.stats[0]!.stats;
    assert.equal(st.realm, 'HAProxy Statistics');
    assert.deepEqual(
      st.users.map((u) => [u.user, u.password]),
      [['ad min', 'p#ss"wArd']],
    );
    assert.equal(st.uri, '/a#b');
    assert.deepEqual(st.admin, { kind: 'if', text: 'LOCALHOST or TRUE', pos: { file: 'q.cfg', line: 7 } });
  });

  it('warns that environment variables are not expanded', () => {
    const { warnings } = parseHaproxyText(
      'backend b\n  server s "192.0.2.1:80" check\n  log "$LOGHOST" local0\n',
      'e.cfg',
    );
    assert.deepEqual(
      warnings.map((w) => w.pos.line),
      [3],
    );
  });

  it('reads negated http-check expect and `no option`', () => {
    const text =
      'defaults\n  option redispatch\nbackend b\n  no option redispatch\n  option httpchk /ping\n' +
      '  http-check expect ! rstring ^ERR\n  server s 192.0.2.1:80 check\n';
    const { config } = parseHaproxyText(text, 'n.cfg');
    const b = config.backends[0]!;
    assert.equal(b.options.redispatch, false);
    assert.deepEqual(b.healthCheck, {
      kind: 'http',
      method: 'OPTIONS',
      uri: '/ping',
      version: 'HTTP/1.0',
      expect: { negate: true, match: 'rstring', pattern: '^ERR', pos: { file: 'n.cfg', line: 6 } },
      pos: { file: 'n.cfg', line: 5 },
    });
  });
});
