/**
 * keepalived's word splitting for `script "..."` and notify strings (lib/parser.c,
 * alloc_strvec_quoted_escaped; keepalived.conf(5) "Quoted strings"): words are separated by
 * unquoted whitespace; '…' and "…" group text and may sit inside a word (a"b c"d is one word,
 * `ab cd`); a backslash escapes, inside quotes too, with the C escapes \a \b \E \f \n \r \t \v,
 * \NNN (up to 3 octal digits), \xHH (up to 2 hex digits), \cC (control-C); any other \C is C.
 * No shell runs afterwards: $VAR, globs and pipes are plain text, as in keepalived.
 */
import { HaloError } from '../errors.js';

const WHITESPACE = /[ \t\n\r\f\v]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

export function splitCommandLine(cmd: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  let i = 0;
  while (i < cmd.length) {
    const c = cmd[i]!;
    if (c === '\\') {
      const [text, used] = readEscape(cmd, i + 1);
      word = (word ?? '') + text;
      i += 1 + used;
      continue;
    }
    i++;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (WHITESPACE.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) {
    throw new HaloError('HALO_E_CONFIG_VALUE', `command ${JSON.stringify(cmd)}: missing terminating ${quote}`, {
      command: cmd,
    });
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The character an escape at `at` (just after the backslash) stands for, and how many characters it used. */
function readEscape(cmd: string, at: number): [string, number] {
  const c = cmd[at];
  if (c === undefined) {
    throw new HaloError('HALO_E_CONFIG_VALUE', `command ${JSON.stringify(cmd)}: backslash at end`, { command: cmd });
  }
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(cmd.slice(at, at + 3));
  if (hex) return [byteChar(Number.parseInt(hex[1]!, 16)), hex[0].length];
  const octal = /^[0-7]{1,3}/.exec(cmd.slice(at, at + 3));
  if (octal) return [byteChar(Number.parseInt(octal[0], 8)), octal[0].length];
  const next = cmd[at + 1];
  if (c === 'c' && next !== undefined) return [byteChar(next.charCodeAt(0) & 0x1f), 2];
  return [SIMPLE_ESCAPES[c] ?? c, 1];
}

/** keepalived stores escapes in a C char, so values wrap at 8 bits. */
function byteChar(value: number): string {
  return String.fromCharCode(value & 0xff);
}
