import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { postWebhook, type WebhookTarget } from '../../../src/io/alerts/webhook.js';

interface Hit {
  at: number;
  body: unknown;
  key: string | undefined;
}

/** A loopback HTTP server answering with the scripted statuses in turn (then 200). */
async function hookServer(t: { after(fn: () => Promise<void> | void): void }, statuses: number[]) {
  const hits: Hit[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      hits.push({
        at: performance.now(),
        body: JSON.parse(body),
        key: req.headers['idempotency-key'] as string | undefined,
      });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  return { hits, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook` };
}

const target = (url: string, over: Partial<WebhookTarget> = {}): WebhookTarget => ({
  url,
  timeoutMs: 2000,
  retries: 4,
  backoffMs: 100,
  maxBackoffMs: 1000,
  headers: {},
  ...over,
});

describe('webhook action', () => {
  it('retries 5xx with exponential backoff until the receiver accepts', async (t) => {
    const { hits, url } = await hookServer(t, [500, 503, 500]);
    const retries: number[] = [];
    const r = await postWebhook(
      target(url),
      { rule: 'r', event: { id: 'n:1:1' } },
      { idempotencyKey: 'r:n:1:1', onRetry: (_a, d) => retries.push(d) },
    );
    assert.deepEqual(r, { ok: true, attempts: 4, status: 200 });
    assert.equal(hits.length, 4);
    assert.deepEqual(retries, [100, 200, 400]);
    const gaps = hits.slice(1).map((h, i) => h.at - hits[i]!.at);
    for (const [i, g] of gaps.entries())
      assert.ok(g >= 100 * 2 ** i - 5 && g < 100 * 2 ** i + 400, `gap ${i}: ${g} ms`);
    assert.ok(hits.every((h) => h.key === 'r:n:1:1'));
    assert.deepEqual(hits[0]!.body, { rule: 'r', event: { id: 'n:1:1' } });
  });

  it('gives up after the configured retries, and does not retry a 4xx', async (t) => {
    const { hits, url } = await hookServer(t, [500, 500, 500, 500, 404]);
    const r = await postWebhook(target(url, { retries: 2, backoffMs: 10 }), {}, { idempotencyKey: 'k' });
    assert.deepEqual(r, { ok: false, attempts: 3, status: 500, error: 'HTTP 500' });
    hits.length = 0;
    const bad = await hookServer(t, [400]);
    const r4 = await postWebhook(target(bad.url, { backoffMs: 10 }), {}, { idempotencyKey: 'k' });
    assert.deepEqual(r4, { ok: false, attempts: 1, status: 400, error: 'HTTP 400' });
    assert.equal(bad.hits.length, 1);
  });

  it('retries when nothing listens, then reports the network error', async () => {
    const r = await postWebhook(
      target('http://127.0.0.1:9/none', { retries: 1, backoffMs: 10 }),
      {},
      { idempotencyKey: 'k' },
    );
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 2);
    assert.equal(r.status, null);
  });
});
