import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { parseHaproxyText } from '../../src/config/haproxy/parse.js';
import type { LbAclTerm, LbAclTest, LbFrontend } from '../../src/config/lb.model.js';
import { isHaloError } from '../../src/errors.js';

/** Line 1 is `frontend f`, so a body's first line is line 3 of the file. */
const head = 'frontend f\n  bind 127.0.0.1:8080\n';
const tail = '  default_backend main\nbackend main\n  server s 192.0.2.1:80\nbackend spare\n  server s 192.0.2.2:80\n';
const cfg = (body: string): string => `${head}${body}\n${tail}`;

function frontendOf(body: string): { f: LbFrontend; warnings: string[] } {
  const { config, warnings } = parseHaproxyText(cfg(body), 't.cfg');
  return { f: config.frontends[0]!, warnings: warnings.map((w) => `${w.pos.line}: ${w.message}`) };
}

/** The errors of a parse that must fail, as `line: message`. */
function errorsOf(text: string): string[] {
  try {
    parseHaproxyText(text, 't.cfg');
  } catch (err) {
    assert.ok(isHaloError(err));
    return (err.context.diagnostics as Diagnostic[]).map((d) => `${d.pos.line}: ${d.message}`);
  }
  assert.fail(`expected an error for:\n${text}`);
}

/** A test without its position, for compact expectations. */
const bare = ({ pos: _pos, ...t }: LbAclTest): Omit<LbAclTest, 'pos'> => t;
/** A condition's groups as `[!]acl` names. */
const shape = (anyOf: LbAclTerm[][]): string[][] => anyOf.map((g) => g.map((t) => `${t.negate ? '!' : ''}${t.acl}`));

describe('haproxy acl lines', () => {
  it('reads addresses, networks and ports into typed patterns', () => {
    const { f } = frontendOf(
      [
        '  acl nets src 192.0.2.7 198.51.100.0/24 203.0.113.0/255.255.255.128 2001:db8::/32 ::ffff:192.0.2.9',
        '  acl ports dst_port 80 1024:2048 3000- :22 8000: lt 10 12 gt 60000 ge 50000 le 5 eq 7',
        '  acl local dst -n 127.0.0.1',
        '  acl fallback nbsrv(main) -m int lt 1',
        '  acl any src -m found',
        '  acl some nbsrv(spare) -m bool',
        '  acl dash src_port -- 5',
      ].join('\n'),
    );
    assert.deepEqual(
      f.acls.map((a) => [a.name, a.tests.map(bare)]),
      [
        [
          'nets',
          [
            {
              fetch: 'src',
              backend: null,
              match: {
                method: 'ip',
                networks: [
                  { family: 4, address: '192.0.2.7', prefix: 32 },
                  { family: 4, address: '198.51.100.0', prefix: 24 },
                  { family: 4, address: '203.0.113.0', prefix: 25 },
                  { family: 6, address: '2001:db8::', prefix: 32 },
                  { family: 6, address: '::ffff:192.0.2.9', prefix: 128 },
                ],
              },
            },
          ],
        ],
        [
          'ports',
          [
            {
              fetch: 'dst_port',
              backend: null,
              match: {
                method: 'int',
                ranges: [
                  { min: 80, max: 80 },
                  { min: 1024, max: 2048 },
                  { min: 3000, max: null },
                  { min: null, max: 22 },
                  { min: 8000, max: null },
                  // An operator applies to every value after it (7.1.2).
                  { min: null, max: 9 },
                  { min: null, max: 11 },
                  { min: 60001, max: null },
                  { min: 50000, max: null },
                  { min: null, max: 5 },
                  { min: 7, max: 7 },
                ],
              },
            },
          ],
        ],
        [
          'local',
          [
            {
              fetch: 'dst',
              backend: null,
              match: { method: 'ip', networks: [{ family: 4, address: '127.0.0.1', prefix: 32 }] },
            },
          ],
        ],
        ['fallback', [{ fetch: 'nbsrv', backend: 'main', match: { method: 'int', ranges: [{ min: null, max: 0 }] } }]],
        ['any', [{ fetch: 'src', backend: null, match: { method: 'found' } }]],
        ['some', [{ fetch: 'nbsrv', backend: 'spare', match: { method: 'bool' } }]],
        ['dash', [{ fetch: 'src_port', backend: null, match: { method: 'int', ranges: [{ min: 5, max: 5 }] } }]],
      ],
    );
  });

  it('ORs the lines of one name in order, later lines included, as haproxy does', () => {
    const { f } = frontendOf(
      '  acl a src 192.0.2.1\n  acl a dst_port 80\n  use_backend spare if a\n  acl a src_port 9',
    );
    assert.deepEqual(
      f.acls[0]!.tests.map((t) => [t.fetch, t.pos.line]),
      [
        ['src', 3],
        ['dst_port', 4],
        ['src_port', 6],
      ],
    );
    assert.equal(f.useBackends[0]!.condition!.anyOf[0]![0]!.tests.length, 3, 'the rule sees every line of the name');
  });

  it('nbsrv without a backend counts the servers of its own listen section', () => {
    const { config } = parseHaproxyText(
      'listen l\n  bind 127.0.0.1:8080\n  server s 192.0.2.1:80\n  use_backend spare if { nbsrv lt 1 }\n' +
        'backend spare\n  server s 192.0.2.2:80\n',
      't.cfg',
    );
    assert.equal(config.frontends[0]!.useBackends[0]!.condition!.anyOf[0]![0]!.tests[0]!.backend, 'l');
  });

  it('warns, as haproxy does, about a criterion without pattern and about patterns a method ignores', () => {
    const { warnings } = frontendOf('  acl none src\n  acl quiet src --\n  acl b dst_port -m bool 5');
    assert.deepEqual(warnings, [
      "3: acl 'none': 'src' has no pattern, so it never matches (add '-m found' or '--')",
      "5: acl 'b': patterns '5' are ignored by '-m bool'",
    ]);
  });
});

describe('haproxy conditions', () => {
  it('builds the disjunctive form: spaces AND, or/|| OR, ! negates, { } is an anonymous ACL', () => {
    const { f, warnings } = frontendOf(
      [
        '  acl a src 192.0.2.0/24',
        '  acl b dst_port 80',
        '  acl c src_port 1:1023',
        '  use_backend spare if a b || !c OR { src 198.51.100.1 } ! b !!a or !{ dst_port 443 }',
        '  use_backend main unless LOCALHOST',
      ].join('\n'),
    );
    const [first, second] = f.useBackends;
    assert.deepEqual(shape(first!.condition!.anyOf), [
      ['a', 'b'],
      ['!c'],
      ['{ src 198.51.100.1 }', '!b', 'a'],
      ['!{ dst_port 443 }'],
    ]);
    assert.equal(
      first!.condition!.text,
      'a b || !c OR { src 198.51.100.1 } ! b !!a or !{ dst_port 443 }',
      'the text is kept for the stats page',
    );
    assert.equal(second!.condition!.kind, 'unless');
    assert.deepEqual(second!.condition!.anyOf[0]![0]!.tests.map(bare), [
      {
        fetch: 'src',
        backend: null,
        match: {
          method: 'ip',
          networks: [
            { family: 4, address: '127.0.0.1', prefix: 8 },
            { family: 6, address: '::1', prefix: 128 },
          ],
        },
      },
    ]);
    assert.ok(!warnings.some((w) => /not evaluated/.test(w)), 'conditions are no longer "kept but not evaluated"');
  });

  it(
    'knows TRUE and FALSE; an ACL declared above a rule overrides a predefined one; ' +
      'a lone ! is an empty condition',
    () => {
      const fetches = (body: string): string[][][] =>
        frontendOf(body).f.useBackends.map((u) =>
          u.condition!.anyOf.map((g) => g.map((t) => t.tests.map((x) => x.fetch).join())),
        );
      assert.deepEqual(fetches('  use_backend spare if TRUE FALSE\n  use_backend main if !'), [
        [['always_true', 'always_false']],
        [],
      ]);
      assert.deepEqual(fetches('  acl TRUE always_false\n  use_backend main if TRUE'), [[['always_false']]]);
    },
  );

  it('a frontend with only conditional rules and no default_backend loads with a warning', () => {
    const { config, warnings } = parseHaproxyText(
      'frontend f\n  bind 127.0.0.1:8080\n  use_backend b if LOCALHOST\nbackend b\n  server s 192.0.2.1:80\n',
      't.cfg',
    );
    assert.equal(config.frontends[0]!.defaultBackend, null);
    assert.deepEqual(
      warnings.map((w) => [w.pos.line, w.message]),
      [[1, "frontend 'f' has no 'default_backend': a connection no 'use_backend' rule matches is closed"]],
    );
  });
});

describe('haproxy acl errors, each with its line', () => {
  const cases: [string, string, string][] = [
    ['unknown criterion', '  acl x foo_bar 1', "3: acl 'x': criterion 'foo_bar' is not available in halo's mode tcp"],
    [
      'TLS SNI (layer 6)',
      '  acl x req.ssl_sni -i a.example',
      "3: acl 'x': criterion 'req.ssl_sni' is not available in halo's mode tcp",
    ],
    [
      'an HTTP header',
      '  use_backend spare if { hdr(host) -i a.example }',
      "3: { hdr(host) -i a.example }: criterion 'hdr(host)' is not available",
    ],
    ['an HTTP path', '  acl x path_beg /api', "3: acl 'x': criterion 'path_beg' is not available"],
    [
      'a predefined HTTP ACL',
      '  use_backend spare if METH_GET',
      "3: predefined ACL 'METH_GET': criterion 'method' is not available",
    ],
    [
      'a converter',
      '  acl x src,ipmask(24) 192.0.2.0',
      "3: acl 'x': converters ('src,ipmask(24)') are not supported by halo",
    ],
    [
      'an IPv4 prefix over 32',
      '  acl x src 192.0.2.0/33',
      "3: acl 'x': '192.0.2.0/33' is not a valid IPv4 or IPv6 address or network",
    ],
    [
      'an IPv6 prefix over 128',
      '  acl x src 2001:db8::/129',
      "3: acl 'x': '2001:db8::/129' is not a valid IPv4 or IPv6 address",
    ],
    [
      'a host name',
      '  acl x src localhost',
      "3: acl 'x': 'localhost' is not a valid IPv4 or IPv6 address or network (halo reads literal addresses only)",
    ],
    ['an abbreviated IPv4 address', '  acl x src 10.12', "3: acl 'x': '10.12' is not a valid"],
    [
      'a non-contiguous netmask',
      '  acl x src 10.0.0.0/255.0.255.0',
      "3: acl 'x': '10.0.0.0/255.0.255.0': the netmask 255.0.255.0 is not contiguous",
    ],
    ['a reversed port range', '  acl x dst_port 90:80', "3: acl 'x': '90:80' is not a number, a number range"],
    ['a lone colon', '  acl x dst_port :', "3: acl 'x': ':' is not a number"],
    ['a port word', '  acl x dst_port http', "3: acl 'x': 'http' is not a number"],
    ['an undefined ACL', '  use_backend spare if nope', "3: condition 'if nope': no such ACL: 'nope'"],
    [
      'an ACL declared after its rule',
      '  use_backend spare if late\n  acl late src 192.0.2.1',
      "3: condition 'if late': ACL 'late' is declared at line 4, after this rule",
    ],
    [
      "'&&', which haproxy does not have",
      '  use_backend spare if TRUE && TRUE',
      "3: condition 'if TRUE && TRUE': no such ACL: '&&'",
    ],
    [
      'a missing closing brace',
      '  use_backend spare if { src 192.0.2.1',
      "3: condition 'if { src 192.0.2.1': missing closing '}'",
    ],
    ['empty braces', '  use_backend spare if { }', "3: condition 'if { }': '{ }' holds no criterion"],
    [
      'a pattern file',
      '  acl x src -f /etc/haproxy/nets.lst',
      "3: acl 'x': flag '-f' is not supported by halo (only -n, -m and --)",
    ],
    [
      'an unknown flag',
      '  acl x src -x 192.0.2.1',
      "3: acl 'x': '-x' is not a valid ACL flag; put '--' before a pattern that begins with '-'",
    ],
    ['an unknown method', '  acl x dst_port -m foo 1', "3: acl 'x': unknown matching method 'foo'"],
    [
      'a string method on a port',
      '  acl x dst_port -m str 80',
      "3: acl 'x': matching method 'str' is not supported by halo for 'dst_port' (use int, bool, found)",
    ],
    ['two methods', '  acl x dst_port -m int -m int 1', "3: acl 'x': only one '-m' matching method may be given"],
    [
      'nbsrv in a frontend without a backend name',
      '  acl x nbsrv lt 1',
      "3: acl 'x': 'nbsrv' counts the servers of its own section, and frontend 'f' has none",
    ],
    [
      'nbsrv of an unknown backend',
      '  acl x nbsrv(nowhere) lt 1',
      "3: frontend 'f': nbsrv(nowhere): unknown backend 'nowhere'",
    ],
    ['an argument to src', '  acl x src(1) 192.0.2.1', "3: acl 'x': 'src' takes no argument"],
    ['a bad ACL name', '  acl x/y src 192.0.2.1', "3: character '/' is not permitted in acl name 'x/y'"],
    ["an ACL named 'or'", '  acl OR src 192.0.2.1', "3: acl name 'or' would never match"],
    ['an ACL without criterion', '  acl x', "3: 'acl' expects a name and a criterion"],
  ];
  for (const [what, body, expected] of cases) {
    it(what, () => {
      const errors = errorsOf(cfg(body));
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0]!.startsWith(expected), `got: ${errors[0]}`);
    });
  }

  it('acl is refused in a defaults section, as haproxy 2.6 does', () => {
    assert.deepEqual(errorsOf(`defaults\n  acl x src 192.0.2.1\n${cfg('')}`), [
      "2: 'acl' is not allowed in a defaults section",
    ]);
  });

  it('a rule naming a broken ACL reports the ACL line only', () => {
    assert.deepEqual(errorsOf(cfg('  acl x src 192.0.2.300\n  use_backend spare if x')), [
      "3: acl 'x': '192.0.2.300' is not a valid IPv4 or IPv6 address or network (halo reads literal addresses only)",
    ]);
  });
});

const HAPROXY = '/usr/sbin/haproxy';
const skip = spawnSync(HAPROXY, ['-v']).status === 0 ? false : `${HAPROXY} is not installed`;

describe("Debian's haproxy agrees with halo on acl configs", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-acl-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** `haproxy -c`: 0 or 2 valid (2: with warnings), 1 refused. */
  const haproxyAccepts = (text: string): boolean => {
    const file = join(dir, 'acl.cfg');
    writeFileSync(file, text);
    const r = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8', timeout: 10_000 });
    return r.status !== 1;
  };
  const haloAccepts = (text: string): boolean => {
    try {
      parseHaproxyText(text, 'acl.cfg');
      return true;
    } catch {
      return false;
    }
  };

  const both: [string, boolean][] = [
    ['  acl a src 192.0.2.0/24 2001:db8::/32\n  use_backend spare if a || { dst_port 8000:8999 }', true],
    ['  acl a dst_port lt 1024\n  acl a src_port ge 60000\n  use_backend spare if !a LOCALHOST', true],
    ['  use_backend spare if { nbsrv(main) lt 1 } or FALSE', true],
    ['  use_backend spare unless { src -n 203.0.113.9 } !TRUE', true],
    ['  use_backend spare if { src 198.51.100.0/255.255.255.0 }', true],
    ['  use_backend spare if { always_true } !{ always_false }', true],
    ['  use_backend spare if nope', false],
    // always_true is a fetch, not an ACL name: it needs braces.
    ['  use_backend spare if always_true', false],
    ['  use_backend spare if late\n  acl late src 192.0.2.1', false],
    ['  acl x src 192.0.2.0/33', false],
    ['  acl x src -n 10.12', false],
    ['  acl x dst_port 90:80', false],
    ['  acl x foo_bar 1', false],
    ['  use_backend spare if { nbsrv(nowhere) lt 1 }', false],
    ['  use_backend spare if { nbsrv lt 1 }', false],
    ['  use_backend spare if { src 192.0.2.1', false],
    ['  use_backend spare if TRUE && TRUE', false],
    ['  acl or src 192.0.2.1', false],
  ];
  for (const [body, valid] of both) {
    it(`${valid ? 'both accept' : 'both refuse'}: ${body.trim().replace(/\n\s*/g, ' / ')}`, () => {
      const text = cfg(body);
      assert.equal(haproxyAccepts(text), valid, 'haproxy');
      assert.equal(haloAccepts(text), valid, 'halo');
    });
  }

  it('acl in a defaults section: both refuse', () => {
    const text = `defaults\n  acl x src 192.0.2.1\n${cfg('')}`;
    assert.deepEqual([haproxyAccepts(text), haloAccepts(text)], [false, false]);
  });

  it('layer-7 criteria: haproxy loads them in mode tcp, halo refuses them on purpose', () => {
    for (const body of [
      '  use_backend spare if { req.ssl_sni -i a.example }',
      '  acl x hdr(host) -i a.example\n  use_backend spare if x',
    ]) {
      const text = cfg(body);
      assert.deepEqual([haproxyAccepts(text), haloAccepts(text)], [true, false], body);
    }
  });
});
