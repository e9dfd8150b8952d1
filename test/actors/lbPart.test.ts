import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { prepareLbPart } from '../../src/actors/lbPart.js';
import { createNodeContext, type RunningNode, startNode } from '../../src/actors/node.js';
import { parseHaproxyText } from '../../src/config/haproxy/parse.js';
import { createLogger } from '../../src/io/log.js';
import { type Backend, freePort, request, sleep, startBackend } from '../io/proxy/tcpFixtures.js';

const VIP = '127.0.0.9';
const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk, _enc, cb) {
    for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
    cb();
  },
});

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, host);
    s.on('connect', () => {
      s.destroy();
      r(true);
    });
    s.on('error', () => r(false));
  });
}

let node: RunningNode | undefined;
const backends: Backend[] = [];
after(async () => {
  await node?.stop();
  for (const b of backends) await b.kill().catch(() => undefined);
});

describe('lbPart: health actors, passive errors and VIP-following listeners', () => {
  it('wires a server actor per server, follows the VIP within 50 ms and reports live errors', async () => {
    const a = await startBackend('a');
    const dead = await startBackend('dead');
    backends.push(a, dead);
    await dead.kill();
    const vipPort = await freePort();
    const fixedPort = await freePort();
    const { config } = parseHaproxyText(
      [
        'defaults',
        '  mode tcp',
        '  timeout connect 300',
        '  retries 1',
        '  option redispatch',
        'listen v',
        `  bind ${VIP}:${vipPort}`,
        `  bind 127.0.0.1:${fixedPort}`,
        '  balance roundrobin',
        `  server a 127.0.0.1:${a.port} check inter 200`,
        `  server dead 127.0.0.1:${dead.port} check inter 10s observe layer4 error-limit 100`,
      ].join('\n'),
      't.cfg',
    );
    const ctx = createNodeContext('t', createLogger({ destination, level: 'debug' }));
    ctx.vips.manage([VIP]);
    const part = await prepareLbPart(config, ctx);
    node = startNode(ctx, [part]);

    assert.ok(node.actor('server:v/a'), 'server:v/a is in the actor system');
    assert.ok(node.actor('server:v/dead'));
    assert.equal(await accepts(fixedPort, '127.0.0.1'), true, 'a bind on a non-VIP address always listens');
    assert.equal(await accepts(vipPort, VIP), false, 'no listener while the VIP is elsewhere');

    ctx.vips.set(VIP, true);
    const t0 = performance.now();
    let opened = false;
    while (!opened && performance.now() - t0 < 1_000) {
      opened = await accepts(vipPort, VIP);
      if (!opened) await sleep(2);
    }
    const tookMs = performance.now() - t0;
    assert.ok(opened && tookMs <= 50, `listener opened ${tookMs.toFixed(1)} ms after the VIP was added`);

    // Every new connection that first tries the dead server is redispatched to a.
    const answers = await Promise.all([1, 2, 3, 4].map((i) => request(vipPort, String(i), 5_000, VIP)));
    assert.deepEqual(answers.sort(), ['a:1', 'a:2', 'a:3', 'a:4']);
    await sleep(100);
    const deadCtx = node.actor('server:v/dead')!.getSnapshot().context as { counters: { passiveErrors: number } };
    assert.ok(
      deadCtx.counters.passiveErrors >= 2,
      `passive errors reached the health actor: ${deadCtx.counters.passiveErrors}`,
    );
    await sleep(300);
    assert.ok(
      ctx.counters.get('halo_lb_redispatches_total', { backend: 'v' }) >= 2,
      'worker counters reach the node counters',
    );

    ctx.vips.set(VIP, false);
    await sleep(50);
    assert.equal(await accepts(vipPort, VIP), false, 'the listener closes when the VIP goes');
    assert.equal(await accepts(fixedPort, '127.0.0.1'), true);
  });

  it('a bind that cannot listen fails prepareLbPart with HALO_E_LISTEN', async () => {
    const ctx = createNodeContext('t2', createLogger({ destination }));
    const { config } = parseHaproxyText(
      'listen x\n  mode tcp\n  bind 192.0.2.77:4000\n  server a 127.0.0.1:1\n',
      'x.cfg',
    );
    await assert.rejects(prepareLbPart(config, ctx), (err: { code?: string; message: string }) => {
      assert.equal(err.code, 'HALO_E_LISTEN');
      assert.match(err.message, /192\.0\.2\.77:4000/);
      return true;
    });
  });
});
