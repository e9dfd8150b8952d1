import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdvertSpec, decodeIpv4Packet, encodeIpv4Packet, internetChecksum } from '../../../src/io/vrrp/codec.js';
import type { DropReason, LocalInstance } from '../../../src/io/vrrp/packet.types.js';
import { type CheckResult, checkAdvert } from '../../../src/io/vrrp/receiveChecks.js';

const V2: AdvertSpec = {
  version: 2,
  vrid: 51,
  priority: 100,
  advertIntervalCs: 100,
  addresses: ['192.0.2.100', '192.0.2.101'],
  authPass: 'secret12',
  src: '192.0.2.12',
  dst: '224.0.0.18',
};
const V3: AdvertSpec = {
  version: 3,
  vrid: 52,
  priority: 100,
  advertIntervalCs: 100,
  addresses: ['192.0.2.200'],
  src: '192.0.2.12',
  dst: '224.0.0.18',
};

/** The instance that sends `spec` — it accepts its peers' adverts. */
function localOf(spec: AdvertSpec, extra: Partial<LocalInstance> = {}): LocalInstance {
  const { version, vrid, advertIntervalCs, addresses, authPass } = spec;
  return { version, vrid, advertIntervalCs, addresses, ...(authPass === undefined ? {} : { authPass }), ...extra };
}

/** Received bytes through the whole receive path: decode, then the instance's checks. */
function receive(bytes: Buffer, local: LocalInstance): CheckResult {
  const decoded = decodeIpv4Packet(bytes);
  return decoded.ok ? checkAdvert(decoded.packet, local) : decoded;
}

/** Encode `spec`, edit the bytes, then make both checksums valid again (a well-formed but odd packet). */
function forged(spec: AdvertSpec, edit: (ip: Buffer, vrrp: Buffer) => void): Buffer {
  const b = encodeIpv4Packet(spec);
  const vrrp = b.subarray(20);
  edit(b, vrrp);
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(internetChecksum([b.subarray(0, 20)]), 10);
  vrrp.writeUInt16BE(0, 6);
  const pseudo =
    spec.version === 3 ? [b.subarray(12, 20), Buffer.from([0, 112, vrrp.length >> 8, vrrp.length & 0xff])] : [];
  vrrp.writeUInt16BE(internetChecksum([...pseudo, vrrp]), 6);
  return b;
}

describe('every drop reason, received bytes → decode → checkAdvert (table)', () => {
  const good = encodeIpv4Packet(V2);
  // A Record, so the compiler insists every DropReason has a row.
  const table: Record<DropReason, { bytes: Buffer; local: LocalInstance; why: string }> = {
    truncated: { bytes: good.subarray(0, 30), local: localOf(V2), why: 'a datagram cut short' },
    bad_ip_header: {
      bytes: Buffer.from(good).fill(0x46, 0, 1),
      local: localOf(V2),
      why: 'IHL changed without fixing the header checksum',
    },
    not_vrrp: { bytes: forged(V2, (ip) => (ip[9] = 17)), local: localOf(V2), why: 'a UDP datagram' },
    length: {
      bytes: Buffer.concat([good, Buffer.alloc(4)]),
      local: localOf(V2),
      why: 'bytes beyond the IP total length',
    },
    version: {
      bytes: encodeIpv4Packet(V3),
      local: { ...localOf(V3), version: 2 },
      why: 'a v3 advert to a v2 instance',
    },
    checksum: { bytes: Buffer.from(good).fill(0, 26, 28), local: localOf(V2), why: 'a zeroed VRRP checksum' },
    vrid: { bytes: good, local: { ...localOf(V2), vrid: 52 }, why: 'an advert routed to the wrong instance' },
    ttl: { bytes: forged(V2, (ip) => (ip[8] = 64)), local: localOf(V2), why: 'TTL 64: a routed packet' },
    type: { bytes: forged(V2, (_, v) => (v[0] = 0x22)), local: localOf(V2), why: 'type 2' },
    auth: { bytes: encodeIpv4Packet({ ...V2, authPass: 'secret13' }), local: localOf(V2), why: 'a wrong PASS text' },
    interval: {
      bytes: encodeIpv4Packet({ ...V2, advertIntervalCs: 200 }),
      local: localOf(V2),
      why: 'v2 Adver Int 2 s against our 1 s',
    },
    addr_count: {
      bytes: encodeIpv4Packet({ ...V2, addresses: ['192.0.2.100'] }),
      local: localOf(V2),
      why: 'one VIP where we have two',
    },
    addr_list: {
      bytes: encodeIpv4Packet({ ...V2, addresses: ['192.0.2.100', '192.0.2.102'] }),
      local: localOf(V2),
      why: 'a VIP of ours missing',
    },
    destination: {
      bytes: encodeIpv4Packet({ ...V2, dst: '192.0.2.11' }),
      local: localOf(V2),
      why: 'unicast to a multicast instance',
    },
  };
  for (const [reason, { bytes, local, why }] of Object.entries(table)) {
    it(`'${reason}': ${why}`, () => {
      const r = receive(bytes, local);
      assert.equal(r.ok, false, 'dropped');
      assert.equal(r.ok ? undefined : r.reason, reason);
      assert.ok(!r.ok && r.detail.length > 0, 'says why');
    });
  }
});

describe('checkAdvert accepts what keepalived accepts', () => {
  it('accepts a peer advert of the same configuration, v2 and v3', () => {
    assert.deepEqual(receive(encodeIpv4Packet(V2), localOf(V2)), { ok: true, addressMismatch: false });
    assert.deepEqual(receive(encodeIpv4Packet(V3), localOf(V3)), { ok: true, addressMismatch: false });
  });

  it('accepts priority 0, the master resigning (RFC 3768 6.4.2)', () => {
    assert.deepEqual(receive(encodeIpv4Packet({ ...V2, priority: 0 }), localOf(V2)), {
      ok: true,
      addressMismatch: false,
    });
  });

  it('v3 learns a different interval instead of dropping it (RFC 5798 6.4.2)', () => {
    assert.deepEqual(receive(encodeIpv4Packet({ ...V3, advertIntervalCs: 25 }), localOf(V3)), {
      ok: true,
      addressMismatch: false,
    });
  });

  it('v3 ignores a configured password: the protocol has no authentication', () => {
    assert.equal(receive(encodeIpv4Packet(V3), localOf(V3, { authPass: 'secret12' })).ok, true);
  });

  it('accepts the same VIPs in another order (keepalived looks each one up)', () => {
    const reordered = encodeIpv4Packet({ ...V2, addresses: [...V2.addresses].reverse() });
    assert.deepEqual(receive(reordered, localOf(V2)), { ok: true, addressMismatch: false });
  });

  it('reports rather than drops other VIPs when told not to verify them', () => {
    const local = localOf(V2, { verifyAddresses: false });
    assert.deepEqual(receive(encodeIpv4Packet({ ...V2, addresses: ['192.0.2.100'] }), local), {
      ok: true,
      addressMismatch: true,
    });
    assert.deepEqual(receive(encodeIpv4Packet({ ...V2, addresses: ['192.0.2.100', '192.0.2.9'] }), local), {
      ok: true,
      addressMismatch: true,
    });
    assert.deepEqual(receive(encodeIpv4Packet(V2), local), { ok: true, addressMismatch: false });
  });

  it('unicast instances accept unicast adverts with any TTL and drop multicast ones', () => {
    const local = localOf(V3, { unicast: true });
    const unicast = forged({ ...V3, dst: '192.0.2.11' }, (ip) => (ip[8] = 62));
    assert.deepEqual(receive(unicast, local), { ok: true, addressMismatch: false });
    const r = receive(encodeIpv4Packet(V3), local);
    assert.equal(r.ok ? undefined : r.reason, 'destination');
  });
});

describe('checkAdvert v2 authentication (RFC 3768 5.3.6, 7.1)', () => {
  const cases: Array<[string, AdvertSpec, LocalInstance]> = [
    ['no auth received, PASS configured', { ...V2, authPass: undefined }, localOf(V2)],
    ['PASS received, none configured', V2, localOf({ ...V2, authPass: undefined })],
    ['a prefix of the password', { ...V2, authPass: 'secret1' }, localOf(V2)],
    ['the password with more text', V2, localOf({ ...V2, authPass: 'secret1' })],
  ];
  for (const [what, sent, local] of cases) {
    it(`drops ${what} as 'auth'`, () => {
      const r = receive(encodeIpv4Packet(sent), local);
      assert.equal(r.ok ? undefined : r.reason, 'auth');
    });
  }

  it('drops IP AH (Auth Type 2), which halo never configures', () => {
    const ah = forged({ ...V2, authPass: undefined }, (_, v) => (v[4] = 2));
    assert.equal(decodeIpv4Packet(ah).ok, true);
    const r = receive(ah, localOf({ ...V2, authPass: undefined }));
    assert.equal(r.ok ? undefined : r.reason, 'auth');
  });

  it('never puts either password in the detail it logs', () => {
    const r = receive(encodeIpv4Packet({ ...V2, authPass: 'hunter22' }), localOf(V2));
    assert.ok(!r.ok);
    assert.doesNotMatch(r.detail, /hunter22|secret12/);
  });
});
