/**
 * A hand-built IPv4 + VRRPv3 advertisement for the socket tests, independent of the codec so
 * the socket is tested against bytes we wrote ourselves.
 */
import { isIPv4 } from 'node:net';

export interface TestAdvert {
  src: string;
  dst: string;
  vrid: number;
  priority: number;
  vip: string;
  /** IP identification; non-zero so the kernel keeps it and the bytes on the wire are ours. */
  id: number;
}

export function buildAdvertPacket(a: TestAdvert): Buffer {
  const vrrp = Buffer.alloc(12);
  vrrp.writeUInt8(0x31, 0); // version 3, type 1 (advertisement)
  vrrp.writeUInt8(a.vrid, 1);
  vrrp.writeUInt8(a.priority, 2);
  vrrp.writeUInt8(1, 3); // one address
  vrrp.writeUInt16BE(100, 4); // max advert interval 100 centiseconds
  ipv4Bytes(a.vip).copy(vrrp, 8);
  // RFC 5798 §5.2.8: the v3 checksum covers an IPv4 pseudo-header.
  const pseudo = Buffer.concat([ipv4Bytes(a.src), ipv4Bytes(a.dst), Buffer.from([0, 112, 0, vrrp.length])]);
  vrrp.writeUInt16BE(checksum(Buffer.concat([pseudo, vrrp])), 6);

  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt8(0xc0, 1);
  ip.writeUInt16BE(20 + vrrp.length, 2);
  ip.writeUInt16BE(a.id, 4);
  ip.writeUInt8(255, 8);
  ip.writeUInt8(112, 9);
  ipv4Bytes(a.src).copy(ip, 12);
  ipv4Bytes(a.dst).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  return Buffer.concat([ip, vrrp]);
}

function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`not IPv4: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) + (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
