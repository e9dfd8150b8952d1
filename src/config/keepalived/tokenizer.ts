import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';

/**
 * keepalived reads its config one line at a time (lib/parser.c read_line): a line is one
 * statement, and every `{` or `}` outside quotes is split off as a line of its own, so
 * `virtual_ipaddress { 10.1.6.173 }` reads as four lines. We keep that grammar: a `words`
 * item is one statement, `open`/`close` are the braces.
 */
export type ConfItem =
  | { kind: 'words'; words: string[]; pos: SourcePos }
  | { kind: 'open'; pos: SourcePos }
  | { kind: 'close'; pos: SourcePos };

/**
 * Cuts a `#` or `!` comment (anywhere outside double quotes, as lib/parser.c decomment does)
 * and unescapes `\#` / `\!` outside quotes. Returns undefined when a quote is left open.
 */
function decomment(line: string): string | undefined {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && !quoted && (line[i + 1] === '#' || line[i + 1] === '!')) {
      out += line[i + 1];
      i++;
      continue;
    } else if (!quoted && (c === '#' || c === '!')) break;
    out += c;
  }
  return quoted ? undefined : out;
}

const SPACE = /[ \t\r\f\v]/;

/** Splits one decommented line into statements and braces; `"..."` is one word, quotes removed. */
function splitLine(line: string, pos: SourcePos, items: ConfItem[]): void {
  let words: string[] = [];
  const flush = (): void => {
    if (words.length > 0) items.push({ kind: 'words', words, pos });
    words = [];
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (SPACE.test(c)) {
      i++;
    } else if (c === '{' || c === '}') {
      flush();
      items.push({ kind: c === '{' ? 'open' : 'close', pos });
      i++;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      words.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      // An unquoted word ends at whitespace, a brace or a quote (lib/parser.c alloc_strvec_r).
      let j = i;
      while (j < line.length && !SPACE.test(line[j]!) && !'{}"'.includes(line[j]!)) j++;
      words.push(line.slice(i, j));
      i = j;
    }
  }
  flush();
}

/** Tokenizes one file's text; `include` lines are left as statements for include.ts. */
export function tokenizeConf(text: string, file: string, diags: Diagnostics): ConfItem[] {
  const items: ConfItem[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const pos: SourcePos = { file, line: n + 1 };
    const body = decomment(lines[n]!);
    if (body === undefined) {
      diags.error(pos, 'unterminated quote', 'HALO_E_CONFIG_SYNTAX');
      continue;
    }
    // keepalived spots include lines before it splits braces (read_line → check_include), so a
    // csh brace pattern such as `include conf.d/{a,b}.conf` stays one word.
    const include = /^\s*(include[a-z]?)\s+(.*?)\s*$/.exec(body);
    if (include)
      items.push({
        kind: 'words',
        words: [include[1]!, ...include[2]!.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1'))],
        pos,
      });
    else splitLine(body, pos, items);
  }
  return items;
}
