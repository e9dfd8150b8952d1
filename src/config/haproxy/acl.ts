/**
 * haproxy ACLs for what halo decides when it accepts a connection (configuration.txt 7): `acl`
 * lines, the anonymous `{ ... }` form, predefined ACLs and `if|unless` conditions, resolved into
 * the typed model the proxy evaluates (src/io/proxy/aclMatch.ts). Only layer-4 and internal
 * fetches are known; anything else is a config error, so a rule that could misroute traffic
 * never loads silently.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type {
  LbAcl,
  LbAclCondition,
  LbAclFetch,
  LbAclMatch,
  LbAclNetwork,
  LbAclRange,
  LbAclTerm,
  LbAclTest,
  LbCondition,
  LbUseBackend,
} from '../lb.model.js';
import type { Ctx } from './keyword.js';
import type { ProxyDraft } from './proxy.js';

/** An `acl` line as read; its criterion is checked only if its section becomes a proxied frontend. */
/** What a fetch returns, which decides its default match and the `-m` methods that make sense. */
type SampleType = 'ip' | 'int' | 'bool';

interface FetchSpec {
  fetch: LbAclFetch;
  type: SampleType;
  /** `nbsrv([<backend>])` takes a backend; the others take no argument. */
  takesBackend: boolean;
}

/** The resolved ACLs of one section: `firstLine` is where the name was first declared. */
type Declared = Map<string, { firstLine: number; tests: LbAclTest[] }>;

const FETCHES: ReadonlyMap<string, FetchSpec> = new Map(
  (
    [
      ['src', 'ip'],
      ['dst', 'ip'],
      ['src_port', 'int'],
      ['dst_port', 'int'],
      ['nbsrv', 'int'],
      ['always_true', 'bool'],
      ['always_false', 'bool'],
    ] as const
  ).map(([fetch, type]) => [fetch, { fetch, type, takesBackend: fetch === 'nbsrv' }]),
);

const KNOWN_CRITERIA = 'src, dst, src_port, dst_port, nbsrv(<backend>), always_true, always_false';

/** haproxy's matching methods (7.1 "-m"); halo runs those `METHODS_FOR` lists, per sample type. */
const HAPROXY_METHODS = new Set([
  'found',
  'bool',
  'int',
  'ip',
  'bin',
  'len',
  'str',
  'sub',
  'reg',
  'beg',
  'end',
  'dir',
  'dom',
]);
const METHODS_FOR: Readonly<Record<SampleType, readonly LbAclMatch['method'][]>> = {
  ip: ['ip', 'found'],
  int: ['int', 'bool', 'found'],
  bool: ['bool', 'int', 'found'],
};

/** 7.1.2: an operator applies to the values after it, until the next operator. */
const INT_OPERATORS = new Set(['eq', 'ge', 'gt', 'le', 'lt']);

/**
 * haproxy's predefined ACLs (7.4, default_acl_list in src/acl.c), as the words of an acl line:
 * the HTTP ones then fail like any layer-7 criterion, naming the ACL the operator wrote.
 */
const PREDEFINED: ReadonlyMap<string, string> = new Map([
  ['TRUE', 'always_true'],
  ['FALSE', 'always_false'],
  ['LOCALHOST', 'src 127.0.0.1/8 ::1'],
  ['HTTP', 'req.proto_http'],
  ['HTTP_1.0', 'req.ver 1.0'],
  ['HTTP_1.1', 'req.ver 1.1'],
  ['HTTP_2.0', 'req.ver 2.0'],
  ['HTTP_3.0', 'req.ver 3.0'],
  ['HTTP_CONTENT', 'req.hdr_val(content-length) gt 0'],
  ['HTTP_URL_ABS', 'url_reg ^[^/:]*://'],
  ['HTTP_URL_SLASH', 'url_beg /'],
  ['HTTP_URL_STAR', 'url *'],
  ['METH_CONNECT', 'method CONNECT'],
  ['METH_DELETE', 'method DELETE'],
  ['METH_GET', 'method GET HEAD'],
  ['METH_HEAD', 'method HEAD'],
  ['METH_OPTIONS', 'method OPTIONS'],
  ['METH_POST', 'method POST'],
  ['METH_PUT', 'method PUT'],
  ['METH_TRACE', 'method TRACE'],
  ['RDP_COOKIE', 'req.rdp_cookie_cnt gt 0'],
  ['REQ_CONTENT', 'req.len gt 0'],
  ['WAIT_END', 'wait_end'],
]);

/** configuration.txt 7.1: ACL names use letters, digits, '-', '_', '.' and ':'. */
const ACL_NAME_CHAR = /[A-Za-z0-9_.:-]/;

/** The `acl` keyword: checks the name now, keeps the rest for `resolveAcls`. */
export function readAclStatement(c: Ctx): void {
  // haproxy 2.6 refuses it too ("'acl' not allowed in anonymous 'defaults' section").
  if (c.draft.kind === 'defaults') {
    c.diag.error(c.pos, "'acl' is not allowed in a defaults section");
    return;
  }
  const [name, ...words] = c.args;
  if (name === undefined || words.length === 0) {
    c.diag.error(c.pos, "'acl' expects a name and a criterion", 'HALO_E_CONFIG_SYNTAX');
    return;
  }
  const bad = [...name].find((ch) => !ACL_NAME_CHAR.test(ch));
  if (bad !== undefined) {
    c.diag.error(c.pos, `character '${bad}' is not permitted in acl name '${name}'`);
    return;
  }
  if (name.toLowerCase() === 'or') {
    c.diag.error(c.pos, "acl name 'or' would never match: 'or' joins the groups of a condition");
    return;
  }
  c.draft.acls.push({ name, words, pos: c.pos });
}

/**
 * The section's ACLs and its `use_backend` rules with their conditions resolved. Several lines
 * of one name OR together; a condition may only name an ACL declared above it (haproxy resolves
 * names when it reads the rule), but later lines of that name still extend it, as in haproxy.
 * A condition with an error is reported and kept as never matching: the config fails anyway.
 */
export function resolveAcls(
  p: ProxyDraft,
  diag: Diagnostics,
): { acls: LbAcl[]; useBackends: LbUseBackend<LbAclCondition>[] } {
  const declared: Declared = new Map();
  for (const s of p.acls) {
    let entry = declared.get(s.name);
    if (entry === undefined) {
      entry = { firstLine: s.pos.line, tests: [] };
      declared.set(s.name, entry);
    }
    const test = parseTest(s.words, `acl '${s.name}'`, p, s.pos, diag);
    if (test !== null) entry.tests.push(test);
  }
  const acls = [...declared].map(([name, e]) => ({ name, tests: e.tests }));
  const useBackends = p.useBackends.map((u) => ({
    ...u,
    condition: u.condition === null ? null : resolveCondition(u.condition, declared, p, diag),
  }));
  return { acls, useBackends };
}

/** Every test a frontend's ACLs and rules use, once each (anonymous ones live only in rules). */
export function aclTestsOf(acls: readonly LbAcl[], rules: readonly LbUseBackend<LbAclCondition>[]): LbAclTest[] {
  const all = new Set(acls.flatMap((a) => a.tests));
  for (const r of rules)
    for (const group of r.condition?.anyOf ?? []) for (const term of group) for (const t of term.tests) all.add(t);
  return [...all];
}

/** configuration.txt 7.2: `[!]acl ... { or|'||' [!]acl ... }`, with `{ ... }` anonymous ACLs. */
function resolveCondition(c: LbCondition, declared: Declared, p: ProxyDraft, diag: Diagnostics): LbAclCondition {
  const words = c.text.split(' ').filter((w) => w !== '');
  const anyOf: LbAclTerm[][] = [];
  let group: LbAclTerm[] | null = null;
  let negate = false;
  const fail = (message: string): LbAclCondition => {
    diag.error(c.pos, `condition '${c.kind} ${c.text}': ${message}`);
    return { ...c, anyOf: [] };
  };
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    // haproxy strips every leading '!', each one flipping the term; a lone '!' applies to the next word.
    while (word.startsWith('!')) {
      negate = !negate;
      word = word.slice(1);
    }
    if (word === '') continue;
    if (word.toLowerCase() === 'or' || word === '||') {
      group = null;
      negate = false;
      continue;
    }
    let term: LbAclTerm;
    if (word === '{') {
      const close = words.indexOf('}', i + 1);
      if (close < 0) return fail("missing closing '}'");
      const inner = words.slice(i + 1, close);
      if (inner.length === 0) return fail("'{ }' holds no criterion");
      const text = `{ ${inner.join(' ')} }`;
      const test = parseTest(inner, text, p, c.pos, diag);
      if (test === null) return { ...c, anyOf: [] };
      term = { negate, acl: text, tests: [test] };
      i = close;
    } else {
      const tests = lookUp(word, c, declared, p, diag);
      if (typeof tests === 'string') return fail(tests);
      if (tests === null) return { ...c, anyOf: [] };
      term = { negate, acl: word, tests };
    }
    if (group === null) {
      group = [];
      anyOf.push(group);
    }
    group.push(term);
    negate = false;
  }
  return { ...c, anyOf };
}

/**
 * The tests of the ACL a condition names: one declared above the rule, else a predefined one
 * (haproxy looks them up in that order, so a section may redefine TRUE). A string is an error
 * for the condition; null means the error was already reported.
 */
function lookUp(
  name: string,
  c: LbCondition,
  declared: Declared,
  p: ProxyDraft,
  diag: Diagnostics,
): LbAclTest[] | string | null {
  const own = declared.get(name);
  if (own !== undefined && own.firstLine < c.pos.line) return own.tests;
  const predefined = PREDEFINED.get(name);
  if (predefined !== undefined) {
    const test = parseTest(predefined.split(' '), `predefined ACL '${name}'`, p, c.pos, diag);
    return test === null ? null : [test];
  }
  if (own !== undefined)
    return (
      `ACL '${name}' is declared at line ${own.firstLine}, after this rule: ` +
      `declare it before the rules that use it`
    );
  return `no such ACL: '${name}'`;
}

/** `<criterion> [flags] [operator] [<value>] ...` (7.1) of an acl line, an anonymous ACL or a predefined one. */
function parseTest(
  words: readonly string[],
  what: string,
  p: ProxyDraft,
  pos: SourcePos,
  diag: Diagnostics,
): LbAclTest | null {
  const fail = (message: string): null => {
    diag.error(pos, `${what}: ${message}`);
    return null;
  };
  const criterion = words[0]!;
  const call = /^([A-Za-z0-9_.]+)(?:\(([^()]*)\))?$/.exec(criterion);
  const spec = call === null ? undefined : FETCHES.get(call[1]!);
  if (call === null || spec === undefined) {
    const comma = criterion.indexOf(',');
    if (comma > 0 && FETCHES.has(criterion.slice(0, comma))) {
      return fail(`converters ('${criterion}') are not supported by halo`);
    }
    return fail(
      `criterion '${criterion}' is not available in halo's mode tcp (halo decides when it accepts the connection, ` +
        `from ${KNOWN_CRITERIA})`,
    );
  }
  const arg = call[2];
  let backend: string | null = null;
  if (spec.takesBackend) {
    backend = arg === undefined || arg === '' ? (p.kind === 'listen' ? p.name : null) : arg;
    if (backend === null)
      return fail(
        `'${criterion}' counts the servers of its own section, and ${p.kind} '${p.name}' has none: ` +
          `write nbsrv(<backend>)`,
      );
    if (backend.includes(',')) return fail(`'${criterion}' takes one backend name`);
  } else if (arg !== undefined) {
    return fail(`'${call[1]}' takes no argument`);
  }

  let i = 1;
  let method: LbAclMatch['method'] | null = null;
  for (; i < words.length && words[i]!.startsWith('-'); i++) {
    const flag = words[i]!;
    if (flag === '--') {
      i++;
      break;
    }
    if (flag === '-n') continue; // no DNS: halo never resolves names anyway
    if (flag === '-m') {
      const name = words[++i];
      if (name === undefined) return fail("'-m' expects a matching method");
      if (method !== null) return fail("only one '-m' matching method may be given");
      if (!HAPROXY_METHODS.has(name)) return fail(`unknown matching method '${name}'`);
      const allowed = METHODS_FOR[spec.type];
      const chosen = allowed.find((m) => m === name);
      if (chosen === undefined)
        return fail(`matching method '${name}' is not supported by halo for '${call[1]}' (use ${allowed.join(', ')})`);
      method = chosen;
      continue;
    }
    if (flag === '-i' || flag === '-f' || flag === '-M' || flag === '-u') {
      return fail(`flag '${flag}' is not supported by halo (only -n, -m and --)`);
    }
    return fail(`'${flag}' is not a valid ACL flag; put '--' before a pattern that begins with '-'`);
  }
  const patterns = words.slice(i);
  const chosen = method ?? spec.type;
  // haproxy warns alike: a criterion alone never matches unless its sample is a boolean.
  if (words.length === 1 && spec.type !== 'bool')
    diag.warn(
      pos,
      `${what}: '${criterion}' has no pattern, so it never matches (add '-m found' or '--')`,
      'HALO_W_CONFIG_INEFFECTIVE',
    );
  const match = parseMatch(chosen, patterns);
  if (typeof match === 'string') return fail(match);
  if ((chosen === 'bool' || chosen === 'found') && patterns.length > 0)
    diag.warn(pos, `${what}: patterns '${patterns.join(' ')}' are ignored by '-m ${chosen}'`, 'HALO_W_CONFIG_IGNORED');
  return { fetch: spec.fetch, backend, match, pos };
}

/** The patterns for one matching method, or an error message. */
function parseMatch(method: LbAclMatch['method'], patterns: readonly string[]): LbAclMatch | string {
  if (method === 'bool' || method === 'found') return { method };
  if (method === 'ip') {
    const networks: LbAclNetwork[] = [];
    for (const text of patterns) {
      const n = parseNetwork(text);
      if (typeof n === 'string') return n;
      networks.push(n);
    }
    return { method, networks };
  }
  const ranges: LbAclRange[] = [];
  let operator = 'eq';
  for (const text of patterns) {
    if (INT_OPERATORS.has(text)) {
      operator = text;
      continue;
    }
    const r = parseRange(text, operator);
    if (r === null)
      return `'${text}' is not a number, a number range (a:b, a:, :b) or an operator (eq, ge, gt, le, lt)`;
    ranges.push(r);
  }
  return { method, ranges };
}

/**
 * 7.1.2, as pat_parse_int and parse_acl_expr read it: a value with ':' or '-' is a range whatever
 * the operator (`-5` is `:5`); a plain number takes the operator (`lt 1` is `:0`).
 */
function parseRange(text: string, operator: string): LbAclRange | null {
  const sep = text.search(/[:-]/);
  if (sep < 0) {
    const n = parseNumber(text);
    if (n === null) return null;
    if (operator === 'ge' || operator === 'gt') return { min: operator === 'gt' ? n + 1 : n, max: null };
    if (operator === 'le' || operator === 'lt') return { min: null, max: operator === 'lt' ? n - 1 : n };
    return { min: n, max: n };
  }
  const [low, high] = [text.slice(0, sep), text.slice(sep + 1)];
  const min = low === '' ? null : parseNumber(low);
  const max = high === '' ? null : parseNumber(high);
  if ((low === '' && high === '') || (low !== '' && min === null) || (high !== '' && max === null)) return null;
  if (min !== null && max !== null && min > max) return null;
  return { min, max };
}

function parseNumber(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * 7.1.6: an IPv4 address with an optional `/bits` or dotted netmask, or an IPv6 address with an
 * optional `/bits`. haproxy may resolve a host name or read `10.12` as 10.0.0.12 without `-n`;
 * halo reads literal addresses only, as haproxy does with `-n`.
 */
function parseNetwork(text: string): LbAclNetwork | string {
  const invalid = `'${text}' is not a valid IPv4 or IPv6 address or network (halo reads literal addresses only)`;
  const slash = text.lastIndexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? null : text.slice(slash + 1);
  if (isIPv4(address)) {
    if (mask === null) return { family: 4, address, prefix: 32 };
    const prefix = isIPv4(mask) ? dottedPrefix(mask) : bits(mask, 32);
    if (prefix === null) {
      return isIPv4(mask) ? `'${text}': the netmask ${mask} is not contiguous, which halo does not support` : invalid;
    }
    return { family: 4, address, prefix };
  }
  if (isIPv6(address) && !address.includes('%')) {
    const prefix = mask === null ? 128 : bits(mask, 128);
    return prefix === null ? invalid : { family: 6, address, prefix };
  }
  return invalid;
}

function bits(text: string, max: number): number | null {
  if (!/^[0-9]{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** The prefix length of a contiguous dotted netmask (255.255.240.0 → 20), else null. */
function dottedPrefix(mask: string): number | null {
  const value = mask.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  for (let prefix = 0; prefix <= 32; prefix++) {
    if (value === 2 ** 32 - 2 ** (32 - prefix)) return prefix;
  }
  return null;
}
