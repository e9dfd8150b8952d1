/**
 * Evaluates resolved ACL conditions (src/config/haproxy/acl.ts) against one new connection,
 * with haproxy's semantics (configuration.txt 7.1, 7.2): an ACL matches when any of its tests
 * does, a test when its sample matches any pattern; terms of a group AND, groups OR, `!`
 * negates a term, `unless` the whole condition. Pure: the caller brings the connection's
 * addresses and the live server counts.
 */
import type {
  LbAclCondition,
  LbAclMatch,
  LbAclNetwork,
  LbAclTerm,
  LbAclTest,
  LbUseBackend,
} from '../../config/lb.model.js';

/** What is known of a connection when it is accepted (haproxy's src, src_port, dst, dst_port). */
export interface ConnectionFacts {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

/** The number of usable servers of a backend now (haproxy's nbsrv). */
export type NbsrvLookup = (backend: string) => number;

export type Matcher = (facts: ConnectionFacts) => boolean;

/**
 * How a frontend picks a backend: `fixed` when no connection can change the answer (no rule
 * before the first one that always applies), else the rules run in order per connection and
 * null means no rule matched and there is no default_backend.
 */
export type BackendChoice =
  | { kind: 'fixed'; backend: string | null }
  | { kind: 'per-connection'; choose: (facts: ConnectionFacts) => string | null };

/** An address as haproxy compares it: IPv4 as a 32-bit number, IPv6 as a 128-bit bigint. */
type Ip = { family: 4; value: number } | { family: 6; value: bigint };

interface Networks {
  v4: { address: number; mask: number }[];
  v6: { address: bigint; mask: bigint }[];
}

const ALL_128 = (1n << 128n) - 1n;
const NO_FACTS: ConnectionFacts = { src: '', srcPort: 0, dst: '', dstPort: 0 };

/** 4.2 "use_backend": the first rule whose condition holds wins, else the default backend. */
export function backendChoice(
  rules: readonly LbUseBackend<LbAclCondition>[],
  fallback: string | null,
  nbsrv: NbsrvLookup,
): BackendChoice {
  const live: { backend: string; holds: Matcher }[] = [];
  let otherwise = fallback;
  for (const r of rules) {
    const constant = r.condition === null ? true : constantValue(r.condition);
    if (constant === false) continue;
    if (constant === true) {
      // Rules after one that always applies are never reached.
      otherwise = r.backend;
      break;
    }
    live.push({ backend: r.backend, holds: compileCondition(r.condition!, nbsrv) });
  }
  if (live.length === 0) return { kind: 'fixed', backend: otherwise };
  return {
    kind: 'per-connection',
    choose: (facts) => {
      for (const l of live) if (l.holds(facts)) return l.backend;
      return otherwise;
    },
  };
}

/** The condition's value when it reads nothing from the connection or the servers (TRUE, FALSE, …), else null. */
export function constantValue(c: LbAclCondition): boolean | null {
  const constant = c.anyOf.every((group) =>
    group.every((term) => term.tests.every((t) => t.fetch === 'always_true' || t.fetch === 'always_false')),
  );
  return constant ? compileCondition(c, () => 0)(NO_FACTS) : null;
}

/** A matcher for the condition, polarity (`if`/`unless`) applied; patterns are parsed once here. */
export function compileCondition(c: LbAclCondition, nbsrv: NbsrvLookup): Matcher {
  const groups = c.anyOf.map((group) => group.map((term) => compileTerm(term, nbsrv)));
  const holds: Matcher = (facts) => groups.some((group) => group.every((term) => term(facts)));
  return c.kind === 'if' ? holds : (facts) => !holds(facts);
}

function compileTerm(term: LbAclTerm, nbsrv: NbsrvLookup): Matcher {
  const tests = term.tests.map((t) => compileTest(t, nbsrv));
  const matches: Matcher = (facts) => tests.some((t) => t(facts));
  return term.negate ? (facts) => !matches(facts) : matches;
}

function compileTest(t: LbAclTest, nbsrv: NbsrvLookup): Matcher {
  switch (t.fetch) {
    case 'src':
    case 'dst': {
      const key = t.fetch;
      const matchIp = ipMatcher(t.match);
      return (facts) => {
        const ip = parseIp(facts[key]);
        return ip !== null && matchIp(ip);
      };
    }
    case 'src_port':
    case 'dst_port': {
      const key = t.fetch === 'src_port' ? 'srcPort' : 'dstPort';
      const matchInt = intMatcher(t.match);
      return (facts) => matchInt(facts[key]);
    }
    case 'nbsrv': {
      const backend = t.backend!;
      const matchInt = intMatcher(t.match);
      return () => matchInt(nbsrv(backend));
    }
    case 'always_true':
    case 'always_false': {
      // A boolean sample: `-m int` sees 1 or 0 (7.1.2).
      const value = intMatcher(t.match)(t.fetch === 'always_true' ? 1 : 0);
      return () => value;
    }
  }
}

/** int: within any range; bool: non-zero (7.1.1); found: a sample exists, which it always does here. */
function intMatcher(m: LbAclMatch): (n: number) => boolean {
  switch (m.method) {
    case 'int': {
      const ranges = m.ranges;
      return (n) => ranges.some((r) => (r.min === null || r.min <= n) && (r.max === null || n <= r.max));
    }
    case 'bool':
      return (n) => n !== 0;
    default:
      return () => true;
  }
}

function ipMatcher(m: LbAclMatch): (ip: Ip) => boolean {
  if (m.method !== 'ip') return () => true;
  const nets = compileNetworks(m.networks);
  return (ip) => matchesNetworks(ip, nets);
}

function compileNetworks(list: readonly LbAclNetwork[]): Networks {
  const nets: Networks = { v4: [], v6: [] };
  for (const n of list) {
    const ip = parseIp(n.address);
    if (ip?.family === 4)
      nets.v4.push({ address: ip.value, mask: n.prefix === 0 ? 0 : (0xffffffff << (32 - n.prefix)) >>> 0 });
    else if (ip?.family === 6)
      nets.v6.push({ address: ip.value, mask: ALL_128 ^ ((1n << BigInt(128 - n.prefix)) - 1n) });
  }
  return nets;
}

/**
 * pat_match_ip (haproxy src/pattern.c, 7.1.6): an IPv4 sample is tried against IPv4 networks,
 * then as ::ffff:a.b.c.d against IPv6 ones; an IPv6 sample against IPv6 networks, then, if it
 * embeds an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d or 6to4 2002:AABB:CCDD::), against IPv4 ones.
 */
function matchesNetworks(ip: Ip, nets: Networks): boolean {
  if (ip.family === 4) return inV4(ip.value, nets) || inV6((0xffffn << 32n) | BigInt(ip.value), nets);
  if (inV6(ip.value, nets)) return true;
  const v4 = embeddedV4(ip.value);
  return v4 !== null && inV4(v4, nets);
}

function inV4(address: number, nets: Networks): boolean {
  return nets.v4.some((n) => ((address ^ n.address) & n.mask) === 0);
}

function inV6(address: bigint, nets: Networks): boolean {
  return nets.v6.some((n) => ((address ^ n.address) & n.mask) === 0n);
}

/** haproxy's v6tov4: IPv4-mapped, IPv4-compatible and 6to4 addresses carry an IPv4 address. */
function embeddedV4(v6: bigint): number | null {
  const middle = (v6 >> 32n) & 0xffffffffn;
  if (v6 >> 64n === 0n && (middle === 0xffffn || middle === 0n)) return Number(v6 & 0xffffffffn);
  if (v6 >> 112n === 0x2002n) return Number((v6 >> 80n) & 0xffffffffn);
  return null;
}

/** A literal IPv4 or IPv6 address (an IPv6 zone, `%eth0`, is dropped); null for anything else. */
function parseIp(text: string): Ip | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseV6(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

function parseV4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return null;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

function parseV6(text: string): bigint | null {
  const zone = text.indexOf('%');
  const halves = (zone < 0 ? text : text.slice(0, zone)).split('::');
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = groupsOf(halves[0]!, !compressed);
  const tail = compressed ? groupsOf(halves[1]!, true) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(compressed ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** The 16-bit groups of one side of `::`; a trailing dotted quad (`::ffff:1.2.3.4`) is two groups. */
function groupsOf(part: string, last: boolean): number[] | null {
  if (part === '') return [];
  const items = part.split(':');
  const groups: number[] = [];
  for (const [i, item] of items.entries()) {
    if (last && i === items.length - 1 && item.includes('.')) {
      const v4 = parseV4(item);
      if (v4 === null) return null;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
      groups.push(Number.parseInt(item, 16));
    } else {
      return null;
    }
  }
  return groups;
}
