import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { checkKeepalivedConf, parseKeepalivedConf, parseKeepalivedText } from '../../src/config/keepalived/parser.js';
import { HaloError } from '../../src/errors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/keepalived');

/** The diagnostics of the one HaloError a failing parse throws. */
function failure(run: () => unknown): { err: HaloError; errors: Diagnostic[] } {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof HaloError, String(err));
    return { err, errors: err.context.diagnostics as Diagnostic[] };
  }
  assert.fail('expected the parse to throw');
}

const lines = (ds: Diagnostic[]): number[] => ds.map((d) => d.pos.line);

describe('keepalived.conf: every error, all at once, with file:line', () => {
  const file = join(FIXTURES, 'errors.conf');

  it('errors.conf reports each mistake with its code and line in one HaloError', () => {
    const { err, errors } = failure(() => parseKeepalivedConf(file));
    assert.equal(err.code, 'HALO_E_CONFIG_VALUE');
    assert.deepEqual(
      errors.map((d) => [d.pos.line, d.code]),
      [
        [2, 'HALO_E_CONFIG_VALUE'], // vrrp_version 4
        [8, 'HALO_E_CONFIG_VALUE'], // script weight 300
        [9, 'HALO_E_CONFIG_VALUE'], // rise 0
        [15, 'HALO_E_CONFIG_VALUE'], // virtual_router_id 256
        [16, 'HALO_E_CONFIG_VALUE'], // priority 0
        [17, 'HALO_E_CONFIG_VALUE'], // advert_int 0
        [20, 'HALO_E_CONFIG_VALUE'], // 10.1.6.300
        [26, 'HALO_E_CONFIG_VALUE'], // auth_type MD5
        [12, 'HALO_E_CONFIG_VALUE'], // VI_BAD: no valid virtual_router_id
        [23, 'HALO_E_CONFIG_REF'], // track_script chk_missing, checked even though VI_BAD is unusable
        [30, 'HALO_E_CONFIG_VALUE'], // VI_NOVRID: virtual_router_id must be set
        [40, 'HALO_E_CONFIG_REF'], // sync group member VI_GHOST
      ],
    );
    for (const d of errors) assert.ok(err.message.includes(`${file}:${d.pos.line}: ${d.message}`), d.message);
    assert.match(err.message, /virtual_router_id '256' is invalid: must be an integer from 1 to 255/);
  });

  it('a track_script naming no vrrp_script is a reference error at the reference', () => {
    const text =
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n }\n' +
      ' track_script {\n chk_missing\n }\n}\n';
    const { err, errors } = failure(() => parseKeepalivedText(text, 'ref.conf'));
    assert.equal(err.code, 'HALO_E_CONFIG_REF');
    assert.deepEqual(lines(errors), [8]);
    assert.match(err.message, /ref\.conf:8: vrrp_instance V tracks unknown vrrp_script 'chk_missing'/);
  });

  const cases: [string, string, number, string, RegExp][] = [
    [
      'missing interface',
      'vrrp_instance V {\n virtual_router_id 1\n}\n',
      1,
      'HALO_E_CONFIG_VALUE',
      /interface must be set/,
    ],
    ['missing }', 'vrrp_instance V {\n interface e0\n', 1, 'HALO_E_CONFIG_SYNTAX', /missing its '}'/],
    ['extra }', 'global_defs {\n}\n}\n', 3, 'HALO_E_CONFIG_SYNTAX', /extra '}'/],
    ['unterminated quote', 'vrrp_script s {\n script "/bin/true\n}\n', 2, 'HALO_E_CONFIG_SYNTAX', /unterminated quote/],
    ['block keyword without block', 'vrrp_instance V\n', 1, 'HALO_E_CONFIG_SYNTAX', /needs a \{ \} block/],
    [
      'track weight out of range',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n track_interface {\n e1 weight 300\n }\n}\n',
      5,
      'HALO_E_CONFIG_VALUE',
      /weight '300' is invalid/,
    ],
    ['script without a command', 'vrrp_script s {\n interval 2\n}\n', 1, 'HALO_E_CONFIG_VALUE', /has no script/],
    [
      'duplicate instance',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n}\nvrrp_instance V {\n interface e0\n' +
        ' virtual_router_id 2\n}\n',
      5,
      'HALO_E_CONFIG_REF',
      /already defined at x\.conf:1/,
    ],
    [
      'duplicate VRID on one interface',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n}\nvrrp_instance W {\n interface e0\n' +
        ' virtual_router_id 1\n}\n',
      5,
      'HALO_E_CONFIG_REF',
      /duplicate VRID 1 on e0/,
    ],
    [
      'VIP prefix',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1/33\n }\n}\n',
      5,
      'HALO_E_CONFIG_VALUE',
      /prefix of 192\.0\.2\.1 '33'/,
    ],
    [
      'VIP option',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1 devv e0\n }\n}\n',
      5,
      'HALO_E_CONFIG_SYNTAX',
      /unknown option 'devv'/,
    ],
    [
      'bad state',
      'vrrp_instance V {\n interface e0\n state PRIMARY\n virtual_router_id 1\n}\n',
      3,
      'HALO_E_CONFIG_VALUE',
      /unknown state 'PRIMARY'/,
    ],
    [
      'v3 without VIP',
      'vrrp_instance V {\n interface e0\n version 3\n virtual_router_id 1\n}\n',
      1,
      'HALO_E_CONFIG_VALUE',
      /VRRPv3 needs at least one/,
    ],
    [
      'mixed families',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n 2001:db8::1\n }\n}\n',
      5,
      'HALO_E_CONFIG_VALUE',
      /mixes IPv4 and IPv6/,
    ],
    [
      'sync group with an unknown member',
      'vrrp_sync_group G {\n group {\n NOPE\n }\n}\n',
      3,
      'HALO_E_CONFIG_REF',
      /unknown vrrp_instance 'NOPE'/,
    ],
    [
      'script interval',
      'vrrp_script s {\n script /bin/true\n interval soon\n}\n',
      3,
      'HALO_E_CONFIG_VALUE',
      /interval 'soon' is invalid/,
    ],
    [
      'unicast peer',
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n unicast_peer {\n 192.0.2.300\n }\n}\n',
      5,
      'HALO_E_CONFIG_VALUE',
      /unicast peer '192\.0\.2\.300' is not an IP address/,
    ],
  ];
  for (const [name, text, line, code, message] of cases) {
    it(`${name} → ${code} at line ${line}`, () => {
      const { errors } = failure(() => parseKeepalivedText(text, 'x.conf'));
      const hit = errors.find((d) => message.test(d.message));
      assert.ok(hit, `no error matching ${message} in ${JSON.stringify(errors)}`);
      assert.deepEqual([hit.pos, hit.code], [{ file: 'x.conf', line }, code]);
    });
  }

  it('a missing main file is HALO_E_CONFIG_IO', () => {
    const { err } = failure(() => parseKeepalivedConf(join(FIXTURES, 'no-such.conf')));
    assert.equal(err.code, 'HALO_E_CONFIG_IO');
  });

  const keepalived = spawnSync('keepalived', ['--version']).status === 0;
  it('every line the real keepalived -t flags in errors.conf, halo flags too', {
    skip: !keepalived && 'keepalived not installed',
  }, () => {
    const run = spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0, 'keepalived must reject errors.conf too');
    const flagged = new Set([...run.stderr.matchAll(/Line (\d+)\)/g)].map((m) => Number(m[1])));
    assert.ok(flagged.size >= 8, run.stderr);
    const ours = new Set(checkKeepalivedConf(file).map((d) => d.pos.line));
    for (const line of flagged)
      assert.ok(ours.has(line), `keepalived flags line ${line}, halo does not:\n${run.stderr}`);
  });

  it('checkKeepalivedConf lists errors and warnings without throwing', () => {
    const all = checkKeepalivedConf(file);
    assert.deepEqual(
      all.filter((d) => d.severity === 'warning').map((d) => d.pos.line),
      [3, 18, 12],
    );
    assert.equal(all.filter((d) => d.severity === 'error').length, 12);
  });
});
