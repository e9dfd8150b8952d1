/**
 * ICMP echo (RFC 792) to and from bytes, for the ICMP health probe. Pure: Buffer in, value out.
 *
 * Echo request / reply:  0 type (8 / 0)  1 code 0  2-3 checksum  4-5 identifier  6-7 sequence  8.. data
 * Error (3 destination unreachable, 11 time exceeded):
 *                        0 type  1 code  2-3 checksum  4-7 unused  8.. the offending datagram's IP
 *                        header and at least its first 64 bits of data, i.e. our echo's id and sequence
 * A raw IPv4 socket hands us the whole datagram, IPv4 header included.
 */
import { internetChecksum } from '../vrrp/codec.js';

export interface EchoRequest {
  identifier: number;
  sequence: number;
  payload: Buffer;
}

/** What a received datagram means to the pinger whose echo identifier is given. */
export type IcmpDecoded =
  /** An echo reply to one of our requests, sent by `from`. */
  | { kind: 'reply'; from: string; identifier: number; sequence: number }
  /** `from` reports that our echo to `to` did not arrive (`description` says why). */
  | {
      kind: 'error';
      type: number;
      code: number;
      description: string;
      from: string;
      to: string;
      identifier: number;
      sequence: number;
    }
  /** Well formed, but not about our echoes: another pinger's identifier, another ICMP type… */
  | { kind: 'foreign'; detail: string }
  /** Too short, bad checksum, not IPv4 / ICMP. */
  | { kind: 'malformed'; detail: string };

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

const IPPROTO_ICMP = 1;
const IPV4_MIN_HEADER = 20;
const ICMP_HEADER = 8;

/** RFC 792, RFC 1122 3.2.2.1 and RFC 1812 5.2.7.1 code names. */
const UNREACH_CODES = [
  'network unreachable',
  'host unreachable',
  'protocol unreachable',
  'port unreachable',
  'fragmentation needed and DF set',
  'source route failed',
  'destination network unknown',
  'destination host unknown',
  'source host isolated',
  'network administratively prohibited',
  'host administratively prohibited',
  'network unreachable for TOS',
  'host unreachable for TOS',
  'communication administratively prohibited',
  'host precedence violation',
  'precedence cutoff in effect',
];
const TIME_EXCEEDED_CODES = ['TTL exceeded in transit', 'fragment reassembly time exceeded'];

export function describeIcmpError(type: number, code: number): string {
  if (type === ICMP_DEST_UNREACH) return UNREACH_CODES[code] ?? `destination unreachable (code ${code})`;
  if (type === ICMP_TIME_EXCEEDED) return TIME_EXCEEDED_CODES[code] ?? `time exceeded (code ${code})`;
  return `ICMP type ${type} code ${code}`;
}

/** An echo request with its checksum filled in (RFC 792: over the whole ICMP message). */
export function encodeEchoRequest(req: EchoRequest): Buffer {
  const msg = Buffer.alloc(ICMP_HEADER + req.payload.length);
  msg[0] = ICMP_ECHO_REQUEST;
  msg.writeUInt16BE(req.identifier, 4);
  msg.writeUInt16BE(req.sequence, 6);
  req.payload.copy(msg, ICMP_HEADER);
  msg.writeUInt16BE(internetChecksum([msg]), 2);
  return msg;
}

/**
 * Decode a datagram from a raw IPv4 ICMP socket for the pinger using `identifier`. Never throws:
 * every index is bounds-checked first. The outer IP header checksum is the kernel's to verify
 * (it drops bad ones); the ICMP checksum is ours, because raw sockets get their copy first.
 */
export function decodeIcmp(datagram: Buffer, identifier: number): IcmpDecoded {
  const outer = splitIpv4(datagram, 'datagram');
  if (typeof outer === 'string') return malformed(outer);
  if (outer.protocol !== IPPROTO_ICMP) return malformed(`IP protocol ${outer.protocol}, not ICMP`);
  // The IP total length bounds the message: anything after it is not part of the datagram.
  const totalLength = datagram.readUInt16BE(2);
  if (totalLength > datagram.length)
    return malformed(`${datagram.length} bytes received, IP total length ${totalLength}`);
  const icmp = datagram.subarray(outer.headerLength, totalLength);
  if (icmp.length < ICMP_HEADER) return malformed(`ICMP message is ${icmp.length} bytes, its header is ${ICMP_HEADER}`);
  if (internetChecksum([icmp]) !== 0)
    return malformed(`ICMP checksum 0x${hex16(icmp.readUInt16BE(2))} does not verify`);

  const type = icmp[0]!;
  const code = icmp[1]!;
  if (type === ICMP_ECHO_REPLY) {
    const echo = { identifier: icmp.readUInt16BE(4), sequence: icmp.readUInt16BE(6) };
    if (echo.identifier !== identifier) return foreign(`echo reply for identifier ${echo.identifier}`);
    return { kind: 'reply', from: outer.src, ...echo };
  }
  if (type !== ICMP_DEST_UNREACH && type !== ICMP_TIME_EXCEEDED) return foreign(`ICMP type ${type}`);

  const description = describeIcmpError(type, code);
  const quoted = icmp.subarray(ICMP_HEADER);
  const inner = splitIpv4(quoted, 'quoted datagram');
  if (typeof inner === 'string') return malformed(`${description}: ${inner}`);
  if (inner.protocol !== IPPROTO_ICMP) return foreign(`${description} about IP protocol ${inner.protocol}`);
  const echo = quoted.subarray(inner.headerLength);
  // RFC 792: the error quotes at least 64 bits of the original data, exactly our echo header.
  if (echo.length < ICMP_HEADER) return malformed(`${description} quotes ${echo.length} bytes of the ICMP message`);
  if (echo[0] !== ICMP_ECHO_REQUEST) return foreign(`${description} about ICMP type ${echo[0]}`);
  const quotedEcho = { identifier: echo.readUInt16BE(4), sequence: echo.readUInt16BE(6) };
  if (quotedEcho.identifier !== identifier) return foreign(`${description} about identifier ${quotedEcho.identifier}`);
  return { kind: 'error', type, code, description, from: outer.src, to: inner.dst, ...quotedEcho };
}

interface Ipv4Split {
  headerLength: number;
  protocol: number;
  src: string;
  dst: string;
}

/** The IPv4 header fields the pinger needs, or why there is no usable header. */
function splitIpv4(buf: Buffer, what: string): Ipv4Split | string {
  if (buf.length < IPV4_MIN_HEADER) return `${what} is ${buf.length} bytes, an IPv4 header needs ${IPV4_MIN_HEADER}`;
  const version = buf[0]! >> 4;
  if (version !== 4) return `${what} has IP version ${version}`;
  const headerLength = (buf[0]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return `${what} has IHL ${headerLength / 4} words`;
  if (buf.length < headerLength) return `${what} is ${buf.length} bytes, IHL says the header alone is ${headerLength}`;
  return { headerLength, protocol: buf[9]!, src: ipv4String(buf, 12), dst: ipv4String(buf, 16) };
}

function ipv4String(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function malformed(detail: string): IcmpDecoded {
  return { kind: 'malformed', detail };
}

function foreign(detail: string): IcmpDecoded {
  return { kind: 'foreign', detail };
}
