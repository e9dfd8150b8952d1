import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { prepareLbPart } from '../../src/actors/lbPart.js';
import { createNodeContext, type RunningNode, startNode } from '../../src/actors/node.js';
import { createTransitionMapper } from '../../src/actors/transitionMapper.js';
import { parseHaproxyText } from '../../src/config/haproxy/parse.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { createLogger } from '../../src/io/log.js';
import { waitFor } from '../helpers/netns.js';
import { freePort, sleep } from '../io/proxy/tcpFixtures.js';

const SERVERS = 50;
const INTER_MS = 50;

let node: RunningNode | undefined;
after(async () => {
  await node?.stop();
});

describe('health checks at scale', () => {
  it('a check failing on every server costs a line per server going DOWN, none per check', async () => {
    const lines: Array<{ actor?: string; msg: string }> = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const envelopes: EventEnvelope[] = [];
    const mapper = createTransitionMapper({ node: 't', boot: 1, sink: (env) => envelopes.push(env) });
    // Nothing listens there: every check is refused at once.
    const dead = await freePort();
    const servers = Array.from(
      { length: SERVERS },
      (_, i) => `  server s${i} 127.0.0.1:${dead} check inter ${INTER_MS} fall 2`,
    );
    const { config } = parseHaproxyText(['backend b', '  mode tcp', ...servers].join('\n'), 't.cfg');
    const ctx = createNodeContext('t', createLogger({ destination, level: 'debug' }));
    node = startNode(ctx, [await prepareLbPart(config, ctx)], { inspect: mapper.onInspect });
    const running = node;
    const failures = (): number => {
      let sum = 0;
      for (let i = 0; i < SERVERS; i++) {
        sum += (running.actor(`server:b/s${i}`)!.getSnapshot().context as { counters: { failures: number } }).counters
          .failures;
      }
      return sum;
    };
    const downLines = (): number => lines.filter((l) => l.msg === 'server DOWN').length;
    await waitFor(
      () => `every server DOWN (${downLines()} of ${SERVERS})`,
      () => downLines() === SERVERS,
      10_000,
    );

    const before = { lines: lines.length, envelopes: envelopes.length, failures: failures() };
    await sleep(20 * INTER_MS);
    const checks = failures() - before.failures;
    assert.ok(checks >= 5 * SERVERS, `the checks went on failing: ${checks} failures in ${20 * INTER_MS} ms`);
    const serverLines = lines.slice(before.lines).filter((l) => l.actor?.startsWith('server:'));
    assert.deepEqual(serverLines, [], 'no server logs a line per failed check');
    assert.deepEqual(envelopes.slice(before.envelopes), [], 'no journal event per failed check');
  });
});
