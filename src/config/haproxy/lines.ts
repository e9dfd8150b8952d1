import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';

/** One haproxy statement: the words of one line after quoting, escaping and comments. */
export interface Statement {
  words: string[];
  pos: SourcePos;
}

/** Unquoted and weakly quoted escapes (configuration.txt 2.2); `\xNN` is handled apart. */
const ESCAPES: Readonly<Record<string, string>> = {
  ' ': ' ',
  '\t': '\t',
  '#': '#',
  '\\': '\\',
  "'": "'",
  '"': '"',
  $: '$',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Splits haproxy.cfg text into statements the way haproxy's line parser does (configuration.txt
 * 2.1, 2.2): one statement per line, words split on unprotected blanks, `#` starts a comment
 * unless escaped or quoted, `"..."` weak and `'...'` strong quoting, quotes may join inside one
 * word. Environment variables in double quotes (2.3) are not expanded: halo warns instead of
 * silently using a different value.
 */
export function splitStatements(text: string, file: string, diag: Diagnostics): Statement[] {
  const out: Statement[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const pos: SourcePos = { file, line: i + 1 };
    const words = splitWords(lines[i]!.replace(/\r$/, ''), pos, diag);
    if (words !== null && words.length > 0) out.push({ words, pos });
  }
  return out;
}

/** The words of one line, or null when the line is malformed (already reported). */
function splitWords(line: string, pos: SourcePos, diag: Diagnostics): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      i++;
      continue;
    }
    if (c === '\\') {
      const escaped = readEscape(line, i);
      if (escaped === null) {
        diag.error(pos, `invalid escape sequence at column ${i + 1}`, 'HALO_E_CONFIG_SYNTAX');
        return null;
      }
      word += escaped.text;
      inWord = true;
      i += escaped.length;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else {
        if (c === '$')
          diag.warn(
            pos,
            'environment variables are not expanded by halo; "$" kept literally',
            'HALO_W_CONFIG_UNSUPPORTED',
          );
        word += c;
      }
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else word += c;
    inWord = true;
    i++;
  }
  if (quote !== null) {
    diag.error(pos, `unterminated ${quote === '"' ? 'double' : 'single'} quote`, 'HALO_E_CONFIG_SYNTAX');
    return null;
  }
  if (inWord) words.push(word);
  return words;
}

/** Decodes the escape starting at line[at] ('\\'); null for a malformed `\x`. */
function readEscape(line: string, at: number): { text: string; length: number } | null {
  const next = line[at + 1];
  if (next === undefined) return { text: '\\', length: 1 };
  if (next === 'x') {
    const hex = line.slice(at + 2, at + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
    return { text: String.fromCharCode(Number.parseInt(hex, 16)), length: 4 };
  }
  const known = ESCAPES[next];
  // haproxy keeps a backslash it does not know as a literal character.
  return known === undefined ? { text: '\\', length: 1 } : { text: known, length: 2 };
}
