import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import raw from 'raw-socket';
import {
  decodeIcmp,
  encodeEchoRequest,
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED,
} from '../../../src/io/checks/icmpEcho.js';

const ID = 0x4242;
const PAYLOAD = Buffer.from('halo health check', 'ascii');

/**
 * Datagrams a raw ICMP socket really delivered (Linux 6.18), for an echo request with
 * identifier 0x4242, sequence 7 and PAYLOAD: on loopback, and in a lab where 192.0.2.12 routes
 * 198.51.100.1 to an unreachable route and bounces 198.51.100.3 with 192.0.2.13 until its TTL runs out.
 */
const captured = {
  ownRequest: '4500002de101400040015bcc7f0000017f000001080052bb4242000768616c6f206865616c746820636865636b',
  reply: '4500002de102000040019bcb7f0000017f00000100005abb4242000768616c6f206865616c746820636865636b',
  hostUnreachable:
    '45c00049d98a000040011c52c000020cc000020b0301fcfe000000004500002d3add4000400113b3c000020bc6336401080052bb42420007' +
    '68616c6f206865616c746820636865636b',
  redirect:
    '45c00049da09000040011bd3c000020cc000020b050138f1c000020d4500002df19040003f015dfdc000020bc6336403080052bb42420007' +
    '68616c6f206865616c746820636865636b',
  ttlExceeded:
    '45c00049223e00004001d39dc000020dc000020b0b00f4ff000000004500002df190400001019bfdc000020bc6336403080052bb42420007' +
    '68616c6f206865616c746820636865636b',
};
const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** An IPv4 datagram around `payload` (the decoder leaves the header checksum to the kernel). */
function ipv4(src: string, dst: string, payload: Buffer, protocol = 1): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header[8] = 64;
  header[9] = protocol;
  Buffer.from(src.split('.').map(Number)).copy(header, 12);
  Buffer.from(dst.split('.').map(Number)).copy(header, 16);
  return Buffer.concat([header, payload]);
}

/** An ICMP message with its checksum from raw-socket's C implementation, not the codec's. */
function icmp(type: number, code: number, rest: Buffer): Buffer {
  const msg = Buffer.concat([Buffer.from([type, code, 0, 0]), rest]);
  return raw.writeChecksum(msg, 2, raw.createChecksum(msg));
}

function echo(type: number, identifier: number, sequence: number, payload = PAYLOAD): Buffer {
  const ids = Buffer.alloc(4);
  ids.writeUInt16BE(identifier, 0);
  ids.writeUInt16BE(sequence, 2);
  return icmp(type, 0, Buffer.concat([ids, payload]));
}

/** What a router sends back about `original`: 4 unused octets, then the datagram it could not deliver. */
function icmpError(type: number, code: number, from: string, original: Buffer, quotedBytes = original.length): Buffer {
  return ipv4(
    from,
    '192.0.2.11',
    icmp(type, code, Buffer.concat([Buffer.alloc(4), original.subarray(0, quotedBytes)])),
  );
}

const ourEcho = (to: string, sequence = 9, identifier = ID): Buffer =>
  ipv4('192.0.2.11', to, echo(ICMP_ECHO_REQUEST, identifier, sequence));

describe('encodeEchoRequest', () => {
  it('writes type 8, code 0, identifier, sequence and the payload with the known checksums', () => {
    const cases = [
      { identifier: 0x1234, sequence: 1, payload: Buffer.alloc(0), hex: '0800e5ca12340001' },
      // An odd payload length: the last octet is summed as the high half of a 16-bit word (RFC 1071).
      { identifier: 0x1234, sequence: 1, payload: Buffer.from('a'), hex: '080084ca1234000161' },
      // End-around carry: 0x0800 + 3 × 0xffff folds to 0x0800.
      { identifier: 0xffff, sequence: 0xffff, payload: Buffer.from([0xff, 0xff]), hex: '0800f7ffffffffffffff' },
      { identifier: ID, sequence: 7, payload: PAYLOAD, hex: '080052bb4242000768616c6f206865616c746820636865636b' },
    ];
    for (const c of cases) {
      assert.equal(encodeEchoRequest(c).toString('hex'), c.hex, `id ${c.identifier} seq ${c.sequence}`);
    }
  });

  it("agrees with raw-socket's own checksum for payloads of every length up to 64 octets", () => {
    for (let len = 0; len <= 64; len++) {
      const payload = Buffer.alloc(len, len * 37);
      const msg = encodeEchoRequest({ identifier: len * 1000, sequence: 0xffff - len, payload });
      const zeroed = Buffer.from(msg);
      zeroed.writeUInt16BE(0, 2);
      assert.equal(msg.readUInt16BE(2), raw.createChecksum(zeroed), `payload of ${len}`);
    }
  });
});

describe('decodeIcmp on datagrams the kernel delivered', () => {
  it("the kernel's echo reply on loopback is ours, with its sequence", () => {
    assert.deepEqual(decodeIcmp(bytes(captured.reply), ID), {
      kind: 'reply',
      from: '127.0.0.1',
      identifier: ID,
      sequence: 7,
    });
  });

  it("the same reply is foreign to a pinger with another identifier (someone else's ping)", () => {
    assert.deepEqual(decodeIcmp(bytes(captured.reply), ID + 1), {
      kind: 'foreign',
      detail: 'echo reply for identifier 16962',
    });
  });

  it('our own echo request, seen by the raw socket on loopback, is foreign', () => {
    assert.deepEqual(decodeIcmp(bytes(captured.ownRequest), ID), { kind: 'foreign', detail: 'ICMP type 8' });
  });

  it("a router's host unreachable names the router, the target and our echo's sequence", () => {
    assert.deepEqual(decodeIcmp(bytes(captured.hostUnreachable), ID), {
      kind: 'error',
      type: ICMP_DEST_UNREACH,
      code: 1,
      description: 'host unreachable',
      from: '192.0.2.12',
      to: '198.51.100.1',
      identifier: ID,
      sequence: 7,
    });
  });

  it('a time exceeded from the hop where the TTL ran out is matched the same way', () => {
    assert.deepEqual(decodeIcmp(bytes(captured.ttlExceeded), ID), {
      kind: 'error',
      type: ICMP_TIME_EXCEEDED,
      code: 0,
      description: 'TTL exceeded in transit',
      from: '192.0.2.13',
      to: '198.51.100.3',
      identifier: ID,
      sequence: 7,
    });
  });

  it('a redirect is not an answer (foreign)', () => {
    assert.deepEqual(decodeIcmp(bytes(captured.redirect), ID), { kind: 'foreign', detail: 'ICMP type 5' });
  });

  it('every truncation of every captured datagram is malformed, never thrown', () => {
    for (const [name, hex] of Object.entries(captured)) {
      const full = bytes(hex);
      for (let len = 0; len < full.length; len++) {
        const got = decodeIcmp(full.subarray(0, len), ID);
        assert.equal(got.kind, 'malformed', `${name} cut to ${len} bytes: ${JSON.stringify(got)}`);
      }
    }
  });

  it('a flipped bit anywhere in the ICMP message fails the checksum', () => {
    for (const [name, hex] of Object.entries(captured)) {
      const full = bytes(hex);
      for (let i = 20; i < full.length; i++) {
        const bad = Buffer.from(full);
        bad[i]! ^= 0x10;
        const got = decodeIcmp(bad, ID);
        assert.equal(got.kind, 'malformed', `${name} byte ${i}`);
        assert.match((got as { detail: string }).detail, /^ICMP checksum 0x[0-9a-f]{4} does not verify$/);
      }
    }
  });
});

describe('decodeIcmp round trips and edge cases', () => {
  it('an echo request turned into a reply (as the target does) decodes to its identifier and sequence', () => {
    for (const [identifier, sequence, len] of [
      [0, 0, 0],
      [1, 0xffff, 1],
      [0xffff, 1, 17],
      [0x8000, 0x7fff, 1000],
    ] as const) {
      const request = encodeEchoRequest({ identifier, sequence, payload: Buffer.alloc(len, 0xa5) });
      const reply = icmp(ICMP_ECHO_REPLY, 0, request.subarray(4));
      assert.deepEqual(decodeIcmp(ipv4('198.51.100.7', '192.0.2.11', reply), identifier), {
        kind: 'reply',
        from: '198.51.100.7',
        identifier,
        sequence,
      });
    }
  });

  it('bytes after the IP total length are not part of the datagram', () => {
    const padded = Buffer.concat([bytes(captured.reply), Buffer.from([1, 2, 3])]);
    assert.equal(decodeIcmp(padded, ID).kind, 'reply');
  });

  it('every destination unreachable code gets its name; unknown codes say their number', () => {
    const names: Array<[number, number, string]> = [
      [ICMP_DEST_UNREACH, 0, 'network unreachable'],
      [ICMP_DEST_UNREACH, 3, 'port unreachable'],
      [ICMP_DEST_UNREACH, 13, 'communication administratively prohibited'],
      [ICMP_DEST_UNREACH, 15, 'precedence cutoff in effect'],
      [ICMP_DEST_UNREACH, 16, 'destination unreachable (code 16)'],
      [ICMP_TIME_EXCEEDED, 1, 'fragment reassembly time exceeded'],
      [ICMP_TIME_EXCEEDED, 2, 'time exceeded (code 2)'],
    ];
    for (const [type, code, description] of names) {
      const got = decodeIcmp(icmpError(type, code, '198.51.100.254', ourEcho('198.51.100.9')), ID);
      assert.deepEqual(got, {
        kind: 'error',
        type,
        code,
        description,
        from: '198.51.100.254',
        to: '198.51.100.9',
        identifier: ID,
        sequence: 9,
      });
    }
  });

  it('errors about something other than our echo are foreign', () => {
    const udp = ipv4('192.0.2.11', '198.51.100.9', Buffer.alloc(8), 17);
    const cases: Array<[Buffer, string]> = [
      [icmpError(ICMP_DEST_UNREACH, 3, '198.51.100.9', udp), 'port unreachable about IP protocol 17'],
      [
        icmpError(ICMP_DEST_UNREACH, 1, '192.0.2.12', ourEcho('198.51.100.9', 9, 0x1111)),
        'host unreachable about identifier 4369',
      ],
      [
        icmpError(
          ICMP_TIME_EXCEEDED,
          0,
          '192.0.2.12',
          ipv4('192.0.2.11', '198.51.100.9', echo(ICMP_ECHO_REPLY, ID, 9)),
        ),
        'TTL exceeded in transit about ICMP type 0',
      ],
    ];
    for (const [datagram, detail] of cases) assert.deepEqual(decodeIcmp(datagram, ID), { kind: 'foreign', detail });
  });

  it('says what is wrong with datagrams that are not well-formed IPv4 ICMP', () => {
    const reply = bytes(captured.reply);
    const withByte = (at: number, value: number): Buffer => {
      const b = Buffer.from(reply);
      b[at] = value;
      return b;
    };
    const cases: Array<[Buffer, string]> = [
      [Buffer.alloc(0), 'datagram is 0 bytes, an IPv4 header needs 20'],
      [withByte(0, 0x65), 'datagram has IP version 6'],
      [withByte(0, 0x44), 'datagram has IHL 4 words'],
      [withByte(0, 0x4f), 'datagram is 45 bytes, IHL says the header alone is 60'],
      [withByte(9, 6), 'IP protocol 6, not ICMP'],
      [ipv4('192.0.2.12', '192.0.2.11', Buffer.from([0, 0, 0, 0])), 'ICMP message is 4 bytes, its header is 8'],
      [
        icmpError(ICMP_DEST_UNREACH, 1, '192.0.2.12', ourEcho('198.51.100.9'), 24),
        'host unreachable quotes 4 bytes of the ICMP message',
      ],
      [
        icmpError(ICMP_DEST_UNREACH, 1, '192.0.2.12', ourEcho('198.51.100.9'), 12),
        'host unreachable: quoted datagram is 12 bytes, an IPv4 header needs 20',
      ],
    ];
    for (const [datagram, detail] of cases) assert.deepEqual(decodeIcmp(datagram, ID), { kind: 'malformed', detail });
  });
});
