import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isHaloError } from '../../../src/errors.js';
import {
  type AdvertSpec,
  decodeIpv4Packet,
  encodeIpv4Packet,
  encodeVrrp,
  internetChecksum,
} from '../../../src/io/vrrp/codec.js';
import type { DropReason, VrrpPacket } from '../../../src/io/vrrp/packet.types.js';
import { goldenSpecs } from '../../fixtures/vrrp/goldenSpecs.js';

/** The IPv4 datagrams of a test/fixtures/vrrp/*.hex file (one per line, '#' lines are comments). */
function readFixture(name: string): Buffer[] {
  const text = readFileSync(new URL(`../../../../test/fixtures/vrrp/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Buffer.from(l, 'hex'));
}

// The sender of the captured fixtures was lab node 1.
const { v2: V2_SPEC, v3: V3_SPEC } = goldenSpecs('192.0.2.11');

function decodeOk(buf: Buffer): VrrpPacket {
  const r = decodeIpv4Packet(buf);
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.detail}`);
  return r.packet;
}

function decodeReason(buf: Buffer): DropReason {
  const r = decodeIpv4Packet(buf);
  assert.ok(!r.ok, 'expected a drop');
  return r.reason;
}

/** A copy of `buf` with `edit` applied and the IPv4 header checksum made valid again. */
function patchIp(buf: Buffer, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(buf);
  edit(b);
  const ihl = (b[0]! & 0x0f) * 4;
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(internetChecksum([b.subarray(0, ihl)]), 10);
  return b;
}

describe('golden packets from Debian keepalived 2.2.7', () => {
  const v2 = readFixture('keepalived-v2-pass.hex');
  const v3 = readFixture('keepalived-v3.hex');

  it('has captured packets to test against', () => {
    assert.equal(v2.length, 3);
    assert.equal(v3.length, 5);
  });

  it('decodes a VRRPv2 PASS advert to the configured fields', () => {
    const { ip, vrrp } = decodeOk(v2[0]!);
    assert.deepEqual(ip, {
      ihl: 5,
      tos: 0xc0,
      totalLength: 44,
      id: 1,
      ttl: 255,
      protocol: 112,
      checksum: 0x1883,
      src: '192.0.2.11',
      dst: '224.0.0.18',
    });
    assert.deepEqual(vrrp, {
      version: 2,
      type: 1,
      vrid: 51,
      priority: 150,
      addresses: ['192.0.2.100', '192.0.2.101'],
      advertIntervalCs: 100,
      authType: 1,
      authPass: 'secret12',
      checksum: 0x5580,
    });
  });

  it('decodes a VRRPv3 advert to the configured fields (interval in centiseconds, no auth)', () => {
    const { ip, vrrp } = decodeOk(v3[0]!);
    assert.equal(ip.totalLength, 40);
    assert.deepEqual(vrrp, {
      version: 3,
      type: 1,
      vrid: 52,
      priority: 120,
      addresses: ['192.0.2.200', '192.0.2.201', '203.0.113.9'],
      advertIntervalCs: 10,
      authType: 0,
      authPass: '',
      checksum: 0xf27e,
    });
  });

  it('encodeVrrp reproduces the VRRP bytes keepalived sent, v2 and v3', () => {
    for (const [spec, packets] of [
      [V2_SPEC, v2],
      [V3_SPEC, v3],
    ] as const) {
      for (const p of packets) assert.equal(encodeVrrp(spec).toString('hex'), p.subarray(20).toString('hex'));
    }
  });

  it('encodeIpv4Packet reproduces the whole datagram given the id the kernel chose', () => {
    for (const [spec, packets] of [
      [V2_SPEC, v2],
      [V3_SPEC, v3],
    ] as const) {
      for (const p of packets)
        assert.equal(encodeIpv4Packet(spec, { id: p.readUInt16BE(4) }).toString('hex'), p.toString('hex'));
    }
  });

  it('sends like keepalived: TOS 0xc0, TTL 255, no DF, id 0 left for the kernel', () => {
    const p = encodeIpv4Packet(V2_SPEC);
    assert.equal(p[1], 0xc0);
    assert.equal(p[8], 255);
    assert.equal(p.readUInt16BE(6), 0, 'flags and fragment offset are zero (keepalived sets frag_off 0)');
    assert.equal(p.readUInt16BE(4), 0);
  });
});

describe('checksums', () => {
  it('v3 covers the IPv4 pseudo-header: another source or destination changes it (RFC 5798 5.2.8)', () => {
    const base = encodeVrrp(V3_SPEC).readUInt16BE(6);
    assert.notEqual(encodeVrrp({ ...V3_SPEC, src: '192.0.2.12' }).readUInt16BE(6), base);
    assert.notEqual(encodeVrrp({ ...V3_SPEC, dst: '192.0.2.13' }).readUInt16BE(6), base);
  });

  it('v2 covers the VRRP message only: source and destination do not change it (RFC 3768 5.3.8)', () => {
    const base = encodeVrrp(V2_SPEC);
    assert.deepEqual(encodeVrrp({ ...V2_SPEC, src: '192.0.2.12', dst: '192.0.2.13' }), base);
  });

  it('a v3 advert re-addressed to another destination fails the checksum', () => {
    const moved = patchIp(encodeIpv4Packet(V3_SPEC), (b) => b.writeUInt32BE(0xc000020d, 16));
    assert.equal(decodeReason(moved), 'checksum');
  });
});

describe('encode → decode round trip', () => {
  const specs: AdvertSpec[] = [
    V2_SPEC,
    V3_SPEC,
    { ...V2_SPEC, authPass: undefined, priority: 0, advertIntervalCs: 25500, addresses: [] },
    { ...V2_SPEC, authPass: 'ab', vrid: 255, priority: 255 },
    {
      ...V3_SPEC,
      advertIntervalCs: 4095,
      vrid: 1,
      addresses: Array.from({ length: 255 }, (_, i) => `198.51.100.${i}`),
    },
  ];
  for (const spec of specs) {
    it(
      `v${spec.version} VRID ${spec.vrid}, ${spec.addresses.length} addresses, ` +
        `interval ${spec.advertIntervalCs} cs`,
      () => {
        const { ip, vrrp } = decodeOk(encodeIpv4Packet(spec, { id: 7 }));
        assert.deepEqual(
          { src: ip.src, dst: ip.dst, id: ip.id, ttl: ip.ttl },
          { src: spec.src, dst: spec.dst, id: 7, ttl: 255 },
        );
        assert.deepEqual(
          {
            version: vrrp.version,
            vrid: vrrp.vrid,
            priority: vrrp.priority,
            addresses: vrrp.addresses,
            advertIntervalCs: vrrp.advertIntervalCs,
            authType: vrrp.authType,
            authPass: vrrp.authPass,
          },
          {
            version: spec.version,
            vrid: spec.vrid,
            priority: spec.priority,
            addresses: spec.addresses,
            advertIntervalCs: spec.advertIntervalCs,
            authType: spec.version === 2 && spec.authPass !== undefined ? 1 : 0,
            authPass: spec.version === 2 ? (spec.authPass ?? '') : '',
          },
        );
      },
    );
  }

  it('v3 carries no authentication even when given a password (RFC 5798 removed it)', () => {
    assert.deepEqual(encodeVrrp({ ...V3_SPEC, authPass: 'secret12' }), encodeVrrp(V3_SPEC));
  });

  it('ignores the reserved bits above the v3 interval on reception (RFC 5798 5.2.6)', () => {
    const p = encodeIpv4Packet(V3_SPEC);
    const vrrp = p.subarray(20);
    vrrp[4] = vrrp[4]! | 0xf0;
    vrrp.writeUInt16BE(0, 6);
    vrrp.writeUInt16BE(internetChecksum([p.subarray(12, 20), Buffer.from([0, 112, 0, vrrp.length]), vrrp]), 6);
    assert.equal(decodeOk(p).vrrp.advertIntervalCs, 10);
  });

  it('keeps a PASS text byte for byte, stripping only the NUL padding', () => {
    assert.equal(decodeOk(encodeIpv4Packet({ ...V2_SPEC, authPass: 'a\0b' })).vrrp.authPass, 'a\0b');
  });

  it('reads the VRRP message after IPv4 options (IHL > 5)', () => {
    const plain = encodeIpv4Packet(V2_SPEC);
    const withOption = Buffer.concat([plain.subarray(0, 20), Buffer.from([0x94, 0x04, 0, 0]), plain.subarray(20)]);
    const p = patchIp(withOption, (b) => {
      b[0] = 0x46;
      b.writeUInt16BE(withOption.length, 2);
    });
    const decoded = decodeOk(p);
    assert.equal(decoded.ip.ihl, 6);
    assert.deepEqual(decoded.vrrp.addresses, V2_SPEC.addresses);
  });
});

describe('encode refuses what cannot go on the wire', () => {
  const bad: Array<[string, AdvertSpec]> = [
    ['VRID 0', { ...V2_SPEC, vrid: 0 }],
    ['VRID 256', { ...V2_SPEC, vrid: 256 }],
    ['priority 256', { ...V2_SPEC, priority: 256 }],
    ['a fractional v2 interval (1.5 s)', { ...V2_SPEC, advertIntervalCs: 150 }],
    ['a v2 interval over 255 s', { ...V2_SPEC, advertIntervalCs: 25600 }],
    ['a zero v3 interval', { ...V3_SPEC, advertIntervalCs: 0 }],
    ['a v3 interval over 12 bits', { ...V3_SPEC, advertIntervalCs: 4096 }],
    ['a 9-byte password', { ...V2_SPEC, authPass: 'secret123' }],
    ['256 addresses', { ...V3_SPEC, addresses: Array.from({ length: 256 }, () => '192.0.2.1') }],
    ['a VIP that is not IPv4', { ...V2_SPEC, addresses: ['192.0.2.300'] }],
    ['a source that is not IPv4', { ...V2_SPEC, src: 'fe80::1' }],
  ];
  for (const [what, spec] of bad) {
    it(`throws HALO_E_CONFIG_VALUE for ${what}`, () => {
      assert.throws(
        () => encodeIpv4Packet(spec),
        (err) => isHaloError(err) && err.code === 'HALO_E_CONFIG_VALUE',
      );
    });
  }
});

describe('decode drop reasons (table)', () => {
  const good = encodeIpv4Packet(V2_SPEC);
  const cases: Array<[string, Buffer, DropReason]> = [
    ['an empty buffer', Buffer.alloc(0), 'truncated'],
    ['19 bytes', good.subarray(0, 19), 'truncated'],
    ['fewer bytes than the IP total length', good.subarray(0, good.length - 1), 'truncated'],
    [
      'an IPv4 header without room for the VRRP header',
      patchIp(good.subarray(0, 24), (b) => b.writeUInt16BE(24, 2)),
      'truncated',
    ],
    ['IHL larger than the buffer', patchIp(good.subarray(0, 20), (b) => (b[0] = 0x4f)), 'truncated'],
    ['IP version 6', patchIp(good, (b) => (b[0] = 0x65)), 'bad_ip_header'],
    ['IHL 4', Buffer.from(good).fill(0x44, 0, 1), 'bad_ip_header'],
    ['a bad IPv4 header checksum', Buffer.from(good).fill(0, 10, 12), 'bad_ip_header'],
    ['IP protocol 6', patchIp(good, (b) => (b[9] = 6)), 'not_vrrp'],
    ['IP protocol 51 (keepalived auth_type AH)', patchIp(good, (b) => (b[9] = 51)), 'not_vrrp'],
    ['Ethernet padding after the datagram', Buffer.concat([good, Buffer.alloc(6)]), 'length'],
    ['Count IP Addrs one more than the addresses sent', patchIp(good, (b) => (b[23] = 3)), 'length'],
    ['VRRP version 1', patchIp(good, (b) => (b[20] = 0x11)), 'version'],
    ['a corrupted VRRP checksum', patchIp(good, (b) => (b[27] = b[27]! ^ 1)), 'checksum'],
    ['a corrupted VIP', patchIp(good, (b) => (b[31] = b[31]! ^ 0x80)), 'checksum'],
  ];
  for (const [what, buf, reason] of cases) {
    it(`drops ${what} as '${reason}'`, () => {
      const r = decodeIpv4Packet(buf);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? undefined : r.reason, reason);
      assert.ok(!r.ok && r.detail.length > 0, 'says why');
    });
  }
});
