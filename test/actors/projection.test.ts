import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { actorTimeline, project, type Projection } from '../../src/actors/projection.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { openJournal } from '../../src/io/journal/fileJournal.js';
import { quietLog } from '../io/journal/journalFixtures.js';
import { journaledPart, recordRun } from './recordedRun.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../src/cli/main.js');

function statesOf(
  p: Projection | Record<string, Record<string, { state: string }>>,
): Record<string, Record<string, string>> {
  const entries = p instanceof Map ? [...p].map(([n, a]) => [n, Object.fromEntries(a)] as const) : Object.entries(p);
  return Object.fromEntries(
    entries.map(([node, actors]) => [
      node,
      Object.fromEntries(Object.entries(actors).map(([id, s]) => [id, journaledPart(s.state)])),
    ]),
  );
}

function observedJournaled(states: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(states).map(([n, a]) => [
      n,
      Object.fromEntries(Object.entries(a).map(([id, s]) => [id, journaledPart(s)])),
    ]),
  );
}

describe('projection', () => {
  it('rebuilds, at every observed instant, the states the running machines were in', async () => {
    const { envelopes, observations } = await recordRun();
    // The story really happened: failover, fault, a server down and back.
    const vrrpA = actorTimeline(envelopes, 'vrrp:VI_1', 'node-a').map((e) => e.to);
    assert.deepEqual(vrrpA, ['backup', 'master', 'fault', 'backup', 'master']);
    assert.ok(actorTimeline(envelopes, 'server:proxy/db1').some((e) => e.to.startsWith('health.down')));
    const distinct = new Set(observations.map((o) => JSON.stringify(o.states)));
    assert.ok(distinct.size >= 4, 'observations differ from each other');
    for (const o of observations) {
      assert.deepEqual(
        statesOf(project(envelopes, { at: o.at })),
        observedJournaled(o.states),
        `at ${new Date(o.at).toISOString()}`,
      );
    }
  });

  it('gives since = ts of the transition into the state, and narrows to one node', async () => {
    const { envelopes, observations } = await recordRun();
    const o = observations.at(-1)!;
    const p = project(envelopes, { at: o.at, node: 'node-b' });
    assert.deepEqual([...p.keys()], ['node-b']);
    const vi = p.get('node-b')!.get('vrrp:VI_1')!;
    const entered = actorTimeline(envelopes, 'vrrp:VI_1', 'node-b')
      .filter((e) => e.ts <= o.at)
      .at(-1)!;
    assert.equal(vi.since, entered.ts);
    assert.equal(vi.state, entered.to);
    assert.deepEqual(vi.context, entered.context);
  });

  it("forgets a node's actors when the node boots again", () => {
    const env = (boot: number, seq: number, actor: string, to: string): EventEnvelope => ({
      v: 1,
      id: `n:${boot}:${seq}`,
      node: 'n',
      boot,
      seq,
      ts: boot * 1000 + seq,
      actor,
      machine: 'm',
      from: seq === 1 ? null : 'x',
      to,
      event: { type: 'E' },
      context: {},
    });
    const p = project([env(2, 1, 'a', 'x'), env(1, 1, 'a', 'x'), env(1, 2, 'b', 'y')]);
    assert.deepEqual([...p.get('n')!.keys()], ['a']);
    assert.equal(p.get('n')!.get('a')!.boot, 2);
    assert.deepEqual(
      [
        ...project([env(1, 1, 'a', 'x'), env(1, 2, 'b', 'y'), env(2, 1, 'a', 'x')], { at: 1005 })
          .get('n')!
          .keys(),
      ],
      ['a', 'b'],
    );
  });

  it('halo replay --at prints the observed states from a local journal', async (t) => {
    const { envelopes, observations } = await recordRun();
    const stateDir = await mkdtemp(join(tmpdir(), 'halo-replay-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    // Each node writes its own journal; one directory holding both is what a collector would have.
    const journal = await openJournal({ dir: join(stateDir, 'journal'), log: quietLog });
    for (const e of envelopes) journal.append(e);
    await journal.close();
    const replay = (...args: string[]) =>
      run(process.execPath, [MAIN, 'replay', '--local', '--state-dir', stateDir, ...args]);
    for (const o of observations) {
      const { stdout } = await replay('--at', new Date(o.at).toISOString(), '--json');
      const out = JSON.parse(stdout) as { at: string; nodes: Record<string, Record<string, { state: string }>> };
      assert.equal(out.at, new Date(o.at).toISOString());
      assert.deepEqual(statesOf(out.nodes), observedJournaled(o.states));
    }
    const { stdout: human } = await replay('--at', new Date(observations[1]!.at).toISOString());
    assert.match(
      human,
      new RegExp(
        String.raw`^state at 2026-11-25T03:14:04\.500Z\nnode-a\n {2}vrrp:VI_1 +master ` +
          String.raw`{2}since 2026-11-25T03:14:03\.\d{3}Z {2}prio=100`,
      ),
    );
    const { stdout: timeline } = await replay('--timeline', 'vrrp:VI_1', '--node', 'node-b');
    assert.deepEqual(
      timeline
        .trim()
        .split('\n')
        .map((l) => l.split(' ').slice(1, 6).join(' ')),
      actorTimeline(envelopes, 'vrrp:VI_1', 'node-b').map((e) => `node-b vrrp:VI_1 ${e.from ?? '-'} -> ${e.to}`),
    );
  });
});
