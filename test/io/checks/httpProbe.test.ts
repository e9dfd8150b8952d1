import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HTTP_CHECK, httpProbe } from '../../../src/io/checks/httpProbe.js';
import type { HttpCheck } from '../../../src/io/checks/probe.types.js';
import { SEED_OK, rawResponder, seedFail } from './seedAgent.js';

const never = () => new AbortController().signal;
const servers: Array<Server | HttpServer> = [];
const portOf = (s: Server | HttpServer) => (s.address() as { port: number }).port;

async function listen<T extends Server | HttpServer>(server: T): Promise<T> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return server;
}

after(() => {
  for (const s of servers) s.close();
});

describe('httpProbe against a node http server', () => {
  const seen: Array<{ method?: string; url?: string; version: string; host?: string }> = [];
  let port = 0;
  before(async () => {
    const server = await listen(
      createHttpServer((req: IncomingMessage, res) => {
        seen.push({ method: req.method, url: req.url, version: req.httpVersion, host: req.headers.host });
        const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(`status ${status} body MySQL is running.`);
      }),
    );
    port = portOf(server);
  });
  const probe = (check: Partial<HttpCheck>) =>
    httpProbe({ host: '127.0.0.1', port }, { ...DEFAULT_HTTP_CHECK, ...check }, never());

  it('sends haproxy’s default request, OPTIONS / HTTP/1.0, and passes on 200', async () => {
    const r = await probe({});
    assert.equal(r.ok, true);
    assert.equal(r.detail, 'HTTP/1.1 200 OK', 'node answers 1.1 to a 1.0 request');
    assert.deepEqual(seen.at(-1), { method: 'OPTIONS', url: '/', version: '1.0', host: undefined });
  });

  it('without expect, 2xx and 3xx pass, 4xx and 5xx fail with bad_status', async () => {
    const results: Array<[number, boolean, string]> = [];
    for (const status of [204, 302, 404, 503]) {
      const r = await probe({ method: 'GET', uri: `/health?status=${status}`, version: 'HTTP/1.1', host: 'db1' });
      results.push([status, r.ok, r.reason]);
    }
    assert.deepEqual(results, [
      [204, true, 'ok'],
      [302, true, 'ok'],
      [404, false, 'bad_status'],
      [503, false, 'bad_status'],
    ]);
    assert.deepEqual(seen.at(-1), { method: 'GET', url: '/health?status=503', version: '1.1', host: 'db1' });
  });

  it('expect status takes codes and ranges, and ! negates', async () => {
    const status = (value: string, negate: boolean, code: number) =>
      probe({ uri: `/?status=${code}`, expect: { kind: 'status', value, negate } }).then((r) => r.ok);
    assert.equal(await status('200,301-302', false, 302), true);
    assert.equal(await status('200,301-302', false, 303), false);
    assert.equal(await status('5', false, 500), false, 'no prefix matching');
    assert.equal(await status('503', true, 503), false);
    assert.equal(await status('503', true, 200), true);
    const r = await probe({ uri: '/?status=404', expect: { kind: 'rstatus', value: '^40[0-4]$', negate: false } });
    assert.equal(r.ok, true);
  });

  it('expect string / rstring look in the body', async () => {
    const ok = await probe({ expect: { kind: 'string', value: 'MySQL is running.', negate: false } });
    assert.equal(ok.ok, true);
    const bad = await probe({ expect: { kind: 'string', value: 'MariaDB', negate: false } });
    assert.equal(bad.ok, false);
    assert.equal(bad.reason, 'bad_body');
    const re = await probe({ expect: { kind: 'rstring', value: 'status \\d+ body', negate: false } });
    assert.equal(re.ok, true);
  });
});

describe('httpProbe against raw responders', () => {
  it('accepts the seed’s xinetd /opt/mysqlchk answer (status line, blank line, then close)', async () => {
    const { server, port } = await rawResponder(SEED_OK);
    servers.push(server);
    const r = await httpProbe({ host: '127.0.0.1', port }, DEFAULT_HTTP_CHECK, never());
    assert.equal(r.ok, true, r.detail);
    assert.equal(r.detail, 'HTTP/1.1 200 OK');
    const s = await httpProbe(
      { host: '127.0.0.1', port },
      { ...DEFAULT_HTTP_CHECK, expect: { kind: 'string', value: 'MySQL is running.', negate: false } },
      never(),
    );
    assert.equal(s.ok, true, 'its body text is found');
  });

  it('reads the seed’s 503 as DOWN', async () => {
    const { server, port } = await rawResponder(seedFail("ERROR 2002 (HY000): Can't connect to local server"));
    servers.push(server);
    const r = await httpProbe({ host: '127.0.0.1', port }, DEFAULT_HTTP_CHECK, never());
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'bad_status');
    assert.equal(r.detail, 'HTTP/1.1 503 Service Unavailable');
  });

  it('a bare status line then close still counts (lenient like haproxy)', async () => {
    const { server, port } = await rawResponder('\r\nHTTP/1.1 200 OK\r\n');
    servers.push(server);
    const r = await httpProbe({ host: '127.0.0.1', port }, DEFAULT_HTTP_CHECK, never());
    assert.equal(r.ok, true, r.detail);
  });

  it('a non-HTTP answer fails with error', async () => {
    const { server, port } = await rawResponder('220 smtp.example ESMTP ready\r\n');
    servers.push(server);
    const r = await httpProbe({ host: '127.0.0.1', port }, DEFAULT_HTTP_CHECK, never());
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'error');
    assert.match(r.detail, /not an HTTP response/);
  });

  it('caps the body: a server streaming forever is judged after 16 KiB, without waiting for close', async () => {
    const server = await listen(
      createServer((socket) => {
        socket.on('error', () => undefined);
        socket.write('HTTP/1.1 200 OK\r\n\r\n');
        const timer = setInterval(() => socket.write('x'.repeat(4096)), 5);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    const r = await httpProbe(
      { host: '127.0.0.1', port: portOf(server) },
      { ...DEFAULT_HTTP_CHECK, expect: { kind: 'string', value: 'never there', negate: false } },
      never(),
    );
    assert.equal(r.reason, 'bad_body');
    assert.ok(r.durationMs < 2000);
  });

  it('a server that never answers is ended by the abort signal as timeout', async () => {
    const server = await listen(createServer((socket) => socket.on('error', () => undefined)));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await httpProbe({ host: '127.0.0.1', port: portOf(server) }, DEFAULT_HTTP_CHECK, ac.signal);
    assert.equal(r.reason, 'timeout');
    assert.equal(r.detail, 'no complete answer before the deadline');
    assert.ok(r.durationMs >= 290);
  });

  it('a reset before any answer fails with reset', async () => {
    const server = await listen(createServer((socket) => socket.resetAndDestroy()));
    const r = await httpProbe({ host: '127.0.0.1', port: portOf(server) }, DEFAULT_HTTP_CHECK, never());
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'reset');
  });
});
