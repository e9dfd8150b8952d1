/**
 * Health-check keywords: haproxy's external check (read as Debian's haproxy reads it) and halo's
 * `halo-check` family (icmp, dynamic-weight, mysql rules).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { parseHaproxyText } from '../../src/config/haproxy/parse.js';
import type { LbHealthCheck } from '../../src/config/lb.model.js';
import { isHaloError } from '../../src/errors.js';

const HAPROXY = '/usr/sbin/haproxy';
const haveHaproxy = spawnSync(HAPROXY, ['-v']).status === 0;

const HEAD = 'defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';

function checkOf(backendLines: string, head = HEAD): { hc: LbHealthCheck; warnings: string[] } {
  const { config, warnings } = parseHaproxyText(
    `${head}backend b\n${backendLines}    server s 192.0.2.1:80 check\n`,
    'c.cfg',
  );
  return { hc: config.backends[0]!.healthCheck, warnings: warnings.map((w) => w.message) };
}

function errorsOf(backendLines: string): string[] {
  try {
    parseHaproxyText(`${HEAD}backend b\n${backendLines}    server s 192.0.2.1:80 check\n`, 'c.cfg');
  } catch (err) {
    assert.ok(isHaloError(err));
    return (err.context.diagnostics as Diagnostic[]).map((d) => `${d.pos.line}: ${d.message}`);
  }
  return assert.fail('expected the parse to fail');
}

describe('option external-check', () => {
  it('takes its command and path from anywhere in the section or its defaults', () => {
    const { hc } = checkOf(
      '    external-check command /usr/local/bin/check-db\n    option external-check\n',
      `${HEAD}    external-check path "/usr/bin:/bin"\n`,
    );
    assert.deepEqual(hc, {
      kind: 'external',
      command: '/usr/local/bin/check-db',
      path: '/usr/bin:/bin',
      dynamicWeight: false,
      pos: { file: 'c.cfg', line: 9 },
    });
  });

  it('halo-check dynamic-weight turns on keepalived misc_dynamic for it', () => {
    const { hc } = checkOf(
      '    option external-check\n    external-check command /bin/true\n    halo-check dynamic-weight\n',
    );
    assert.equal(hc.kind === 'external' && hc.dynamicWeight, true);
  });

  it('without a command it is an error, as haproxy says; a command or dynamic-weight alone is a warning', () => {
    assert.deepEqual(errorsOf('    option external-check\n'), [
      "7: backend 'b': 'option external-check' needs 'external-check command <command>'",
    ]);
    const { hc, warnings } = checkOf('    external-check command /bin/true\n    halo-check dynamic-weight\n');
    assert.equal(hc.kind, 'tcp');
    assert.deepEqual(warnings, [
      "backend 'b': 'external-check command' has no effect without 'option external-check'",
      "backend 'b': 'halo-check dynamic-weight' has no effect without 'option external-check'",
    ]);
  });

  it("Debian's haproxy reads the same file the same way: accepted with a command, refused without", {
    skip: haveHaproxy ? false : 'no haproxy',
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'halo-extchk-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const text = (command: string) =>
      `global\n    external-check\n    insecure-fork-wanted\n${HEAD}listen l\n    bind 127.0.0.1:1\n` +
      `    option external-check\n${command}    server s 192.0.2.1:80 check\n`;
    for (const [command, valid] of [
      ['    external-check command /bin/true\n', true],
      ['', false],
    ] as const) {
      const file = join(dir, 'x.cfg');
      writeFileSync(file, text(command));
      const r = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status === 0, valid, r.stderr);
      let haloValid = true;
      try {
        const { warnings } = parseHaproxyText(text(command), file);
        assert.deepEqual(warnings, [], 'global external-check and insecure-fork-wanted are known');
      } catch {
        haloValid = false;
      }
      assert.equal(haloValid, valid);
    }
  });
});

describe('halo-check', () => {
  it('icmp replaces the TCP check', () => {
    assert.deepEqual(checkOf('    halo-check icmp\n').hc, { kind: 'icmp', pos: { file: 'c.cfg', line: 7 } });
  });

  it('mysql adds a password file and role rules to option mysql-check user <name>', () => {
    const { hc } = checkOf(
      '    halo-check mysql password-file /etc/halo/check.pw read-only on max-replica-lag 10 wsrep-synced\n' +
        '    option mysql-check user chk\n',
    );
    assert.deepEqual(hc, {
      kind: 'mysql',
      user: 'chk',
      rules: {
        passwordFile: '/etc/halo/check.pw',
        readOnly: 1,
        maxReplicaLagS: 10,
        wsrepSynced: true,
        pos: { file: 'c.cfg', line: 7 },
      },
      pos: { file: 'c.cfg', line: 8 },
    });
    const off = checkOf('    option mysql-check user chk\n    halo-check mysql read-only off\n').hc;
    assert.equal(off.kind === 'mysql' && off.rules?.readOnly, 0);
  });

  it('mysql rules without a check user, or with a bad option, stop the load', () => {
    assert.deepEqual(errorsOf('    halo-check mysql read-only on\n'), [
      "7: backend 'b': 'halo-check mysql' needs 'option mysql-check user <name>' in the same backend",
    ]);
    assert.deepEqual(errorsOf('    option mysql-check\n    halo-check mysql wsrep-synced\n'), [
      "8: backend 'b': 'halo-check mysql' needs 'option mysql-check user <name>' in the same backend",
    ]);
    const bad = errorsOf('    option mysql-check user chk\n    halo-check mysql read-only maybe\n');
    assert.equal(bad.length, 1);
    assert.match(
      bad[0]!,
      /^8: halo-check mysql: 'read-only maybe' is not one of password-file <file>, read-only on\|off/,
    );
    assert.match(
      errorsOf('    option mysql-check user chk\n    halo-check mysql max-replica-lag\n')[0]!,
      /'max-replica-lag' expects a value/,
    );
  });

  it('an unknown halo-check is a warning with its line, like any unknown keyword', () => {
    assert.deepEqual(checkOf('    halo-check smtp\n').warnings, [
      "unknown keyword 'halo-check smtp' in 'backend' section; ignored",
    ]);
  });
});
