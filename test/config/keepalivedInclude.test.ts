import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { expandBraces, globFiles } from '../../src/config/keepalived/glob.js';
import { parseKeepalivedConf, parseKeepalivedText } from '../../src/config/keepalived/parser.js';
import { HaloError } from '../../src/errors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/keepalived/include');

describe('keepalived.conf: include', () => {
  it('a relative glob pulls conf.d/*.conf in name order; positions name the included file', () => {
    const { config, warnings } = parseKeepalivedConf(join(FIXTURES, 'main.conf'));
    assert.equal(config.globals.routerId, 'lb1');
    assert.deepEqual(
      config.scripts.map((s) => [s.name, s.pos]),
      [['chk_proxy', { file: join(FIXTURES, 'conf.d/10-scripts.conf'), line: 1 }]],
    );
    const vi = config.instances[0]!;
    assert.deepEqual(vi.pos, { file: join(FIXTURES, 'conf.d/20-instance.conf'), line: 1 });
    assert.deepEqual(
      vi.trackScripts.map((t) => t.name),
      ['chk_proxy'],
    );
    // An include inside a block, relative to the included file's own directory.
    assert.deepEqual(
      vi.excludedVips.map((v) => [v.address, v.pos]),
      [['192.0.2.61', { file: join(FIXTURES, 'parts/vips.inc'), line: 2 }]],
    );
    // Plain `include` tolerates no match (keepalived.conf(5)) but halo says so, with the line.
    assert.deepEqual(
      warnings.map((w) => [w.pos.file, w.pos.line]),
      [[join(FIXTURES, 'main.conf'), 6]],
    );
  });

  it('a cycle is an error at the include line that closes it, not an endless read', () => {
    let errors: Diagnostic[] = [];
    try {
      parseKeepalivedConf(join(FIXTURES, 'cycle/a.conf'));
    } catch (err) {
      assert.ok(err instanceof HaloError);
      assert.equal(err.code, 'HALO_E_CONFIG_REF');
      errors = err.context.diagnostics as Diagnostic[];
    }
    assert.deepEqual(
      errors.map((d) => [d.pos.file, d.pos.line, d.message]),
      [
        [
          join(FIXTURES, 'cycle/b.conf'),
          4,
          `include cycle: ${join(FIXTURES, 'cycle/a.conf')} -> ${join(FIXTURES, 'cycle/b.conf')} ` +
            `-> ${join(FIXTURES, 'cycle/a.conf')}`,
        ],
      ],
    );
  });

  it('the strict variant includea makes a missing file an error', () => {
    assert.throws(
      () =>
        parseKeepalivedText('includea nothing-here.conf\n', '/etc/halo/k.conf', () => {
          throw new Error('ENOENT');
        }),
      (err: unknown) =>
        err instanceof HaloError && err.code === 'HALO_E_CONFIG_IO' && err.message.includes('/etc/halo/k.conf:1:'),
    );
  });

  it('readInclude serves includes for text parses, relative to the including file', () => {
    const seen: string[] = [];
    const files: Record<string, string> = {
      '/cfg/scripts/s.conf': 'vrrp_script s {\n script /bin/true\n}\n',
      '/cfg/scripts/t.conf': 'vrrp_script t {\n script /bin/false\n}\n',
    };
    const { config } = parseKeepalivedText('include scripts/{s,t}.conf\n', '/cfg/main.conf', (path) => {
      seen.push(path);
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    });
    assert.deepEqual(
      config.scripts.map((s) => s.name),
      ['s', 't'],
    );
    assert.deepEqual(seen, ['/cfg/scripts/s.conf', '/cfg/scripts/t.conf']);
  });
});

describe('glob', () => {
  it('expands csh braces, nested, leaving comma-less braces alone', () => {
    assert.deepEqual(expandBraces('a{b,c{d,e}}f'), ['abf', 'acdf', 'acef']);
    assert.deepEqual(expandBraces('x{y}z'), ['x{y}z']);
  });

  it('matches *, ? and [...] per segment, files only, no dot files, sorted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'halo-glob-'));
    try {
      mkdirSync(join(dir, 'd1'));
      mkdirSync(join(dir, 'd2'));
      mkdirSync(join(dir, 'd1', 'sub.conf'));
      for (const f of ['d1/b.conf', 'd1/a.conf', 'd1/.hidden.conf', 'd2/c.conf', 'd2/c.txt', 'd2/x1.conf'])
        writeFileSync(join(dir, f), '');
      assert.deepEqual(
        globFiles(join(dir, 'd*/*.conf')),
        ['d1/a.conf', 'd1/b.conf', 'd2/c.conf', 'd2/x1.conf'].map((f) => join(dir, f)),
      );
      assert.deepEqual(globFiles(join(dir, 'd2/x[0-9].conf')), [join(dir, 'd2/x1.conf')]);
      assert.deepEqual(globFiles(join(dir, 'd?/c.{txt,conf}')), [join(dir, 'd2/c.txt'), join(dir, 'd2/c.conf')]);
      assert.deepEqual(globFiles(join(dir, 'nope/*.conf')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
