import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import { publishedJournal } from '../journal/natsFixtures.js';

const MAIN = join(import.meta.dirname, '../../../src/cli/main.js');

function vrrp(seq: number, from: string | null, to: string): EventEnvelope {
  return {
    v: 1,
    id: `node-a:1:${seq}`,
    node: 'node-a',
    boot: 1,
    seq,
    ts: 1_790_000_000_000 + seq,
    actor: 'vrrp:VI_1',
    machine: 'vrrpInstance',
    from,
    to,
    event: { type: 'X' },
    context: { effectivePriority: 100 },
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startAlerts(config: string): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const env = { ...process.env };
  delete env.HALO_NATS_URL;
  const child = spawn(process.execPath, [MAIN, 'alerts', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

describe('halo alerts (a real child process)', () => {
  it('fires each matching event once across a restart and a consumer reset; retries a 500', async (t) => {
    const { server, stateDir: dir, journal, publish } = await publishedJournal(t, 'alerts');

    const hits: { id: string; rule: string }[] = [];
    const statuses: number[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        const status = statuses.shift() ?? 200;
        if (status === 200) {
          const b = JSON.parse(body) as { rule: string; event: EventEnvelope };
          hits.push({ id: b.event.id, rule: b.rule });
        }
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => hook.close(() => r())));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/page`;

    const execOut = join(dir, 'exec.ndjson');
    const config = join(dir, 'alerts.yaml');
    await writeFile(
      config,
      [
        `nats: ${server.url}`,
        'consumer: test-alerts',
        'start: all',
        `state_dir: ${dir}`,
        'rules:',
        '  - name: vip-moved',
        '    match: { machine: vrrpInstance, enters: master }',
        '    actions:',
        "      - log: 'VIP of {actor} now on {node} ({id})'",
        `      - exec: { command: "/bin/sh -c 'cat >> ${execOut}'", timeout: 5s }`,
        `      - webhook: { url: '${hookUrl}', timeout: 2s, retries: 3, backoff: 100ms }`,
      ].join('\n'),
    );

    const first = startAlerts(config);
    t.after(() => first.child.kill('SIGKILL'));
    journal.append(vrrp(1, null, 'backup'));
    journal.append(vrrp(2, 'backup', 'master'));
    journal.append(vrrp(3, 'master', 'backup'));
    journal.append(vrrp(4, 'backup', 'master'));
    await waitFor('two pages', () => hits.length >= 2);
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, first.out());
    assert.match(first.out(), /"msg":"VIP of vrrp:VI_1 now on node-a \(node-a:1:2\)"/);

    // While it is down: one more move, and the durable consumer is lost, so the next start
    // gets the whole stream again. The store alone must keep the old pages from repeating.
    await publish([vrrp(5, 'master', 'fault'), vrrp(6, 'fault', 'master')]);
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).consumers.delete('HALO_EVENTS', 'test-alerts');
    await nc.close();
    statuses.push(500);

    const second = startAlerts(config);
    t.after(() => second.child.kill('SIGKILL'));
    await waitFor('the third page', () => hits.length >= 3);
    await waitFor(
      'the replayed stream handled',
      () => /"deduplicated":6/.test(second.out()) || second.out().includes('node-a:1:6'),
      5000,
    );
    // Give a would-be duplicate time to arrive.
    await new Promise((r) => setTimeout(r, 1000));
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0, second.out());

    assert.deepEqual(hits, [
      { id: 'node-a:1:2', rule: 'vip-moved' },
      { id: 'node-a:1:4', rule: 'vip-moved' },
      { id: 'node-a:1:6', rule: 'vip-moved' },
    ]);
    assert.match(second.out(), /webhook failed; retrying/);
    assert.match(second.out(), /"stats":\{"handled":6,"matched":3,"fired":3,"deduplicated":6,"failed":0,"corrupt":0\}/);
    const stdin = (await readFile(execOut, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as EventEnvelope).id);
    assert.deepEqual(stdin, ['node-a:1:2', 'node-a:1:4', 'node-a:1:6']);
  });
});
