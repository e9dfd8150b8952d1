import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../src/io/sleep.js';
import { type AdvertSpec, encodeIpv4Packet, internetChecksum } from '../../src/io/vrrp/codec.js';
import { createHaloLab, type HaloLab, holders, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { spawnJsonChild } from '../io/jsonChild.js';
import { recordLog, stoppedCounters } from './fixtures/daemonLog.js';

const VI = 'vrrp:VI_1';
const VIP = '192.0.2.100';
const GROUP = '224.0.0.18';
const PASS = 'secret1';
const REPEAT = 3;
/** The raw-socket peer the io tests use, compiled next to them. */
const PEER = fileURLToPath(new URL('../io/vrrp/fixtures/vrrpPeer.js', import.meta.url));

/** v2 with PASS authentication: the only version that has an auth field to get wrong (RFC 5798 9 dropped it). */
const AUTH = 'authentication {\n    auth_type PASS\n    auth_pass secret1\n  }';

/** An advert that WOULD make the master yield (priority 200 > 150) if anything let it through. */
function winning(src: string, over: Partial<AdvertSpec> = {}): Buffer {
  return encodeIpv4Packet({ version: 2, vrid: 51, priority: 200, advertIntervalCs: 100, addresses: [VIP], authPass: PASS, src, dst: GROUP, ...over });
}

/** Rewrite the VRRPv2 checksum (RFC 3768 5.3.8: over the VRRP message alone) after editing a field. */
function resealV2(pkt: Buffer): Buffer {
  pkt.writeUInt16BE(0, 26);
  pkt.writeUInt16BE(internetChecksum([pkt.subarray(20)]), 26);
  return pkt;
}

interface BadPacket {
  what: string;
  packet: Buffer;
  dst: string;
  /** The counter the receiving node must raise once per copy (labels as counterKey sorts them). */
  counter: string;
}

function barrage(src: string, nodeIp: string): BadPacket[] {
  const dropped = (reason: string, perInstance: boolean): string =>
    `vrrp_rx_dropped_total{dev=eth0,${perInstance ? 'instance=VI_1,' : ''}reason=${reason}}`;
  const badChecksum = winning(src);
  badChecksum.writeUInt16BE(badChecksum.readUInt16BE(26) ^ 0x5a5a, 26);
  const ttl64 = winning(src);
  // IP_HDRINCL: the kernel refills the header checksum and total length, but sends our TTL.
  ttl64[8] = 64;
  const unknownVersion = winning(src);
  unknownVersion[20] = 0x51;
  const otherType = resealV2(winning(src));
  otherType[20] = 0x22;
  resealV2(otherType);
  const full = winning(src);
  return [
    { what: 'bad checksum', packet: badChecksum, dst: GROUP, counter: dropped('checksum', false) },
    { what: 'TTL 64', packet: ttl64, dst: GROUP, counter: dropped('ttl', true) },
    { what: 'VRRP version 5', packet: unknownVersion, dst: GROUP, counter: dropped('version', false) },
    { what: 'v3 advert to a v2 instance', packet: winning(src, { version: 3 }), dst: GROUP, counter: dropped('version', true) },
    { what: 'wrong auth_pass', packet: winning(src, { authPass: 'guess' }), dst: GROUP, counter: dropped('auth', true) },
    { what: 'truncated to 4 VRRP octets', packet: full.subarray(0, 24), dst: GROUP, counter: dropped('truncated', false) },
    { what: 'auth data cut off', packet: full.subarray(0, full.length - 8), dst: GROUP, counter: dropped('length', false) },
    { what: 'two addresses for our one VIP', packet: winning(src, { addresses: [VIP, '192.0.2.101'] }), dst: GROUP, counter: dropped('addr_count', true) },
    { what: 'Adver Int 2 s, ours 1 s', packet: winning(src, { advertIntervalCs: 200 }), dst: GROUP, counter: dropped('interval', true) },
    { what: 'type 2', packet: otherType, dst: GROUP, counter: dropped('type', true) },
    { what: 'unicast to a multicast instance', packet: winning(src, { dst: nodeIp }), dst: nodeIp, counter: dropped('destination', true) },
  ];
}

describe('malformed VRRP packets at a running master (VRRPv2, PASS auth, advert 1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hmp', 3);
  });
  after(async () => {
    await hl.destroy();
  });

  test('the master stays master through the barrage and counts every drop by reason', async () => {
    const conf = (priority: number): string => instanceBlock({ priority, version: 2, advert: '1', extra: `  ${AUTH}` });
    const n1 = hl.halo(0, conf(150));
    const n2 = hl.halo(1, conf(100));
    const h1 = hl.hosts[0]!;
    const attacker = hl.hosts[2]!;
    // n1 first, so n2 never advertises and every advert n1 accepts is one the test sent.
    n1.start();
    const log1 = recordLog(n1);
    await n1.waitState(VI, 'master', 6_000);
    n2.start();
    await n2.waitState(VI, 'backup', 3_000);
    await waitFor(`${VIP} on node1 only`, async () => (await holders(hl.hosts, VIP)).join() === '0', 2_000);

    const peer = spawnJsonChild(attacker, PEER, ['eth0']);
    await peer.next((l) => l.event === 'ready', 5_000);
    const bad = barrage(attacker.ip, h1.ip);
    const seen = [n1.transitions.length, n2.transitions.length];
    for (let round = 0; round < REPEAT; round++) {
      for (const b of bad) peer.write({ dev: 'eth0', dst: b.dst, hex: b.packet.toString('hex') });
      await sleep(50);
    }
    peer.write({ stats: true });
    const stats = (await peer.next((l) => l.event === 'stats', 2_000)).stats as { eth0: { sent: number; sendErrors: number } };
    assert.deepEqual(stats.eth0, { ...stats.eth0, sent: bad.length * REPEAT, sendErrors: 0 }, 'every bad packet left the attacker');
    // Longer than one advert interval and than the attacker's priority would need to win.
    await sleep(1_500);
    assert.deepEqual(n1.transitions.slice(seen[0]), [], 'no transition on the master during the barrage');
    assert.deepEqual(n2.transitions.slice(seen[1]), [], 'no transition on the backup during the barrage');
    assert.equal(n1.state(VI), 'master');
    assert.deepEqual(await holders(hl.hosts, VIP), [0]);

    // The router still listens: one valid priority-200 advert makes it yield (RFC 3768 6.4.3).
    const yielded = n1.waitState(VI, 'backup', 2_000, { fresh: true });
    peer.write({ dev: 'eth0', dst: GROUP, hex: winning(attacker.ip).toString('hex') });
    assert.equal((await yielded).event, 'ADVERT');

    await n1.kill('SIGTERM');
    const counters = stoppedCounters(log1);
    const expected = new Map<string, number>();
    for (const b of bad) expected.set(b.counter, (expected.get(b.counter) ?? 0) + REPEAT);
    for (const [key, count] of expected) assert.equal(counters[key], count, `${key} in ${JSON.stringify(counters)}`);
    const drops = Object.entries(counters).filter(([k]) => k.startsWith('vrrp_rx_dropped_total'));
    assert.equal(drops.length, expected.size, `only the expected drop reasons: ${JSON.stringify(drops)}`);
    assert.equal(counters['vrrp_rx_adverts_total{instance=VI_1}'], 1, 'the one valid advert, and nothing else, was accepted');
    await n2.kill('SIGTERM');
  });
});
