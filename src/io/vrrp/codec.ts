/**
 * VRRP advertisements to and from bytes, byte-for-byte as Debian's keepalived 2.2.7 puts them on
 * the wire (test/fixtures/vrrp/*.hex are its captured packets). Pure: Buffer in, Buffer out.
 *
 * Layout (RFC 3768 5.1 / RFC 5798 5.1), 8 fixed octets then Count IP Addrs addresses:
 *   0 version<<4 | type   1 VRID   2 priority   3 count
 *   v2: 4 Auth Type   5 Adver Int (s)            v3: 4-5 rsvd(4 bits) | Max Adver Int (12 bits, cs)
 *   6-7 checksum      8.. addresses             v2 only: 8 octets of Authentication Data last
 */
import { isIPv4 } from 'node:net';
import { HaloError } from '../../errors.js';
import {
  type DropReason,
  IPPROTO_VRRP,
  type Ipv4Header,
  VRRP_AUTH_LEN,
  VRRP_AUTH_NONE,
  VRRP_AUTH_PASS,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  type VrrpAdvert,
  type VrrpPacket,
  type VrrpVersion,
} from './packet.types.js';

export interface AdvertSpec {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  advertIntervalCs: number;
  addresses: string[];
  /** v2 simple text password (RFC 3768 5.3.6.1); ignored in v3, which has no authentication (RFC 5798 9). */
  authPass?: string;
  src: string;
  dst: string;
}

export type DecodeResult = { ok: true; packet: VrrpPacket } | { ok: false; reason: DropReason; detail: string };

const IPV4_HEADER_LEN = 20;
const IPV4_ADDR_LEN = 4;
const VRRP_FIXED_LEN = 8;
/** keepalived's vrrp_build_ip4: "internet network control" precedence. */
const TOS_NETWORK_CONTROL = 0xc0;
/** v3 Max Adver Int is 12 bits of centiseconds (RFC 5798 5.2.7). */
const V3_MAX_INTERVAL_CS = 0x0fff;

/** Octets of the VRRP message for `count` IPv4 addresses (RFC 3768 5.1, RFC 5798 5.1). */
function vrrpLength(version: VrrpVersion, count: number): number {
  return VRRP_FIXED_LEN + count * IPV4_ADDR_LEN + (version === 2 ? VRRP_AUTH_LEN : 0);
}

/**
 * RFC 1071 Internet checksum over the concatenation of `parts` (each of even length but the
 * last). 0 when run over data that already carries a valid checksum.
 */
export function internetChecksum(parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    const even = part.length & ~1;
    for (let i = 0; i < even; i += 2) sum += part.readUInt16BE(i);
    if (part.length !== even) sum += part[even]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * v3 over IPv4 sums a pseudo-header first (RFC 5798 5.2.8): src, dst, zero, protocol, VRRP
 * length. v2 sums the VRRP message alone (RFC 3768 5.3.8).
 */
function vrrpChecksumParts(version: VrrpVersion, src: Buffer, dst: Buffer, message: Buffer): Buffer[] {
  if (version === 2) return [message];
  const tail = Buffer.alloc(4);
  tail[1] = IPPROTO_VRRP;
  tail.writeUInt16BE(message.length, 2);
  return [src, dst, tail, message];
}

function ipv4Bytes(addr: string, what: string): Buffer {
  if (!isIPv4(addr))
    throw new HaloError('HALO_E_CONFIG_VALUE', `VRRP ${what} is not an IPv4 address: ${addr}`, { [what]: addr });
  return Buffer.from(addr.split('.').map(Number));
}

function ipv4String(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function requireInt(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HaloError('HALO_E_CONFIG_VALUE', `VRRP ${what} must be an integer in ${min}..${max}, got ${value}`, {
      [what]: value,
    });
  }
  return value;
}

/** The advert interval as the version carries it: whole seconds in v2, centiseconds in v3. */
function intervalField(spec: AdvertSpec): number {
  if (spec.version === 3) return requireInt(spec.advertIntervalCs, 1, V3_MAX_INTERVAL_CS, 'advertIntervalCs');
  // RFC 3768 5.3.7: Adver Int is an 8-bit count of whole seconds.
  return requireInt(spec.advertIntervalCs / 100, 1, 255, 'advertIntervalSeconds');
}

/**
 * v2 Authentication Data: the PASS text NUL-padded to 8 octets, as keepalived copies auth_data.
 * Local passwords are UTF-8 text; a received one is decoded as latin1, so it re-encodes as latin1.
 */
export function authData(authPass: string, encoding: 'utf8' | 'latin1' = 'utf8'): Buffer {
  const text = Buffer.from(authPass, encoding);
  if (text.length > VRRP_AUTH_LEN) {
    throw new HaloError(
      'HALO_E_CONFIG_VALUE',
      `VRRP auth_pass is ${text.length} bytes; the limit is ${VRRP_AUTH_LEN}`,
      {
        authPassBytes: text.length,
      },
    );
  }
  const data = Buffer.alloc(VRRP_AUTH_LEN);
  text.copy(data);
  return data;
}

/** The VRRP message (header, addresses, v2 auth data) with its checksum filled in. */
export function encodeVrrp(spec: AdvertSpec): Buffer {
  const { version } = spec;
  requireInt(version, 2, 3, 'version');
  const count = requireInt(spec.addresses.length, 0, 255, 'addressCount');
  const msg = Buffer.alloc(vrrpLength(version, count));
  msg[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  msg[1] = requireInt(spec.vrid, 1, 255, 'vrid');
  msg[2] = requireInt(spec.priority, 0, 255, 'priority');
  msg[3] = count;
  const interval = intervalField(spec);
  if (version === 2) {
    msg[4] = spec.authPass === undefined ? VRRP_AUTH_NONE : VRRP_AUTH_PASS;
    msg[5] = interval;
    if (spec.authPass !== undefined) authData(spec.authPass).copy(msg, msg.length - VRRP_AUTH_LEN);
  } else {
    msg.writeUInt16BE(interval, 4);
  }
  spec.addresses.forEach((addr, i) => {
    ipv4Bytes(addr, 'address').copy(msg, VRRP_FIXED_LEN + i * IPV4_ADDR_LEN);
  });
  const parts = vrrpChecksumParts(version, ipv4Bytes(spec.src, 'src'), ipv4Bytes(spec.dst, 'dst'), msg);
  msg.writeUInt16BE(internetChecksum(parts), 6);
  return msg;
}

/**
 * A whole IPv4 datagram for a raw socket with IP_HDRINCL. Fields follow keepalived's
 * vrrp_build_ip4: TOS 0xc0, TTL 255, frag_off 0 (no DF: the captured adverts show flags
 * [none]), id 0 so the kernel picks one. The kernel rewrites the header checksum on send; it is
 * computed here anyway so the bytes are a complete packet (fixtures compare whole packets).
 */
export function encodeIpv4Packet(spec: AdvertSpec, opts: { id?: number } = {}): Buffer {
  const vrrp = encodeVrrp(spec);
  const header = Buffer.alloc(IPV4_HEADER_LEN);
  header[0] = 0x40 | (IPV4_HEADER_LEN >> 2);
  header[1] = TOS_NETWORK_CONTROL;
  header.writeUInt16BE(IPV4_HEADER_LEN + vrrp.length, 2);
  header.writeUInt16BE(requireInt(opts.id ?? 0, 0, 0xffff, 'id'), 4);
  header[8] = VRRP_TTL;
  header[9] = IPPROTO_VRRP;
  ipv4Bytes(spec.src, 'src').copy(header, 12);
  ipv4Bytes(spec.dst, 'dst').copy(header, 16);
  header.writeUInt16BE(internetChecksum([header]), 10);
  return Buffer.concat([header, vrrp]);
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/**
 * Parse a received IPv4 datagram (as a raw IPPROTO_VRRP socket returns it: header included,
 * trimmed to the IP total length). Checks everything that needs no local configuration —
 * structure, lengths (RFC 3768 7.1 "complete VRRP packet") and the VRRP checksum; the rest is
 * checkAdvert's. Never throws: every index below is bounds-checked first.
 */
export function decodeIpv4Packet(buf: Buffer): DecodeResult {
  if (buf.length < IPV4_HEADER_LEN)
    return drop('truncated', `${buf.length} bytes, an IPv4 header needs ${IPV4_HEADER_LEN}`);
  const ipVersion = buf[0]! >> 4;
  const headerLen = (buf[0]! & 0x0f) * 4;
  if (ipVersion !== 4) return drop('bad_ip_header', `IP version ${ipVersion}`);
  if (headerLen < IPV4_HEADER_LEN) return drop('bad_ip_header', `IHL ${headerLen / 4} words`);
  if (buf.length < headerLen)
    return drop('truncated', `${buf.length} bytes, IHL says the header alone is ${headerLen}`);
  const ipHeader = buf.subarray(0, headerLen);
  if (internetChecksum([ipHeader]) !== 0) return drop('bad_ip_header', 'IPv4 header checksum does not verify');
  const totalLength = buf.readUInt16BE(2);
  // keepalived: "ip_tot_len mismatch against received length".
  if (totalLength > buf.length)
    return drop('truncated', `${buf.length} bytes received, IP total length ${totalLength}`);
  if (totalLength !== buf.length) return drop('length', `${buf.length} bytes received, IP total length ${totalLength}`);
  const protocol = buf[9]!;
  if (protocol !== IPPROTO_VRRP) return drop('not_vrrp', `IP protocol ${protocol}`);

  const msg = buf.subarray(headerLen, totalLength);
  if (msg.length < VRRP_FIXED_LEN)
    return drop('truncated', `VRRP message is ${msg.length} bytes, the fixed header is ${VRRP_FIXED_LEN}`);
  const version = msg[0]! >> 4;
  if (version !== 2 && version !== 3) return drop('version', `VRRP version ${version}`);
  const count = msg[3]!;
  const expected = vrrpLength(version, count);
  if (msg.length !== expected) {
    return drop('length', `VRRPv${version} message is ${msg.length} bytes; ${count} addresses need ${expected}`);
  }
  const src = buf.subarray(12, 16);
  const dst = buf.subarray(16, 20);
  if (internetChecksum(vrrpChecksumParts(version, src, dst, msg)) !== 0) {
    return drop(
      'checksum',
      `VRRPv${version} checksum 0x${msg.readUInt16BE(6).toString(16).padStart(4, '0')} does not verify`,
    );
  }

  const ip: Ipv4Header = {
    ihl: headerLen / 4,
    tos: buf[1]!,
    totalLength,
    id: buf.readUInt16BE(4),
    ttl: buf[8]!,
    protocol,
    checksum: buf.readUInt16BE(10),
    src: ipv4String(buf, 12),
    dst: ipv4String(buf, 16),
  };
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(ipv4String(msg, VRRP_FIXED_LEN + i * IPV4_ADDR_LEN));
  const authType = version === 2 ? msg[4]! : VRRP_AUTH_NONE;
  const vrrp: VrrpAdvert = {
    version,
    type: msg[0]! & 0x0f,
    vrid: msg[1]!,
    priority: msg[2]!,
    addresses,
    // v3: the 4 rsvd bits are ignored on reception (RFC 5798 5.2.6).
    advertIntervalCs: version === 2 ? msg[5]! * 100 : msg.readUInt16BE(4) & V3_MAX_INTERVAL_CS,
    authType,
    // RFC 3768 5.3.10: the data is only meaningful for PASS; latin1 keeps every byte.
    authPass:
      authType === VRRP_AUTH_PASS
        ? msg
            .subarray(msg.length - VRRP_AUTH_LEN)
            .toString('latin1')
            .replace(/\0+$/, '')
        : '',
    checksum: msg.readUInt16BE(6),
  };
  return { ok: true, packet: { ip, vrrp } };
}
