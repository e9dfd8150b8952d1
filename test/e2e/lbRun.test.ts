/**
 * `halo run -c haproxy.cfg` as a real daemon on loopback (no VRRP, no namespace needed), with
 * real TCP backends owned by this test. Health transitions are read from the daemon's own
 * `transition` log lines.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHaloRun, stopHaloRun } from '../helpers/haloRun.js';
import { waitFor } from '../helpers/netns.js';
import { after, before, describe, it } from 'node:test';
import { type Backend, freePort, hold, request, sleep, startBackend } from '../io/proxy/tcpFixtures.js';

interface Line {
  msg?: string;
  actor?: string;
  from?: string | null;
  to?: string;
  time?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'halo-lbrun-'));
const lines: Line[] = [];
let halo: ChildProcess;
const be: Record<string, Backend> = {};
const port: Record<string, number> = {};

/** Health region of a serverHealth state string ("health.down.stable,admin.ready,..." → "down"). */
const health = (to: string | undefined): string | undefined => /health\.(up|down)/.exec(to ?? '')?.[1];

const waitLine = (pred: (l: Line) => boolean, timeoutMs: number, what: string): Promise<Line> =>
  waitFor(what, () => lines.find(pred), timeoutMs);

const serverLines = (id: string, since: number): Line[] =>
  lines.filter((l) => l.msg === 'transition' && l.actor === id && (l.time ?? 0) >= since);

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

before(async () => {
  for (const n of ['a', 'b', 'h1', 'h2', 'p1', 'p2', 'q1', 'f1']) be[n] = await startBackend(n);
  for (const n of ['rr', 'ha', 'bk', 'q', 'fl']) port[n] = await freePort();
  const cfg = `
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 500
    timeout client 10s
    timeout server 10s
listen rr
    bind 127.0.0.1:${port.rr}
    balance roundrobin
    server a 127.0.0.1:${be.a!.port} weight 2
    server b 127.0.0.1:${be.b!.port} weight 1
listen ha
    bind 127.0.0.1:${port.ha}
    balance roundrobin
    retries 3
    option redispatch
    server h1 127.0.0.1:${be.h1!.port} check inter 300 rise 2 fall 3
    server h2 127.0.0.1:${be.h2!.port} check inter 300 rise 2 fall 3
listen bk
    bind 127.0.0.1:${port.bk}
    retries 1
    option redispatch
    server p1 127.0.0.1:${be.p1!.port} check inter 200 rise 1 fall 1
    server p2 127.0.0.1:${be.p2!.port} backup
listen q
    bind 127.0.0.1:${port.q}
    timeout queue 700
    server q1 127.0.0.1:${be.q1!.port} maxconn 1
listen fl
    bind 127.0.0.1:${port.fl}
    maxconn 20
    timeout client 800
    server f1 127.0.0.1:${be.f1!.port}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  halo = spawnHaloRun(['-c', join(dir, 'haproxy.cfg'), '--state-dir', join(dir, 'state'), '--node-name', 't'], lines);
  await waitLine((l) => l.msg === 'halo running', 10_000, '"halo running"');
});

after(async () => {
  await stopHaloRun(halo);
  for (const b of Object.values(be)) await b.kill().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('halo run -c haproxy.cfg: a health-checked TCP load balancer', () => {
  it('runs unprivileged-style with no VRRP and spreads roundrobin by weight within ±1 per cycle', async () => {
    const picks: string[] = [];
    for (let i = 0; i < 30; i++) picks.push((await request(port.rr!, 'x')).split(':')[0]!);
    for (let c = 0; c < 10; c++) {
      const cycle = picks.slice(c * 3, c * 3 + 3);
      assert.equal(cycle.filter((p) => p === 'a').length, 2, `cycle ${c}: ${cycle}`);
    }
  });

  it(
    'a killed backend: zero client errors with redispatch, DOWN after exactly `fall` checks, ' + 'UP after `rise`',
    async () => {
      const id = 'server:ha/h2';
      // A server starts at the bottom of the UP band (one failure from DOWN); its first passed
      // check takes it to the top, from where it takes `fall` failures to go down.
      await waitLine((l) => l.actor === id && /health\.up\.stable/.test(l.to ?? ''), 3_000, 'h2 fully UP');
      const killedAt = Date.now();
      await be.h2!.kill();
      const errors: string[] = [];
      let served = 0;
      // New connections all through the detection window, several at a time.
      const deadline = Date.now() + 2_000;
      const client = async (): Promise<void> => {
        while (Date.now() < deadline) {
          try {
            assert.match(await request(port.ha!, 'q', 8_000), /^h1:q$/);
            served++;
          } catch (err) {
            errors.push((err as Error).message);
          }
          await sleep(30);
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      assert.deepEqual(errors, [], 'no client saw an error');
      assert.ok(served > 20, `served ${served}`);

      const down = await waitLine(
        (l) => l.actor === id && health(l.to) === 'down' && (l.time ?? 0) >= killedAt,
        5_000,
        'h2 DOWN',
      );
      // Checks every 300 ms (inter = fastinter = downinter here): the first failure shows as
      // up.failing, the third takes it down: exactly two more check intervals later.
      const firstFail = serverLines(id, killedAt).find((l) => /health\.up\.failing/.test(l.to ?? ''))!;
      assert.ok(firstFail, 'first failed check seen as UP, going down');
      const spanMs = down.time! - firstFail.time!;
      assert.ok(spanMs >= 2 * 300 - 20 && spanMs <= 2 * 300 + 250, `fall=3: DOWN ${spanMs} ms after the first failure`);
      assert.ok(down.time! - killedAt <= 3 * 300 + 300 + 250, 'down within the check budget');

      const revivedAt = Date.now();
      await be.h2!.revive();
      const up = await waitLine(
        (l) => l.actor === id && health(l.to) === 'up' && (l.time ?? 0) >= revivedAt,
        5_000,
        'h2 UP',
      );
      const rising = serverLines(id, revivedAt).find((l) => /health\.down\.rising/.test(l.to ?? ''))!;
      assert.ok(rising, 'first pass seen as DOWN, going up');
      const riseMs = up.time! - rising.time!;
      assert.ok(riseMs >= 300 - 20 && riseMs <= 300 + 250, `rise=2: UP ${riseMs} ms after the first pass`);
      const after = await Promise.all([1, 2, 3, 4].map(() => request(port.ha!, 'r')));
      assert.ok(after.includes('h2:r'), `h2 serves again: ${after}`);
    },
  );

  it('the backup server takes over only when the primary is down, and gives it back', async () => {
    assert.equal(await request(port.bk!, 'x'), 'p1:x');
    await be.p1!.kill();
    // Redispatch covers the window; then the check (fall 1) marks p1 down.
    assert.equal(await request(port.bk!, 'y'), 'p2:y');
    await waitLine((l) => l.actor === 'server:bk/p1' && health(l.to) === 'down', 3_000, 'p1 DOWN');
    assert.equal(await request(port.bk!, 'z'), 'p2:z');
    await be.p1!.revive();
    await waitLine((l) => l.actor === 'server:bk/p1' && health(l.to) === 'up' && l.from !== null, 3_000, 'p1 UP');
    assert.equal(await request(port.bk!, 'w'), 'p1:w');
  });

  it('maxconn + queue: excess connections are served in order, or leave at the queue timeout', async () => {
    const first = await hold(port.q!, 'first');
    await sleep(50);
    const order: string[] = [];
    const waiting = [request(port.q!, 'second').then((r) => order.push(r))];
    await sleep(50);
    waiting.push(request(port.q!, 'third').then((r) => order.push(r)));
    await sleep(200);
    assert.equal(be.q1!.accepted, 1, 'the server sees one connection at a time');
    assert.equal(await first.finish(), 'q1:first');
    await Promise.all(waiting);
    assert.deepEqual(order, ['q1:second', 'q1:third']);

    const blocker = await hold(port.q!, 'b');
    await sleep(50);
    const t0 = Date.now();
    await assert.rejects(request(port.q!, 'late'));
    const waited = Date.now() - t0;
    assert.ok(waited >= 650 && waited < 1_500, `left the queue after ${waited} ms (timeout queue 700)`);
    await blocker.finish();
  });

  it('garbage, half-open, slowloris clients and a flood past maxconn: others served, memory bounded', async () => {
    const pid = halo.pid!;
    const rssBefore = rssKb(pid);
    const sockets: Socket[] = [];
    const open = (p: number): Socket => {
      const s = connect(p, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      return s;
    };
    // Half-open (say nothing), slowloris (a byte every 100 ms), garbage, on the flood frontend.
    for (let i = 0; i < 5; i++) open(port.fl!);
    const slow = Array.from({ length: 5 }, () => open(port.fl!));
    const drip = setInterval(() => {
      for (const s of slow) s.write('.');
    }, 100);
    for (let i = 0; i < 5; i++)
      open(port.fl!).write(Buffer.from(Array.from({ length: 4096 }, (_, j) => (j * 7919) & 0xff)));
    // A flood far past `maxconn 20`.
    for (let i = 0; i < 600; i++) open(port.fl!);
    await sleep(300);
    // Other frontends are unaffected meanwhile.
    const t0 = Date.now();
    const others = await Promise.all([request(port.rr!, 'o'), request(port.q!, 'o'), request(port.ha!, 'o')]);
    assert.equal(others.length, 3);
    assert.ok(Date.now() - t0 < 500, `others answered in ${Date.now() - t0} ms`);
    assert.ok(be.f1!.open.size <= 20, `the flooded backend sees at most maxconn: ${be.f1!.open.size}`);
    const rssDuring = rssKb(pid);
    clearInterval(drip);
    for (const s of sockets) s.destroy();
    // `timeout client 800` frees the idle ones; the flood's frontend serves again.
    await sleep(1_000);
    assert.equal(await request(port.fl!, 'after', 3_000), 'f1:after');
    assert.ok(
      rssDuring - rssBefore < 64 * 1024,
      `RSS grew ${((rssDuring - rssBefore) / 1024).toFixed(1)} MiB under the flood`,
    );
    assert.equal(halo.exitCode, null, 'the daemon is still running');
  });

  it('stops gracefully on SIGTERM and reports its counters', async () => {
    halo.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => halo.once('exit', (c) => r(c)));
    assert.equal(code, 0);
    const stopped = lines.find((l) => l.msg === 'halo stopped') as
      | (Line & { counters?: Record<string, number> })
      | undefined;
    assert.ok((stopped?.counters?.['halo_lb_sessions_total{frontend=rr}'] ?? 0) >= 30);
  });
});
