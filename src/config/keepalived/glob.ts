import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * The subset of glob(3) keepalived's `include` uses (GLOB_BRACE): `*`, `?`, `[...]` within one
 * path segment, csh braces `{a,b}`, and no match for dot files unless the pattern starts with a
 * dot. Node 20 has no fs.glob, so this is the small version we need at config time.
 */

/** `a{b,c{d,e}}f` → `abf acdf acef`; a brace group without a comma stays literal. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const alternatives = splitTopLevel(pattern.slice(open + 1, i));
        if (alternatives.length < 2) continue;
        const head = pattern.slice(0, open);
        const tails = expandBraces(pattern.slice(i + 1));
        return alternatives.flatMap((alt) => expandBraces(head + alt).flatMap((h) => tails.map((t) => h + t)));
      }
    }
  }
  return [pattern];
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && segment.indexOf(']', i + 2) > 0) {
      const end = segment.indexOf(']', i + 2);
      let cls = segment.slice(i + 1, end);
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += '[' + cls.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Regular files matching one absolute pattern (braces already expanded), sorted like glob(3). */
function globOne(pattern: string): string[] {
  let dirs: string[] = [sep];
  for (const segment of pattern.split(sep).filter((s) => s !== '')) {
    if (!hasWildcard(segment)) {
      dirs = dirs.map((d) => join(d, segment));
      continue;
    }
    const re = segmentRegExp(segment);
    dirs = dirs.flatMap((d) =>
      listDir(d)
        .filter((name) => re.test(name) && (!name.startsWith('.') || segment.startsWith('.')))
        .map((name) => join(d, name)),
    );
  }
  return dirs.filter(isFile);
}

/** Every regular file an absolute include pattern names, in glob order, without duplicates. */
export function globFiles(pattern: string): string[] {
  return [...new Set(expandBraces(pattern).flatMap(globOne))];
}
