/**
 * Connect and inactivity timeouts through the real engine on 127.0.0.1 (configuration.txt 4.2
 * "timeout client", "timeout server", "timeout connect", "timeout client-fin"/"server-fin").
 * The engine's one IdleSweep checks them every period (1/20 of the shortest timeout, 10 ms to
 * 1 s): a timeout must never fire before T and must fire by T + 2 periods (plus slack for a
 * busy 2-core machine).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { parseHaproxyText } from '../../../src/config/haproxy/parse.js';
import type { CounterLabels, DataPathEvents } from '../../../src/io/proxy/dataPath.types.js';
import { createProxyEngine } from '../../../src/io/proxy/engine.js';
import { freePort, request, sleep, startBackend } from './tcpFixtures.js';

/** Scheduling slack on top of the two sweep periods the engine may be late by. */
const SLACK_MS = 150;

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Counters by name and labels, e.g. `halo_lb_timeouts_total{"frontend":"p","side":"client"}`. */
type Counters = Map<string, number>;
const key = (name: string, labels: CounterLabels): string => `${name}${JSON.stringify(labels)}`;

async function engine(timeouts: string, body: string): Promise<{ port: number; counters: Counters }> {
  const port = await freePort();
  const text = `defaults\n  mode tcp\n${timeouts}listen p\n  bind 127.0.0.1:${port}\n${body}\n`;
  const { config } = parseHaproxyText(text, 'timeouts.cfg');
  const counters: Counters = new Map();
  const events: DataPathEvents = {
    passive: () => undefined,
    count: (name, labels, by) => counters.set(key(name, labels), (counters.get(key(name, labels)) ?? 0) + by),
    log: () => undefined,
    listening: () => undefined,
  };
  const dp = createProxyEngine(config, { managed: [], present: [] }, events);
  cleanups.push(() => dp.stop());
  await dp.ready;
  return { port, counters };
}

/**
 * A backend that accepts and stays silent; with `ticks`, it writes one byte every `everyMs`,
 * `ticks` times; with `finAfterMs`, it half-closes (shuts its write side) after that long.
 */
async function quietBackend(
  opts: { ticks?: number; everyMs?: number; finAfterMs?: number } = {},
): Promise<{ port: number; open: Set<Socket>; fins: () => number }> {
  const open = new Set<Socket>();
  let fins = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    open.add(s);
    // Half-open: a FIN from the proxy is counted, not answered (client-fin needs that).
    s.on('end', () => fins++);
    s.on('error', () => undefined);
    s.on('close', () => open.delete(s));
    s.resume();
    let left = opts.ticks ?? 0;
    const tick = setInterval(() => {
      if (left-- <= 0 || s.destroyed) clearInterval(tick);
      else s.write('t');
    }, opts.everyMs ?? 100);
    s.on('close', () => clearInterval(tick));
    if (opts.finAfterMs !== undefined) setTimeout(() => s.end(), opts.finAfterMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, open, fins: () => fins };
}

interface Client {
  socket: Socket;
  /** ms from connect until the proxy ended or reset the connection, and bytes received. */
  closed: Promise<{ afterMs: number; bytes: number }>;
  /** When the last byte arrived or was sent (for activity-based expectations). */
  lastActivity(): number;
}

async function client(port: number): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const t0 = performance.now();
  let last = t0;
  let bytes = 0;
  socket.on('data', (d: Buffer) => {
    bytes += d.length;
    last = performance.now();
  });
  // The client is half-open capable: a proxy that closes shows as 'end' (FIN) or 'close' (reset).
  const closed = Promise.race([once(socket, 'end'), once(socket, 'close')]).then(() => ({
    afterMs: performance.now() - t0,
    bytes,
  }));
  cleanups.push(() => {
    socket.destroy();
  });
  return {
    socket,
    closed,
    lastActivity: () => last,
  };
}

function assertWithin(elapsed: number, timeout: number, periodMs: number, what: string): void {
  assert.ok(elapsed >= timeout, `${what}: closed after ${elapsed.toFixed(0)} ms, before the ${timeout} ms timeout`);
  assert.ok(
    elapsed <= timeout + 2 * periodMs + SLACK_MS,
    `${what}: closed after ${elapsed.toFixed(0)} ms, want <= ${timeout} + 2 x ${periodMs} ms`,
  );
}

describe('proxy timeouts: inactivity', { timeout: 30_000 }, () => {
  it('timeout client closes an idle session after T, not before, and counts side=client', async () => {
    const be = await quietBackend();
    // Shortest timeout 400 ms: sweep period 20 ms.
    const { port, counters } = await engine(
      '  timeout connect 1s\n  timeout client 400\n  timeout server 5s\n',
      `  server s 127.0.0.1:${be.port}`,
    );
    const c = await client(port);
    const { afterMs } = await c.closed;
    assertWithin(afterMs, 400, 20, 'idle client');
    assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'client' })), 1);
    assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'server' })), undefined);
  });

  it('client → server bytes reset timeout client; it fires T after the last one', async () => {
    const be = await quietBackend();
    const { port } = await engine(
      '  timeout connect 1s\n  timeout client 400\n  timeout server 5s\n',
      `  server s 127.0.0.1:${be.port}`,
    );
    const c = await client(port);
    let lastSent = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(200);
      c.socket.write('k');
      lastSent = performance.now();
    }
    const t0 = performance.now();
    const { afterMs } = await c.closed;
    assert.ok(afterMs >= 1_000, `the session lived ${afterMs.toFixed(0)} ms: activity did not keep it`);
    assertWithin(performance.now() - lastSent, 400, 20, 'after the last client byte');
    assert.ok(performance.now() - t0 <= 400 + 40 + SLACK_MS);
  });

  it('server → client bytes reset timeout client too', async () => {
    const be = await quietBackend({ ticks: 6, everyMs: 150 });
    const { port, counters } = await engine(
      '  timeout connect 1s\n  timeout client 400\n  timeout server 5s\n',
      `  server s 127.0.0.1:${be.port}`,
    );
    const c = await client(port);
    const { afterMs, bytes } = await c.closed;
    assert.equal(bytes, 6, 'every tick crossed');
    assert.ok(afterMs >= 900, `the session lived ${afterMs.toFixed(0)} ms: server activity did not keep it`);
    assertWithin(performance.now() - c.lastActivity(), 400, 20, 'after the last server byte');
    assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'client' })), 1);
  });

  it(
    'timeout server closes a session whose backend stays silent, counted side=server; ' + 'client bytes reset it',
    async () => {
      const be = await quietBackend();
      const { port, counters } = await engine(
        '  timeout connect 1s\n  timeout client 5s\n  timeout server 400\n',
        `  server s 127.0.0.1:${be.port}`,
      );
      const idle = await client(port);
      assertWithin((await idle.closed).afterMs, 400, 20, 'silent backend');
      await sleep(50);
      assert.equal(be.fins(), 1, 'the server side is closed too');
      assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'server' })), 1);

      const busy = await client(port);
      let lastSent = 0;
      for (let i = 0; i < 4; i++) {
        await sleep(200);
        busy.socket.write('k');
        lastSent = performance.now();
      }
      const { afterMs } = await busy.closed;
      assert.ok(afterMs >= 800, `lived ${afterMs.toFixed(0)} ms`);
      assertWithin(performance.now() - lastSent, 400, 20, 'after the last client byte');
      assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'server' })), 2);
    },
  );

  it('timeout client-fin applies once the client half-closed, counted side=client', async () => {
    const be = await quietBackend();
    const { port, counters } = await engine(
      '  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout client-fin 300\n',
      `  server s 127.0.0.1:${be.port}`,
    );
    const c = await client(port);
    await sleep(100);
    const finAt = performance.now();
    c.socket.end();
    await c.closed;
    // Shortest timeout 300 ms: period 15 ms.
    assertWithin(performance.now() - finAt, 300, 15, 'half-closed client');
    assert.equal(counters.get(key('halo_lb_timeouts_total', { frontend: 'p', side: 'client' })), 1);
  });

  it('timeout server-fin applies once the server half-closed, counted side=server', async () => {
    const be = await quietBackend({ finAfterMs: 100 });
    const { port, counters } = await engine(
      '  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout server-fin 300\n',
      `  server s 127.0.0.1:${be.port}`,
    );
    const c = await client(port);
    // The server's FIN reaches the client; the client (half-open) keeps its side open.
    await c.closed;
    const finAt = performance.now();
    const counted = key('halo_lb_timeouts_total', { frontend: 'p', side: 'server' });
    for (let i = 0; i < 200 && !counters.has(counted); i++) await sleep(5);
    assertWithin(performance.now() - finAt, 300, 15, 'half-closed server');
    assert.equal(counters.get(counted), 1);
    await sleep(50);
    assert.equal(be.open.size, 0, 'the server side is closed');
  });
});

/** A listener that never accepts (python3, backlog 0) with its accept queue filled. */
async function stuckListener(): Promise<number> {
  const py: ChildProcess = spawn(
    'python3',
    [
      '-c',
      'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\n' +
        'print(s.getsockname()[1],flush=True)\ntime.sleep(120)',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const fillers: Socket[] = [];
  cleanups.push(() => {
    for (const s of fillers) s.destroy();
    py.kill('SIGKILL');
  });
  const [line] = (await once(py.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  // Connect until a connect no longer completes within 200 ms: the queue is full.
  for (let i = 0; i < 8; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    fillers.push(s);
    const ok = await Promise.race([once(s, 'connect').then(() => true), sleep(200).then(() => false)]);
    if (!ok) return port;
  }
  throw new Error('the accept queue never filled');
}

describe('proxy timeouts: connect', { timeout: 30_000 }, () => {
  it('timeout connect fails a connect that never completes, after T', async () => {
    const stuck = await stuckListener();
    const { port, counters } = await engine(
      '  timeout connect 300\n  timeout client 5s\n  timeout server 5s\n',
      `  retries 0\n  server stuck 127.0.0.1:${stuck}`,
    );
    const t0 = performance.now();
    await assert.rejects(request(port, 'x'));
    assertWithin(performance.now() - t0, 300, 15, 'connect timeout');
    assert.equal(
      counters.get(key('halo_lb_connect_errors_total', { backend: 'p', server: 'stuck', reason: 'timeout' })),
      1,
    );
  });

  it('with retries and redispatch the client is served by the other server', async () => {
    const stuck = await stuckListener();
    const a = await startBackend('a');
    cleanups.push(() => a.kill());
    const { port, counters } = await engine(
      '  timeout connect 300\n  timeout client 5s\n  timeout server 5s\n',
      `  balance first\n  retries 1\n  option redispatch\n` +
        `  server stuck 127.0.0.1:${stuck}\n  server a 127.0.0.1:${a.port}`,
    );
    const t0 = performance.now();
    assert.equal(await request(port, 'x'), 'a:x');
    assert.ok(performance.now() - t0 >= 300, 'served only after the connect timeout');
    assert.equal(
      counters.get(key('halo_lb_connect_errors_total', { backend: 'p', server: 'stuck', reason: 'timeout' })),
      1,
    );
    assert.equal(counters.get(key('halo_lb_redispatches_total', { backend: 'p' })), 1);
  });
});
