import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeProxyV1, encodeProxyV2, ipv6Bytes } from '../../../src/io/proxy/proxyHeader.js';

const v4 = { srcAddress: '192.0.2.10', srcPort: 51000, dstAddress: '198.51.100.1', dstPort: 3366 };

describe('PROXY protocol v1 (proxy-protocol.txt 2.1)', () => {
  it('writes TCP4 with addresses then ports', () => {
    assert.equal(encodeProxyV1(v4).toString(), 'PROXY TCP4 192.0.2.10 198.51.100.1 51000 3366\r\n');
  });

  it('reports an IPv4-mapped client as IPv4, IPv6 as TCP6, unknown as UNKNOWN', () => {
    assert.equal(
      encodeProxyV1({ ...v4, srcAddress: '::ffff:192.0.2.10', dstAddress: '::ffff:198.51.100.1' }).toString(),
      'PROXY TCP4 192.0.2.10 198.51.100.1 51000 3366\r\n',
    );
    assert.equal(
      encodeProxyV1({ ...v4, srcAddress: '2001:db8::1', dstAddress: '2001:db8::2' }).toString(),
      'PROXY TCP6 2001:db8::1 2001:db8::2 51000 3366\r\n',
    );
    assert.equal(encodeProxyV1({ ...v4, srcAddress: undefined }).toString(), 'PROXY UNKNOWN\r\n');
  });
});

describe('PROXY protocol v2 (proxy-protocol.txt 2.2)', () => {
  it('TCP over IPv4: signature, 0x21, 0x11, length 12, addresses, ports', () => {
    const b = encodeProxyV2(v4);
    assert.equal(b.length, 16 + 12);
    assert.deepEqual([...b.subarray(0, 12)], [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
    assert.equal(b[12], 0x21);
    assert.equal(b[13], 0x11);
    assert.equal(b.readUInt16BE(14), 12);
    assert.deepEqual([...b.subarray(16, 24)], [192, 0, 2, 10, 198, 51, 100, 1]);
    assert.equal(b.readUInt16BE(24), 51000);
    assert.equal(b.readUInt16BE(26), 3366);
  });

  it('TCP over IPv6 with 36 address bytes; a mixed pair is written mapped', () => {
    const b = encodeProxyV2({ ...v4, srcAddress: '2001:db8::1', dstAddress: '198.51.100.1' });
    assert.equal(b[13], 0x21);
    assert.equal(b.readUInt16BE(14), 36);
    assert.deepEqual([...b.subarray(16, 32)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual([...b.subarray(32, 48)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1]);
    assert.equal(b.readUInt16BE(48), 51000);
  });

  it('unknown addresses: family UNSPEC with no address block', () => {
    const b = encodeProxyV2({ srcAddress: undefined, srcPort: undefined, dstAddress: undefined, dstPort: undefined });
    assert.equal(b.length, 16);
    assert.equal(b[13], 0x00);
    assert.equal(b.readUInt16BE(14), 0);
  });

  it('expands IPv6 text in every form', () => {
    assert.deepEqual(ipv6Bytes('::1'), [...new Array(15).fill(0), 1]);
    assert.deepEqual(ipv6Bytes('fe80::'), [0xfe, 0x80, ...new Array(14).fill(0)]);
    assert.deepEqual(ipv6Bytes('1:2:3:4:5:6:7:8'), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });
});
