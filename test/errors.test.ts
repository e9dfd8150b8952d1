import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/config/diagnostics.js';
import { CODES, type CodeArea, HaloError } from '../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CODE = /\bHALO_[EW]_[A-Z0-9_]+\b/g;
const CATALOGUE = new Set<string>(Object.keys(CODES));

/** Every `HALO_E_*` / `HALO_W_*` written in a TypeScript file under `dir`, with the files naming it. */
function codesUnder(dir: string, skip: string[] = []): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !entry.name.endsWith('.ts') || skip.includes(file)) continue;
    for (const [code] of readFileSync(file, 'utf8').matchAll(CODE)) found.set(code, [...(found.get(code) ?? []), file]);
  }
  return found;
}

describe('the error and warning catalogue', () => {
  it('holds every code the sources, tests and benchmarks name', () => {
    const named = ['src', 'test', 'bench', 'scripts'].flatMap((dir) => [...codesUnder(dir)]);
    const unknown = named.filter(([code]) => !CATALOGUE.has(code));
    assert.deepEqual(unknown, [], 'codes missing from CODES in src/errors.ts');
  });

  it('holds no code that nothing in src raises', () => {
    const used = codesUnder('src', [join(ROOT, 'src/errors.ts')]);
    const unused = [...CATALOGUE].filter((code) => !used.has(code));
    assert.deepEqual(unused, []);
  });

  it('files a code named after an area under that area', () => {
    const areas: CodeArea[] = ['config', 'cli', 'vrrp', 'net', 'journal', 'nats', 'lb'];
    for (const [code, entry] of Object.entries(CODES)) {
      const named = areas.find((a) => code.startsWith(`HALO_${code[5]}_${a.toUpperCase()}_`));
      if (named) assert.equal(entry.area, named, code);
      assert.ok(entry.meaning.length > 0, `${code} says what it means`);
    }
  });

  it('keeps code, context and cause on a HaloError', () => {
    const cause = new Error('EACCES');
    const err = new HaloError('HALO_E_CONFIG_IO', 'cannot read x.cfg', { path: 'x.cfg' }, { cause });
    assert.deepEqual(
      [err.code, err.message, err.context, err.cause],
      ['HALO_E_CONFIG_IO', 'cannot read x.cfg', { path: 'x.cfg' }, cause],
    );
  });

  it('lets an error carry only an error code and a warning only a warning code (tsc checks the misuses)', () => {
    const diag = new Diagnostics();
    const pos = { file: 'x.cfg', line: 1 };
    // @ts-expect-error a warning code is not an error's
    diag.error(pos, 'stray', 'HALO_W_CONFIG_IGNORED');
    // @ts-expect-error an error code is not a warning's
    diag.warn(pos, 'odd', 'HALO_E_CONFIG_VALUE');
    // @ts-expect-error a HaloError is never a warning
    assert.equal(new HaloError('HALO_W_CONFIG_IGNORED', 'x').name, 'HaloError');
    assert.deepEqual(
      diag.items.map((d) => d.severity),
      ['error', 'warning'],
    );
  });
});
