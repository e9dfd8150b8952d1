/**
 * Name globs for actor ids, nodes, machine ids and state paths: `*` any run of characters
 * (`:`, `/` and `.` included, so `server:proxy/*` matches every server of one proxy), `?` one
 * character, everything else literal. Whole-string match.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    cache.set(glob, re);
  }
  return re;
}

export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
