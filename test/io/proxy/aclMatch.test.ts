import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHaproxyText } from '../../../src/config/haproxy/parse.js';
import type { LbFrontend } from '../../../src/config/lb.model.js';
import {
  backendChoice,
  type ConnectionFacts,
  compileCondition,
  constantValue,
  type NbsrvLookup,
} from '../../../src/io/proxy/aclMatch.js';

/** A frontend read from real haproxy.cfg text: the conditions come from the config parser. */
function frontendOf(body: string): LbFrontend {
  const text =
    `frontend f\n  bind 127.0.0.1:8080\n${body}\nbackend main\n  server s 192.0.2.1:80\nbackend spare\n` +
    `  server s 192.0.2.2:80\n`;
  return parseHaproxyText(text, 't.cfg').config.frontends[0]!;
}

const facts = (over: Partial<ConnectionFacts> = {}): ConnectionFacts => ({
  src: '192.0.2.10',
  srcPort: 40000,
  dst: '198.51.100.1',
  dstPort: 80,
  ...over,
});
const noServers: NbsrvLookup = () => 0;

/** Does `use_backend spare <cond>` hold for each of these facts? */
function holds(cond: string, cases: Partial<ConnectionFacts>[], nbsrv: NbsrvLookup = noServers): boolean[] {
  const c = frontendOf(`  use_backend spare ${cond}\n  default_backend main`).useBackends[0]!.condition!;
  const matcher = compileCondition(c, nbsrv);
  return cases.map((f) => matcher(facts(f)));
}

describe('ACL address matching (7.1.6)', () => {
  it('IPv4 networks: prefix, dotted mask, plain address, /0', () => {
    const srcs = ['192.0.2.77', '192.0.3.1', '198.51.100.200', '203.0.113.5'];
    const of = (cond: string): boolean[] =>
      holds(
        cond,
        srcs.map((src) => ({ src })),
      );
    assert.deepEqual(of('if { src 192.0.2.0/24 }'), [true, false, false, false]);
    assert.deepEqual(of('if { src 198.51.100.128/255.255.255.128 }'), [false, false, true, false]);
    assert.deepEqual(of('if { src 203.0.113.5 }'), [false, false, false, true]);
    assert.deepEqual(of('if { src 0.0.0.0/0 }'), [true, true, true, true]);
    assert.deepEqual(of('if { src 192.0.2.0/23 203.0.113.5 }'), [true, true, false, true], 'any pattern of the list');
  });

  it('IPv6 networks, with an interface zone dropped from the client address', () => {
    const srcs = ['2001:db8::1', '2001:db8:ffff:1::9', '2001:db9::1', 'fe80::1%lo', '::1'];
    const of = (cond: string): boolean[] =>
      holds(
        cond,
        srcs.map((src) => ({ src })),
      );
    assert.deepEqual(of('if { src 2001:db8::/32 }'), [true, true, false, false, false]);
    assert.deepEqual(of('if { src 2001:db8::/48 }'), [true, false, false, false, false]);
    assert.deepEqual(of('if { src fe80::/10 }'), [false, false, false, true, false]);
    assert.deepEqual(of('if { src ::1 }'), [false, false, false, false, true]);
    assert.deepEqual(of('if { src ::/0 }'), [true, true, true, true, true]);
  });

  it(
    'an IPv4-mapped client matches IPv4 patterns, and an IPv4 client matches ::ffff: patterns, ' + 'as haproxy does',
    () => {
      const srcs = ['::ffff:127.0.0.1', '127.0.0.1', '::127.0.0.2', '2002:c000:0207::1', '2001:db8::7f00:1'];
      const of = (cond: string): boolean[] =>
        holds(
          cond,
          srcs.map((src) => ({ src })),
        );
      // ::a.b.c.d (IPv4-compatible) and 2002:AABB:CCDD:: (6to4) carry an IPv4 address too (haproxy's v6tov4).
      assert.deepEqual(of('if { src 127.0.0.0/8 }'), [true, true, true, false, false]);
      assert.deepEqual(of('if { src 192.0.2.7 }'), [false, false, false, true, false]);
      assert.deepEqual(of('if { src ::ffff:127.0.0.0/104 }'), [true, true, false, false, false]);
      assert.deepEqual(of('if LOCALHOST'), [true, true, true, false, false]);
    },
  );

  it(
    'dst is the address the client connected to; ' + 'an unreadable address matches nothing (and ! of it everything)',
    () => {
      assert.deepEqual(holds('if { dst 198.51.100.0/24 }', [{}, { dst: '203.0.113.1' }, { dst: '' }]), [
        true,
        false,
        false,
      ]);
      assert.deepEqual(holds('if !{ dst 198.51.100.0/24 }', [{ dst: '' }]), [true]);
      assert.deepEqual(holds('if { src -m found }', [{}, { src: '' }]), [true, false]);
    },
  );
});

describe('ACL integer matching (7.1.2)', () => {
  const ports = [1, 22, 79, 80, 81, 1023, 1024, 65535];
  const of = (cond: string): number[] => {
    const matched = holds(
      cond,
      ports.map((dstPort) => ({ dstPort })),
    );
    return ports.filter((_, i) => matched[i]);
  };

  it('values, ranges and open ranges', () => {
    assert.deepEqual(of('if { dst_port 80 }'), [80]);
    assert.deepEqual(of('if { dst_port 22 80 }'), [22, 80]);
    assert.deepEqual(of('if { dst_port 80:1023 }'), [80, 81, 1023]);
    assert.deepEqual(of('if { dst_port 79-81 }'), [79, 80, 81]);
    assert.deepEqual(of('if { dst_port 1024: }'), [1024, 65535]);
    assert.deepEqual(of('if { dst_port :22 }'), [1, 22]);
  });

  it('operators apply to the values after them', () => {
    assert.deepEqual(of('if { dst_port lt 80 }'), [1, 22, 79]);
    assert.deepEqual(of('if { dst_port le 80 }'), [1, 22, 79, 80]);
    assert.deepEqual(of('if { dst_port gt 1023 }'), [1024, 65535]);
    assert.deepEqual(of('if { dst_port ge 1023 }'), [1023, 1024, 65535]);
    assert.deepEqual(of('if { dst_port eq 1 65535 }'), [1, 65535]);
    assert.deepEqual(of('if { dst_port lt 22 gt 1024 }'), [1, 65535]);
  });

  it('src_port is the client port; -m bool is non-zero', () => {
    assert.deepEqual(holds('if { src_port 40000:40010 }', [{}, { srcPort: 40011 }]), [true, false]);
    assert.deepEqual(holds('if { src_port -m bool }', [{}, { srcPort: 0 }]), [true, false]);
  });

  it('nbsrv asks the live count of the backend it names, at each evaluation', () => {
    const counts = new Map([['main', 0]]);
    const nbsrv: NbsrvLookup = (b) => counts.get(b) ?? -1;
    const c = frontendOf('  use_backend spare if { nbsrv(main) lt 1 }\n  default_backend main').useBackends[0]!
      .condition!;
    const m = compileCondition(c, nbsrv);
    assert.equal(m(facts()), true, 'main has no usable server');
    counts.set('main', 2);
    assert.equal(m(facts()), false, 'main has two again');
    assert.deepEqual(
      holds('if { nbsrv(main) -m bool }', [{}], () => 3),
      [true],
    );
  });
});

describe('ACL conditions (7.2)', () => {
  const body = ['  acl local src 127.0.0.0/8', '  acl web dst_port 80 443', '  acl high src_port 1024:'].join('\n');
  const run = (cond: string, cases: Partial<ConnectionFacts>[]): boolean[] => {
    const c = frontendOf(`${body}\n  use_backend spare ${cond}\n  default_backend main`).useBackends[0]!.condition!;
    const m = compileCondition(c, noServers);
    return cases.map((f) => m(facts(f)));
  };
  const cases: Partial<ConnectionFacts>[] = [
    { src: '127.0.0.1', dstPort: 80 },
    { src: '127.0.0.1', dstPort: 22 },
    { src: '192.0.2.1', dstPort: 80 },
    { src: '192.0.2.1', dstPort: 22, srcPort: 80 },
  ];

  it('AND, OR, negation and unless', () => {
    assert.deepEqual(run('if local web', cases), [true, false, false, false]);
    assert.deepEqual(run('if local || web', cases), [true, true, true, false]);
    assert.deepEqual(run('if !local web', cases), [false, false, true, false]);
    assert.deepEqual(run('if !local !web or local web', cases), [true, false, false, true]);
    assert.deepEqual(run('unless local', cases), [false, false, true, true]);
    assert.deepEqual(run('unless local || web', cases), [false, false, false, true]);
    assert.deepEqual(run('if high', cases), [true, true, true, false], 'a named ACL: any of its patterns');
  });

  it('an empty condition never holds, so `unless` it always does', () => {
    assert.deepEqual(run('if !', cases), [false, false, false, false]);
    assert.deepEqual(run('unless !', cases), [true, true, true, true]);
  });
});

describe('choosing the backend (4.2 use_backend)', () => {
  const choice = (rules: string, nbsrv: NbsrvLookup = noServers) => {
    const f = frontendOf(rules);
    return backendChoice(f.useBackends, f.defaultBackend, nbsrv);
  };

  it(
    'is fixed when nothing depends on the connection: no rule, ' + 'a first unconditional rule, if TRUE, FALSE rules',
    () => {
      assert.deepEqual(choice('  default_backend main'), { kind: 'fixed', backend: 'main' });
      assert.deepEqual(choice('  use_backend spare\n  use_backend main if LOCALHOST\n  default_backend main'), {
        kind: 'fixed',
        backend: 'spare',
      });
      assert.deepEqual(choice('  use_backend spare if TRUE\n  default_backend main'), {
        kind: 'fixed',
        backend: 'spare',
      });
      assert.deepEqual(
        choice('  use_backend spare if FALSE\n  use_backend spare unless TRUE\n  default_backend main'),
        {
          kind: 'fixed',
          backend: 'main',
        },
      );
    },
  );

  it('otherwise runs the rules in order for each connection: first match, else the default, else null', () => {
    const c = choice(
      '  use_backend spare if { dst_port 8001 }\n  use_backend main if { dst_port 8000:8010 }\n  default_backend spare',
    );
    assert.equal(c.kind, 'per-connection');
    if (c.kind !== 'per-connection') return;
    assert.deepEqual(
      [8001, 8002, 9000].map((dstPort) => c.choose(facts({ dstPort }))),
      ['spare', 'main', 'spare'],
    );

    const { config } = parseHaproxyText(
      'frontend f\n  bind 127.0.0.1:8080\n  use_backend b if { dst_port 8001 }\nbackend b\n  server s 192.0.2.1:80\n',
      't.cfg',
    );
    const f = config.frontends[0]!;
    const none = backendChoice(f.useBackends, f.defaultBackend, noServers);
    assert.equal(none.kind === 'per-connection' && none.choose(facts()), null, 'no default_backend: no backend');
  });

  it('a rule after one that always applies is never reached', () => {
    const c = choice(
      '  use_backend spare if LOCALHOST\n  use_backend main if TRUE\n  use_backend spare if { dst_port 80 }\n' +
        '  default_backend spare',
    );
    assert.equal(c.kind === 'per-connection' && c.choose(facts({ dstPort: 80 })), 'main');
  });

  it('constantValue folds TRUE, FALSE and always_* only', () => {
    const value = (cond: string): boolean | null =>
      constantValue(frontendOf(`  use_backend spare ${cond}\n  default_backend main`).useBackends[0]!.condition!);
    assert.deepEqual(
      [
        'if TRUE',
        'if FALSE',
        'unless FALSE',
        'if TRUE FALSE || TRUE',
        'if { always_false -m int 0 }',
        'if LOCALHOST',
        'if TRUE { nbsrv(main) lt 1 }',
      ].map(value),
      [true, false, true, true, true, null, null],
    );
  });
});
