/**
 * Linux socket-option numbers the VRRP socket needs, and the `struct ip_mreqn` they take.
 * raw-socket's SocketOption table lacks the multicast options, so the values come from
 * <linux/in.h> and <asm-generic/socket.h> (the same on every Linux architecture for IPPROTO_IP;
 * SO_BINDTODEVICE is 25 on all but a few exotic ones such as parisc).
 */
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';
import { HaloError } from '../../errors.js';

// The protocol number and the multicast group are packet facts: they live in packet.types.ts.
export { IPPROTO_VRRP, VRRP_MULTICAST_V4 as VRRP_MCAST_GROUP } from './packet.types.js';

export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;

export const IPPROTO_IP = 0;
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_HDRINCL = 3;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;

/** Internetwork control precedence (0xc0), as keepalived marks adverts. */
export const TOS_INTERNETWORK_CONTROL = 0xc0;

/** `struct ip_mreqn` is 12 bytes: two `struct in_addr` (network order) and an `int` ifindex (host order). */
export const IP_MREQN_SIZE = 12;

/**
 * Build `struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }`.
 * With an ifindex the kernel picks the interface by index and ignores imr_address, so callers
 * pass 0.0.0.0 there.
 */
export function ipMreqn(multiaddr: string, address: string, ifindex: number): Buffer {
  const buf = Buffer.alloc(IP_MREQN_SIZE);
  writeIpv4(buf, 0, multiaddr);
  writeIpv4(buf, 4, address);
  if (endianness() === 'LE') buf.writeInt32LE(ifindex, 8);
  else buf.writeInt32BE(ifindex, 8);
  return buf;
}

/** A device name for SO_BINDTODEVICE: the kernel reads a NUL-terminated string. */
export function deviceNameOption(dev: string): Buffer {
  return Buffer.from(`${dev}\0`, 'latin1');
}

function writeIpv4(buf: Buffer, offset: number, address: string): void {
  if (!isIPv4(address)) throw new HaloError('HALO_E_VRRP_SOCKET', `not an IPv4 address: ${address}`, { address });
  Buffer.from(address.split('.').map(Number)).copy(buf, offset);
}
