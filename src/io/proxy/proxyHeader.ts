/**
 * The PROXY protocol header a server gets first when its `server` line says `send-proxy`
 * (v1, text) or `send-proxy-v2` (binary): who the client is and which address it connected
 * to. Pure encoders, per haproxy's doc/proxy-protocol.txt (sections 2.1 and 2.2).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ProxyEndpoints {
  /** The client (the connection's remote end). */
  srcAddress: string | undefined;
  srcPort: number | undefined;
  /** The address and port the client connected to on this node. */
  dstAddress: string | undefined;
  dstPort: number | undefined;
}

/** 2.2: the v2 signature, "\r\n\r\n\0\r\nQUIT\n". */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Version 2, command PROXY. */
const V2_PROXY = 0x21;
/** Family/transport: TCP over IPv4, TCP over IPv6, unspecified. */
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;
const V2_UNSPEC = 0x00;

type Family = { kind: 'v4'; src: string; dst: string } | { kind: 'v6'; src: string; dst: string } | { kind: 'unknown' };

/** `::ffff:a.b.c.d` is an IPv4 client on a dual-stack socket: report it as the IPv4 it is. */
function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function family(e: ProxyEndpoints): Family {
  if (!e.srcAddress || !e.dstAddress || e.srcPort === undefined || e.dstPort === undefined) return { kind: 'unknown' };
  const src = unmap(e.srcAddress);
  const dst = unmap(e.dstAddress);
  if (isIPv4(src) && isIPv4(dst)) return { kind: 'v4', src, dst };
  // Mixed families: both sides must be of one family, so IPv4 is written mapped into IPv6.
  const six = (a: string): string | null => (isIPv6(a) ? a : isIPv4(a) ? `::ffff:${a}` : null);
  const s6 = six(src);
  const d6 = six(dst);
  return s6 && d6 ? { kind: 'v6', src: s6, dst: d6 } : { kind: 'unknown' };
}

/** 2.1: `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, or `PROXY UNKNOWN\r\n` when the addresses are not known. */
export function encodeProxyV1(e: ProxyEndpoints): Buffer {
  const f = family(e);
  if (f.kind === 'unknown') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  return Buffer.from(
    `PROXY ${f.kind === 'v4' ? 'TCP4' : 'TCP6'} ${f.src} ${f.dst} ${e.srcPort} ${e.dstPort}\r\n`,
    'latin1',
  );
}

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

/** 16 bytes of an IPv6 address, `::` and an embedded dotted quad expanded. */
export function ipv6Bytes(a: string): number[] {
  let text = a;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [b0, b1, b2, b3] = ipv4Bytes(quad[1]!) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** 2.2: signature, version/command, family, length, then addresses and ports in network order. */
export function encodeProxyV2(e: ProxyEndpoints): Buffer {
  const f = family(e);
  if (f.kind === 'unknown') return Buffer.concat([V2_SIGNATURE, Buffer.from([V2_PROXY, V2_UNSPEC, 0, 0])]);
  const addr =
    f.kind === 'v4' ? [...ipv4Bytes(f.src), ...ipv4Bytes(f.dst)] : [...ipv6Bytes(f.src), ...ipv6Bytes(f.dst)];
  const body = Buffer.alloc(addr.length + 4);
  Buffer.from(addr).copy(body, 0);
  body.writeUInt16BE(e.srcPort!, addr.length);
  body.writeUInt16BE(e.dstPort!, addr.length + 2);
  const head = Buffer.alloc(4);
  head[0] = V2_PROXY;
  head[1] = f.kind === 'v4' ? V2_TCP4 : V2_TCP6;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
}

export function encodeProxyHeader(version: 'v1' | 'v2', e: ProxyEndpoints): Buffer {
  return version === 'v1' ? encodeProxyV1(e) : encodeProxyV2(e);
}
