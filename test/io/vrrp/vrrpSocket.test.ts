import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openVrrpSocket } from '../../../src/io/vrrp/vrrpSocket.js';
import { createLab, ip, type Lab, type LabNode } from '../../helpers/netns.js';
import { fixturePath, type JsonChild, type JsonLine, spawnJsonChild } from '../jsonChild.js';
import { buildAdvertPacket } from './ipv4Packet.js';

const PEER = fixturePath(import.meta.url, 'vrrpPeer.js');
const GROUP = '224.0.0.18';
/** Long enough for a packet on a veth/bridge to arrive many times over. */
const QUIET_MS = 300;

const packets = (peer: JsonChild, dev?: string): JsonLine[] =>
  peer.lines.filter((l) => l.event === 'packet' && (dev === undefined || l.dev === dev));

async function startPeer(node: LabNode, socketArgs: string[]): Promise<JsonChild> {
  const peer = spawnJsonChild(node, PEER, socketArgs);
  await peer.next((l) => l.event === 'ready', 5000);
  return peer;
}

/** The receive stamp is taken after the socket opened and no later than the handler runs. */
function assertStamped(peer: JsonChild, got: JsonLine): void {
  const ready = peer.lines.find((l) => l.event === 'ready')!;
  const [at, receivedAt, handledAt] = [ready.at, got.receivedAt, got.handledAt].map(Number) as [number, number, number];
  assert.ok(
    receivedAt > at && receivedAt <= handledAt && handledAt - receivedAt < 100,
    `stamped at ${receivedAt}, socket open at ${at}, handled at ${handledAt}`,
  );
}

async function stopPeers(...peers: JsonChild[]): Promise<void> {
  await Promise.all(
    peers.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.stdin?.end();
        }),
    ),
  );
}

const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, QUIET_MS));

describe('VRRP raw socket in a 3-node lab', () => {
  let lab: Lab;
  let n1: LabNode;
  let n2: LabNode;
  let n3: LabNode;

  before(async () => {
    lab = await createLab({ prefix: 'hcd', nodes: 3 });
    [n1, n2, n3] = lab.nodes as [LabNode, LabNode, LabNode];
    // A second, direct link between n1 and n2, so n2 has two interfaces carrying VRRP.
    await ip(['link', 'add', 'eth1', 'netns', n1.ns, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', n2.ns]);
    for (const [node, addr] of [
      [n1, '198.51.100.1/24'],
      [n2, '198.51.100.2/24'],
    ] as const) {
      await node.exec('ip', ['addr', 'add', addr, 'dev', 'eth1']);
      await node.exec('ip', ['link', 'set', 'eth1', 'up']);
    }
  });

  after(async () => {
    await lab.destroy();
  });

  test(
    'a multicast advert from n1 reaches n2 and n3 byte for byte with TTL 255, ' + 'and n1 does not hear itself',
    async () => {
      const [p1, p2, p3] = await Promise.all([
        startPeer(n1, ['eth0']),
        startPeer(n2, ['eth0']),
        startPeer(n3, ['eth0']),
      ]);
      try {
        const packet = buildAdvertPacket({
          src: n1.ip,
          dst: GROUP,
          vrid: 51,
          priority: 101,
          vip: '192.0.2.100',
          id: 0x1234,
        });
        p1.write({ dev: 'eth0', dst: GROUP, hex: packet.toString('hex') });
        for (const peer of [p2, p3]) {
          const got = await peer.next((l) => l.event === 'packet', 3000);
          assert.equal(got.from, n1.ip);
          assert.equal(got.hex, packet.toString('hex'), 'received bytes (IPv4 header included) equal the bytes sent');
          assert.equal(Buffer.from(String(got.hex), 'hex')[8], 255, 'TTL 255 on arrival');
          assertStamped(peer, got);
        }
        await quiet();
        assert.deepEqual(packets(p1), [], 'IP_MULTICAST_LOOP=0: the sender does not receive its own advert');
        p1.write({ stats: true });
        const stats = await p1.next((l) => l.event === 'stats', 3000);
        assert.deepEqual(stats.stats, { eth0: { sent: 1, sendErrors: 0, received: 0 } });
        assert.equal(packets(p2).length, 1, 'exactly one copy');
      } finally {
        await stopPeers(p1, p2, p3);
      }
    },
  );

  test('unicast mode: a packet sent to n2 reaches n2 only', async () => {
    const [p1, p2, p3] = await Promise.all([
      startPeer(n1, ['eth0:unicast']),
      startPeer(n2, ['eth0:unicast']),
      startPeer(n3, ['eth0:unicast']),
    ]);
    try {
      const packet = buildAdvertPacket({
        src: n1.ip,
        dst: n2.ip,
        vrid: 52,
        priority: 100,
        vip: '192.0.2.101',
        id: 0x2345,
      });
      p1.write({ dev: 'eth0', dst: n2.ip, hex: packet.toString('hex') });
      const got = await p2.next((l) => l.event === 'packet', 3000);
      assert.equal(got.hex, packet.toString('hex'));
      assert.equal(got.from, n1.ip);
      await quiet();
      assert.deepEqual(packets(p3), [], 'n3 never sees a unicast advert addressed to n2');
      assert.deepEqual(packets(p1), []);
    } finally {
      await stopPeers(p1, p2, p3);
    }
  });

  test('a socket bound to eth0 does not see VRRP arriving on eth1, and the reverse', async () => {
    const [p1, p2] = await Promise.all([startPeer(n1, ['eth0', 'eth1']), startPeer(n2, ['eth0', 'eth1'])]);
    try {
      const viaEth1 = buildAdvertPacket({
        src: '198.51.100.1',
        dst: GROUP,
        vrid: 53,
        priority: 100,
        vip: '198.51.100.100',
        id: 0x3456,
      });
      p1.write({ dev: 'eth1', dst: GROUP, hex: viaEth1.toString('hex') });
      const got1 = await p2.next((l) => l.event === 'packet', 3000);
      assert.equal(got1.dev, 'eth1');
      assert.equal(got1.hex, viaEth1.toString('hex'));

      const viaEth0 = buildAdvertPacket({
        src: n1.ip,
        dst: GROUP,
        vrid: 54,
        priority: 100,
        vip: '192.0.2.102',
        id: 0x4567,
      });
      p1.write({ dev: 'eth0', dst: GROUP, hex: viaEth0.toString('hex') });
      const got0 = await p2.next((l) => l.event === 'packet' && l.dev === 'eth0', 3000);
      assert.equal(got0.hex, viaEth0.toString('hex'));

      await quiet();
      assert.deepEqual(
        packets(p2).map((l) => [l.dev, l.hex]),
        [
          ['eth1', viaEth1.toString('hex')],
          ['eth0', viaEth0.toString('hex')],
        ],
        'each packet seen once, by the socket of the interface it arrived on',
      );
    } finally {
      await stopPeers(p1, p2);
    }
  });

  test('send hands the advert to the kernel before it returns, not a loop turn later', async () => {
    const p1 = await startPeer(n1, ['eth0']);
    const p2 = await startPeer(n2, ['eth0']);
    try {
      const packet = buildAdvertPacket({ src: n1.ip, dst: GROUP, vrid: 56, priority: 100, vip: '192.0.2.104', id: 1 });
      p1.write({ dev: 'eth0', dst: GROUP, hex: packet.toString('hex'), stats: true });
      const stats = await p1.next((l) => l.event === 'stats', 3000);
      assert.deepEqual(stats.stats, { eth0: { sent: 1, sendErrors: 0, received: 0 } });
      await p2.next((l) => l.event === 'packet' && l.hex === packet.toString('hex'), 3000);
    } finally {
      await stopPeers(p1, p2);
    }
  });

  test('send errors and sends after close reach onError as HALO_E_VRRP_SOCKET and are never thrown', async () => {
    const p1 = await startPeer(n1, ['eth0']);
    try {
      const packet = buildAdvertPacket({ src: n1.ip, dst: GROUP, vrid: 55, priority: 100, vip: '192.0.2.103', id: 1 });
      p1.write({ dev: 'eth0', dst: 'not-an-ip', hex: packet.toString('hex') });
      const err = await p1.next((l) => l.event === 'error', 3000);
      assert.equal(err.code, 'HALO_E_VRRP_SOCKET');
      assert.match(String(err.message), /eth0: send failed: Invalid IP address/);
      p1.write({ stats: true });
      const stats = await p1.next((l) => l.event === 'stats', 3000);
      assert.deepEqual(stats.stats, { eth0: { sent: 0, sendErrors: 1, received: 0 } });

      p1.write({ close: 'eth0' });
      p1.write({ dev: 'eth0', dst: GROUP, hex: packet.toString('hex') });
      const closedErr = await p1.next((l) => l.event === 'error' && /socket is closed/.test(String(l.message)), 3000);
      assert.equal(closedErr.code, 'HALO_E_VRRP_SOCKET');
      p1.write({ stats: true });
      const after = await p1.next((l) => l.event === 'stats' && l !== stats, 3000);
      assert.deepEqual(after.stats, { eth0: { sent: 0, sendErrors: 2, received: 0 } }, 'nothing sent after close');
      assert.equal(p1.child.exitCode, null, 'the child is still running');
    } finally {
      await stopPeers(p1);
    }
  });
});

test('opening on an unknown device throws HALO_E_VRRP_SOCKET before any socket exists', () => {
  assert.throws(
    () => openVrrpSocket({ dev: 'nonexistent0', onPacket: () => undefined, onError: () => undefined }),
    (err: unknown) =>
      err instanceof Error &&
      'code' in err &&
      err.code === 'HALO_E_VRRP_SOCKET' &&
      /nonexistent0: read ifindex/.test(err.message),
  );
});
