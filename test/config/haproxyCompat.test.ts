import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseHaproxyCfg, parseHaproxyText } from '../../src/config/haproxy/parse.js';
import { isHaloError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/haproxy/', import.meta.url));
const HAPROXY = '/usr/sbin/haproxy';
const haveHaproxy = spawnSync(HAPROXY, ['-v']).status === 0;
const skip = haveHaproxy ? false : `${HAPROXY} is not installed`;

/** `haproxy -c -f FILE`: 0 valid, 2 valid with warnings (haproxy 2.6), 1 refused. */
function haproxyCheck(file: string): { status: number | null; stderr: string } {
  const r = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

describe("Debian's haproxy agrees with halo's reading", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-haproxy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['frontend-backend.cfg', 'defaults.cfg']) {
    it(`haproxy -c accepts ${name}, and so does halo`, () => {
      const file = join(FIXTURES, name);
      const r = haproxyCheck(file);
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotThrow(() => parseHaproxyCfg(file));
    });
  }

  it('haproxy refuses the seed only because of nbproc, which halo ignores with a warning', () => {
    const seed = join(FIXTURES, 'seed.cfg');
    const refused = haproxyCheck(seed);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /nbproc is not supported any more/);
    const withoutNbproc = join(dir, 'seed-without-nbproc.cfg');
    writeFileSync(withoutNbproc, readFileSync(seed, 'utf8').replace(/^\s*nbproc .*$/m, ''));
    const accepted = haproxyCheck(withoutNbproc);
    assert.equal(accepted.status, 0, accepted.stderr);
    const { warnings } = parseHaproxyCfg(seed);
    assert.ok(warnings.some((w) => /'nbproc' is ignored/.test(w.message)));
  });

  it('haproxy and halo draw the same line around 2^31 ms and the same units', () => {
    const cases: [string, boolean][] = [
      ['1us', true],
      ['5000s', true],
      ['24d', true],
      ['2147483647', true],
      ['2147483s', true],
      ['25d', false],
      ['2147483648', false],
      ['2147484s', false],
      ['5x', false],
    ];
    for (const [value, valid] of cases) {
      const text = `defaults\n    mode tcp\n    timeout connect ${value}\n`;
      const file = join(dir, 'duration.cfg');
      writeFileSync(file, text);
      const r = haproxyCheck(file);
      assert.equal(r.status !== 1, valid, `haproxy on '${value}': ${r.stderr}`);
      assert.equal(
        (() => {
          try {
            parseHaproxyText(text, file);
            return true;
          } catch {
            return false;
          }
        })(),
        valid,
        `halo on '${value}'`,
      );
    }
  });

  it('haproxy and halo both refuse weight 257, rise 0, inter 0, duplicate servers and unknown backends', () => {
    const bodies = [
      'backend b\n  server s 192.0.2.1:80 weight 257\n',
      'backend b\n  server s 192.0.2.1:80 check rise 0\n',
      'backend b\n  server s 192.0.2.1:80 check inter 0\n',
      'backend b\n  server s 192.0.2.1:80\n  server s 192.0.2.2:80\n',
      'backend b\n  server s 192.0.2.1 check\n',
      'frontend f\n  bind 127.0.0.1:80\n  default_backend nowhere\n',
      'backend b\n  balance wrr\n',
    ];
    for (const body of bodies) {
      const file = join(dir, 'refused.cfg');
      writeFileSync(file, body);
      assert.equal(haproxyCheck(file).status, 1, `haproxy refuses:\n${body}`);
      assert.throws(() => parseHaproxyText(body, file), isHaloError, `halo refuses:\n${body}`);
    }
  });
});
