import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import { expandBraces, globFiles } from './glob.js';
import { type ConfItem, tokenizeConf } from './tokenizer.js';

/** Where included files come from: the file system, or a test's callback. */
export interface IncludeSource {
  /** The files an absolute include pattern names, in the order keepalived reads them. */
  expand(pattern: string): string[];
  /** The file's text; throws when it cannot be read. */
  read(path: string): string;
}

export const fsIncludeSource: IncludeSource = {
  expand: globFiles,
  read: (path) => readFileSync(path, 'utf8'),
};

/** A callback has no directory to list: braces expand, wildcards are passed through as names. */
export function callbackIncludeSource(readInclude: (path: string) => string): IncludeSource {
  return { expand: expandBraces, read: readInclude };
}

/**
 * `include` is the forgiving form: keepalived.conf(5) says it "does not produce config errors
 * if files could not be opened", so no match is a warning. The include_check variants
 * (includer, includem, includew, includeb, includea) ask for the files to exist: an error.
 */
const STRICT_INCLUDES = new Set(['includea', 'includer', 'includem', 'includew', 'includeb']);

function isInclude(word: string): boolean {
  return word === 'include' || STRICT_INCLUDES.has(word);
}

/**
 * Tokenizes `text` and splices every included file in at the include line, as keepalived's
 * read_line does, so a block may even open in one file and close in another. Relative
 * patterns are relative to the including file's directory (keepalived chdirs into it).
 */
export function readConfItems(text: string, file: string, source: IncludeSource, diags: Diagnostics): ConfItem[] {
  return expandFile(text, file, source, diags, [resolve(file)]);
}

function expandFile(
  text: string,
  file: string,
  source: IncludeSource,
  diags: Diagnostics,
  stack: string[],
): ConfItem[] {
  const out: ConfItem[] = [];
  for (const item of tokenizeConf(text, file, diags)) {
    if (item.kind === 'words' && isInclude(item.words[0]!)) {
      out.push(...expandInclude(item.words, item.pos, source, diags, stack));
    } else {
      out.push(item);
    }
  }
  return out;
}

function expandInclude(
  words: string[],
  pos: SourcePos,
  source: IncludeSource,
  diags: Diagnostics,
  stack: string[],
): ConfItem[] {
  const [keyword, pattern] = words;
  if (pattern === undefined || words.length > 2) {
    diags.error(pos, `${keyword} takes exactly one file name or pattern`, 'HALO_E_CONFIG_SYNTAX');
    return [];
  }
  const absolute = resolve(dirname(stack[stack.length - 1]!), pattern);
  const files = source.expand(absolute);
  if (files.length === 0) {
    if (STRICT_INCLUDES.has(keyword!)) diags.error(pos, `${keyword} ${pattern}: no such file`, 'HALO_E_CONFIG_IO');
    else diags.warn(pos, `include ${pattern}: no file matches; nothing included`, 'HALO_W_CONFIG_INEFFECTIVE');
    return [];
  }
  const out: ConfItem[] = [];
  for (const path of files) {
    if (stack.includes(path)) {
      const chain = [...stack.slice(stack.indexOf(path)), path].join(' -> ');
      diags.error(pos, `include cycle: ${chain}`, 'HALO_E_CONFIG_REF');
      continue;
    }
    let text: string;
    try {
      text = source.read(path);
    } catch (err) {
      diags.error(pos, `include ${path}: ${(err as Error).message}`, 'HALO_E_CONFIG_IO');
      continue;
    }
    out.push(...expandFile(text, path, source, diags, [...stack, path]));
  }
  return out;
}
