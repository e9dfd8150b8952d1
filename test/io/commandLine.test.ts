import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitCommandLine } from '../../src/io/commandLine.js';
import { isHaloError } from '../../src/errors.js';

const cases: Array<[string, string[]]> = [
  ['killall -0 haproxy', ['killall', '-0', 'haproxy']],
  ['/etc/keepalived/scripts/start_haproxy.sh', ['/etc/keepalived/scripts/start_haproxy.sh']],
  ['  a \t b\n', ['a', 'b']],
  ['', []],
  ['   ', []],
  // keepalived.conf(5) "Quoted strings": both examples from the man page.
  [`abcd" efg h jkl "mnop`, ['abcd efg h jkl mnop']],
  [`abcd "efg h jkl" mnop`, ['abcd', 'efg h jkl', 'mnop']],
  [`/bin/check 'two words' "and three words"`, ['/bin/check', 'two words', 'and three words']],
  [`say "it's"`, ['say', "it's"]],
  [`say 'a "quoted" word'`, ['say', 'a "quoted" word']],
  [`empty "" ''`, ['empty', '', '']],
  ['a\\ b', ['a b']],
  ['\\"not quoted', ['"not', 'quoted']],
  ['back\\\\slash', ['back\\slash']],
  // Escapes work inside quotes too (unlike a shell's single quotes).
  [`'tab\\there' "nl\\n"`, ['tab\there', 'nl\n']],
  ['\\x41\\101\\cA\\E\\q', ['AA\x01\x1bq']],
  ['\\x4', ['\x04']],
  ['\\0', ['\0']],
  ['$HOME *.sh | wc', ['$HOME', '*.sh', '|', 'wc']],
];

for (const [input, words] of cases) {
  test(`splitCommandLine(${JSON.stringify(input)}) → ${JSON.stringify(words)}`, () => {
    assert.deepEqual(splitCommandLine(input), words);
  });
}

for (const bad of [`check "unterminated`, `check 'also`, 'trailing \\']) {
  test(`splitCommandLine(${JSON.stringify(bad)}) throws HALO_E_CONFIG_VALUE`, () => {
    assert.throws(
      () => splitCommandLine(bad),
      (err: unknown) => isHaloError(err) && err.code === 'HALO_E_CONFIG_VALUE' && err.context.command === bad,
    );
  });
}
