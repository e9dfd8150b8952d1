import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIcmpPinger } from '../../../src/io/checks/icmpPinger.js';
import type { ProbeResult } from '../../../src/io/checks/probe.types.js';
import { sleep } from '../../../src/io/sleep.js';
import { createLab, type Lab, type LabNode } from '../../helpers/netns.js';
import { fixturePath, type JsonChild, spawnJsonChild } from '../jsonChild.js';

const PINGER = fixturePath(import.meta.url, 'pinger.js');
const never = () => new AbortController().signal;

describe('icmpPinger on loopback (host namespace)', () => {
  it('an echo to 127.0.0.1 comes back: ok, with the round trip in the detail', async () => {
    const pinger = createIcmpPinger();
    try {
      const r = await pinger.ping('127.0.0.1', AbortSignal.timeout(2000));
      assert.equal(r.ok, true);
      assert.equal(r.reason, 'ok');
      assert.match(r.detail, /^echo reply from 127\.0\.0\.1 in \d+ ms$/);
      assert.equal(r.detail, `echo reply from 127.0.0.1 in ${r.durationMs} ms`);
      assert.ok(r.durationMs < 1000, `${r.durationMs} ms`);
    } finally {
      pinger.close();
    }
  });

  it('anything but an IPv4 literal fails with error before a packet is sent', async () => {
    const pinger = createIcmpPinger();
    try {
      for (const host of ['localhost', '::1', '192.0.2', '192.0.2.256', '']) {
        const r = await pinger.ping(host, never());
        assert.deepEqual(
          { ok: r.ok, reason: r.reason, detail: r.detail },
          { ok: false, reason: 'error', detail: `cannot ping ${JSON.stringify(host)}: not an IPv4 address` },
        );
      }
    } finally {
      pinger.close();
    }
  });

  it('a signal already aborted gives timeout without sending', async () => {
    const pinger = createIcmpPinger();
    try {
      const r = await pinger.ping('127.0.0.1', AbortSignal.abort());
      assert.equal(r.reason, 'timeout');
      assert.equal(r.detail, 'aborted before the echo request was sent');
    } finally {
      pinger.close();
    }
  });

  it('close() settles a ping still waiting as error, and later pings fail without a socket', async () => {
    const pinger = createIcmpPinger();
    // raw-socket sends on the next writable poll, so closing in the same tick beats the reply.
    const waiting = pinger.ping('127.0.0.1', never());
    pinger.close();
    pinger.close();
    const r = await waiting;
    assert.equal(r.reason, 'error');
    assert.equal(r.detail, 'the pinger was closed before an answer came');
    const later = await pinger.ping('127.0.0.1', never());
    assert.equal(later.reason, 'error');
    assert.equal(later.detail, 'the pinger is closed');
  });
});

describe('icmpPinger in a 3-node lab (pinger in n1)', () => {
  let lab: Lab;
  let n1: LabNode;
  let n2: LabNode;
  let n3: LabNode;
  let pinger: JsonChild;
  let nextId = 0;

  const ping = async (child: JsonChild, host: string, abortMs: number): Promise<ProbeResult> => {
    const id = nextId++;
    child.write({ id, ping: host, abortMs });
    const line = await child.next((l) => l.event === 'result' && l.id === id, abortMs + 5000);
    return line.result as ProbeResult;
  };
  const brief = (r: ProbeResult) => ({ ok: r.ok, reason: r.reason, detail: r.detail });

  const startPinger = async (node: LabNode): Promise<JsonChild> => {
    const child = spawnJsonChild(node, PINGER, []);
    await child.next((l) => l.event === 'ready', 5000);
    return child;
  };

  before(async () => {
    lab = await createLab({ prefix: 'hic', nodes: 3 });
    [n1, n2, n3] = lab.nodes as [LabNode, LabNode, LabNode];
    // n1 is the health checker. One ARP probe, 500 ms apart: an address nobody owns fails in ~0.5 s
    // (3 × 1 s by default), long after the short deadlines below and well inside the long ones.
    await n1.exec('sysctl', ['-qw', 'net.ipv4.neigh.eth0.mcast_solicit=1', 'net.ipv4.neigh.eth0.retrans_time_ms=500']);
    await n1.exec('ip', ['route', 'add', 'unreachable', '203.0.113.99']);
    await n1.exec('ip', ['route', 'add', '198.51.100.0/24', 'via', n2.ip]);
    // n2 and n3 route 198.51.100.0/24, with icmp_ratelimit=0 so every error is sent (by default about
    // one a second to each host). n2 refuses .1 and .2, has no route to .4, drops .6 silently and
    // bounces .3 with n3 until its TTL runs out.
    for (const router of [n2, n3]) {
      await router.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.icmp_ratelimit=0']);
    }
    await n2.exec('ip', ['route', 'add', 'unreachable', '198.51.100.1']);
    await n2.exec('ip', ['route', 'add', 'prohibit', '198.51.100.2']);
    await n2.exec('ip', ['route', 'add', 'blackhole', '198.51.100.6']);
    await n2.exec('ip', ['route', 'add', '198.51.100.3', 'via', n3.ip]);
    await n3.exec('ip', ['route', 'add', '198.51.100.3', 'via', n2.ip]);
    pinger = await startPinger(n1);
  });

  after(async () => {
    pinger?.child.stdin?.end();
    await lab?.destroy();
  });

  it('a neighbour and the own address answer: ok', async () => {
    assert.match((await ping(pinger, n2.ip, 2000)).detail, /^echo reply from 192\.0\.2\.12 in \d+ ms$/);
    assert.equal((await ping(pinger, n1.ip, 2000)).reason, 'ok');
  });

  it('an unused address in the subnet: timeout when the deadline aborts the ping', async () => {
    const r = await ping(pinger, '192.0.2.99', 300);
    assert.deepEqual(brief(r), {
      ok: false,
      reason: 'timeout',
      detail: 'no echo reply from 192.0.2.99 before the deadline',
    });
    assert.ok(r.durationMs >= 299 && r.durationMs < 450, `${r.durationMs} ms for a 300 ms deadline`);
  });

  it('an unused address with a longer deadline: the own stack reports host unreachable once ARP gives up', async () => {
    const r = await ping(pinger, '192.0.2.98', 3000);
    assert.deepEqual(brief(r), { ok: false, reason: 'unreachable', detail: 'host unreachable (ICMP from 192.0.2.11)' });
    assert.ok(r.durationMs >= 400 && r.durationMs < 2000, `${r.durationMs} ms (one 500 ms ARP probe)`);
  });

  it('a local unreachable route fails the send at once: unreachable, No route to host', async () => {
    const r = await ping(pinger, '203.0.113.99', 2000);
    assert.deepEqual(brief(r), {
      ok: false,
      reason: 'unreachable',
      detail: 'cannot send an echo request to 203.0.113.99: No route to host',
    });
    assert.ok(r.durationMs < 200, `${r.durationMs} ms`);
  });

  it("a router's ICMP errors say which: host unreachable, prohibited, network unreachable, TTL exceeded", async () => {
    // A router sends at most 5 routing errors in a burst to one host (net.ipv4.route.error_burst,
    // not settable in a namespace) and then one a second, so this file asks n2 for only 3.
    const cases: Array<[string, string]> = [
      ['198.51.100.1', 'host unreachable (ICMP from 192.0.2.12)'],
      ['198.51.100.2', 'communication administratively prohibited (ICMP from 192.0.2.12)'],
      ['198.51.100.4', 'network unreachable (ICMP from 192.0.2.12)'],
      ['198.51.100.3', 'TTL exceeded in transit (ICMP from 192.0.2.13)'],
    ];
    for (const [host, detail] of cases) {
      const r = await ping(pinger, host, 2000);
      assert.deepEqual(brief(r), { ok: false, reason: 'unreachable', detail }, host);
      assert.ok(r.durationMs < 500, `${host}: ${r.durationMs} ms`);
    }
  });

  it('a silently dropped echo (blackhole route on the router): timeout at the deadline', async () => {
    const r = await ping(pinger, '198.51.100.6', 400);
    assert.equal(r.reason, 'timeout');
    assert.ok(r.durationMs >= 399 && r.durationMs < 550, `${r.durationMs} ms for a 400 ms deadline`);
  });

  it('concurrent pings to different hosts each get their own answer', async () => {
    const expected: Array<[string, string]> = [
      [n2.ip, 'ok'],
      [n3.ip, 'ok'],
      [n2.ip, 'ok'],
      ['127.0.0.1', 'ok'],
      ['198.51.100.3', 'unreachable'],
      ['198.51.100.6', 'timeout'],
      ['192.0.2.97', 'unreachable'],
      ['203.0.113.99', 'unreachable'],
    ];
    const results = await Promise.all(expected.map(([host]) => ping(pinger, host, 1500)));
    results.forEach((r, i) => {
      const [host, reason] = expected[i]!;
      assert.equal(r.reason, reason, `${host}: ${JSON.stringify(r)}`);
      if (reason === 'ok') assert.match(r.detail, new RegExp(`^echo reply from ${host.replaceAll('.', '\\.')} in`));
    });
    assert.match(results[4]!.detail, /^TTL exceeded in transit/);
    assert.match(results[6]!.detail, /^host unreachable \(ICMP from 192\.0\.2\.11\)$/);
  });

  it("n2's cable pulled: timeout; plugged back: ok again", async () => {
    await lab.setCable(n2, false);
    try {
      const r = await ping(pinger, n2.ip, 400);
      assert.equal(r.reason, 'timeout');
    } finally {
      await lab.setCable(n2, true);
    }
    assert.equal((await ping(pinger, n2.ip, 2000)).reason, 'ok');
  });

  it('close() settles a ping still waiting as error; the pinger stays closed', async () => {
    const own = await startPinger(n1);
    try {
      const waiting = ping(own, '198.51.100.6', 5000);
      await sleep(100);
      own.write({ close: true });
      const r = await waiting;
      assert.deepEqual(brief(r), { ok: false, reason: 'error', detail: 'the pinger was closed before an answer came' });
      // Settled by the close ~100 ms in (timed in the child, so give or take the pipe), not at the 5 s deadline.
      assert.ok(r.durationMs >= 50 && r.durationMs < 1000, `${r.durationMs} ms`);
      assert.equal((await ping(own, n2.ip, 1000)).detail, 'the pinger is closed');
    } finally {
      own.child.stdin?.end();
    }
  });

  it('without CAP_NET_RAW every ping fails with error and says why', async () => {
    // Root, but with CAP_NET_RAW dropped from the bounding set: socket(SOCK_RAW) gets EPERM.
    const unprivileged: LabNode = {
      ...n1,
      spawn: (cmd, args, opts) =>
        n1.spawn('setpriv', ['--bounding-set', '-net_raw', '--inh-caps', '-net_raw', cmd, ...args], opts),
    };
    const child = await startPinger(unprivileged);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await ping(child, n2.ip, 1000);
        assert.deepEqual(brief(r), {
          ok: false,
          reason: 'error',
          detail: 'cannot open a raw ICMP socket (needs root or CAP_NET_RAW): Operation not permitted',
        });
      }
    } finally {
      child.child.stdin?.end();
    }
  });
});
