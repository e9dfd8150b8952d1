/**
 * Property tests for the receive path: whatever arrives on a raw socket, decodeIpv4Packet and
 * checkAdvert answer without throwing, and damage to a valid advert is never accepted. Seeded, so
 * a failure names the seed and replays; bounded to well under 2 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdvertSpec, decodeIpv4Packet, encodeIpv4Packet, internetChecksum } from '../../../src/io/vrrp/codec.js';
import type { LocalInstance } from '../../../src/io/vrrp/packet.types.js';
import { checkAdvert } from '../../../src/io/vrrp/receiveChecks.js';

const SEED = Number(process.env.HALO_FUZZ_SEED ?? 0x5eed_1234);
const RANDOM_BUFFERS = 20_000;
const RANDOM_MUTANTS = 20_000;
const VALID_PACKETS = 48;
const TIME_BUDGET_MS = 2000;

/** mulberry32: small, fast, good enough to spread inputs; deterministic per seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(SEED);
const int = (n: number): number => Math.floor(rand() * n);
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

function randomSpec(): AdvertSpec {
  const version = rand() < 0.5 ? 2 : 3;
  const addresses = Array.from({ length: int(6) }, () => `192.0.2.${int(256)}`);
  const authPass = version === 2 && rand() < 0.5 ? 'pw'.repeat(int(5)) : undefined;
  return {
    version,
    vrid: 1 + int(255),
    priority: int(256),
    advertIntervalCs: version === 2 ? 100 * (1 + int(255)) : 1 + int(4095),
    addresses,
    ...(authPass === undefined ? {} : { authPass }),
    src: `192.0.2.${1 + int(254)}`,
    dst: rand() < 0.8 ? '224.0.0.18' : `198.51.100.${int(256)}`,
  };
}

/** The receiving peer of `spec`: it accepts the unmutated advert. */
function localOf(spec: AdvertSpec): LocalInstance {
  const { version, vrid, advertIntervalCs, addresses, authPass } = spec;
  const unicast = !spec.dst.startsWith('224.');
  return { version, vrid, advertIntervalCs, addresses, unicast, ...(authPass === undefined ? {} : { authPass }) };
}

/** The whole receive path; throws only if decode or check does. */
function accepted(buf: Buffer, local: LocalInstance): boolean {
  const decoded = decodeIpv4Packet(buf);
  return decoded.ok && checkAdvert(decoded.packet, local).ok;
}

function flipBit(buf: Buffer, bit: number): Buffer {
  const b = Buffer.from(buf);
  b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
  return b;
}

describe(`VRRP receive path under fuzzing (seed ${SEED})`, () => {
  const started = performance.now();
  const valid = Array.from({ length: VALID_PACKETS }, () => {
    const spec = randomSpec();
    return { spec, local: localOf(spec), buf: encodeIpv4Packet(spec, { id: int(0x10000) }) };
  });

  it('accepts every unmutated packet (the baseline the mutations break)', () => {
    for (const { buf, local } of valid) assert.equal(accepted(buf, local), true, buf.toString('hex'));
  });

  it(
    `never throws on ${RANDOM_BUFFERS} random buffers, ` + `half shaped like IPv4 VRRP so they reach the VRRP parser`,
    () => {
      const local = valid[0]!.local;
      for (let i = 0; i < RANDOM_BUFFERS; i++) {
        const buf = bytes(int(96));
        if (i % 2 === 0 && buf.length >= 20) {
          buf[0] = 0x45;
          buf[9] = 112;
          buf.writeUInt16BE(buf.length, 2);
          buf.writeUInt16BE(0, 10);
          buf.writeUInt16BE(internetChecksum([buf.subarray(0, 20)]), 10);
        }
        accepted(buf, local);
      }
    },
  );

  it('rejects every single-bit flip anywhere in a valid datagram', () => {
    for (const { buf, local } of valid) {
      for (let bit = 0; bit < buf.length * 8; bit++) {
        assert.equal(accepted(flipBit(buf, bit), local), false, `bit ${bit} of ${buf.toString('hex')}`);
      }
    }
  });

  it('detects every other value of either VRRP checksum byte', () => {
    for (const { buf } of valid) {
      for (const offset of [26, 27]) {
        for (let v = 0; v < 256; v++) {
          if (v === buf[offset]) continue;
          const b = Buffer.from(buf);
          b[offset] = v;
          const r = decodeIpv4Packet(b);
          assert.equal(r.ok ? undefined : r.reason, 'checksum', `byte ${offset} = ${v} of ${buf.toString('hex')}`);
        }
      }
    }
  });

  it('rejects every truncation and every extension', () => {
    for (const { buf, local } of valid) {
      for (let len = 0; len < buf.length; len++)
        assert.equal(accepted(buf.subarray(0, len), local), false, `cut to ${len}`);
      for (let extra = 1; extra <= 16; extra++) {
        assert.equal(accepted(Buffer.concat([buf, bytes(extra)]), local), false, `${extra} bytes appended`);
      }
    }
  });

  it(`never throws on ${RANDOM_MUTANTS} valid packets with random bytes overwritten, cut or extended`, () => {
    for (let i = 0; i < RANDOM_MUTANTS; i++) {
      const { buf, local } = valid[int(valid.length)]!;
      let b = Buffer.from(buf);
      for (let k = 1 + int(4); k > 0; k--) b[int(b.length)] = int(256);
      if (rand() < 0.3) b = b.subarray(0, int(b.length));
      if (rand() < 0.3) b = Buffer.concat([b, bytes(int(12))]);
      accepted(b, local);
    }
  });

  it(`stays within ${TIME_BUDGET_MS} ms`, () => {
    assert.ok(performance.now() - started < TIME_BUDGET_MS, `took ${Math.round(performance.now() - started)} ms`);
  });
});
