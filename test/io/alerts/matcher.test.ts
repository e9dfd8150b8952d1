import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EventEnvelope } from '../../../src/io/journal/envelope.js';
import {
  allHold,
  firedRules,
  matchesEvent,
  recordState,
  type StateBook,
  stateMatches,
} from '../../../src/io/alerts/matcher.js';
import { type AlertMatch, parseAlertsYaml } from '../../../src/io/alerts/rules.js';

const EXAMPLE = join(import.meta.dirname, '../../../../examples/alerts.yaml');

let seq = 0;
function env(actor: string, from: string | null, to: string, over: Partial<EventEnvelope> = {}): EventEnvelope {
  seq += 1;
  const machine = actor.startsWith('server:') ? 'serverHealth' : 'vrrpInstance';
  return {
    v: 1,
    id: `n1:1:${seq}`,
    node: 'n1',
    boot: 1,
    seq,
    ts: seq,
    actor,
    machine,
    from,
    to,
    event: { type: 'E' },
    context: {},
    ...over,
  };
}

const down = 'health.down.stable,admin.ready';
const up = 'health.up.stable,admin.ready';

describe('alert matcher', () => {
  it('matches state patterns against any leaf path or a dot-prefix of one', () => {
    const table: [string, string, boolean][] = [
      ['master', 'master', true],
      ['master', 'backup', false],
      ['health.down', down, true],
      ['health.down.stable', down, true],
      ['health.dow', down, false],
      ['admin.ready', down, true],
      ['health.*', down, true],
      ['*.stable', 'health.up.stable,admin.ready', true],
      ['fault', 'faulty', false],
    ];
    for (const [pattern, state, want] of table)
      assert.equal(stateMatches(pattern, state), want, `${pattern} ~ ${state}`);
  });

  it('matches one envelope by node, actor, machine, event, from/to, enters/leaves', () => {
    const toMaster = env('vrrp:VI_1', 'backup', 'master', {
      event: { type: 'xstate.after.masterDown.vrrpInstance.backup' },
    });
    const first = env('vrrp:VI_1', null, 'master');
    const srvDown = env('server:proxy/db1', up, down);
    const adminOnly = env('server:proxy/db1', down, 'health.down.stable,admin.maint');
    const table: [AlertMatch, EventEnvelope, boolean][] = [
      [{}, toMaster, true],
      [{ node: 'n*' }, toMaster, true],
      [{ node: 'n2' }, toMaster, false],
      [{ actor: 'vrrp:*' }, toMaster, true],
      [{ actor: 'vrrp:VI_2' }, toMaster, false],
      [{ machine: 'serverHealth' }, toMaster, false],
      [{ event: 'xstate.after.*' }, toMaster, true],
      [{ to: 'master' }, toMaster, true],
      [{ to: 'master' }, first, true],
      [{ from: 'backup', to: 'master' }, toMaster, true],
      [{ from: 'backup' }, first, false],
      [{ enters: 'master' }, toMaster, true],
      [{ enters: 'master' }, first, false],
      [{ enters: 'health.down' }, srvDown, true],
      [{ enters: 'health.down' }, adminOnly, false],
      [{ to: 'health.down' }, adminOnly, true],
      [{ enters: 'admin.maint' }, adminOnly, true],
      [{ leaves: 'health.up' }, srvDown, true],
      [{ leaves: 'health.down', to: 'health.up' }, env('server:proxy/db1', 'health.down.rising,admin.ready', up), true],
      [{ leaves: 'health.down' }, adminOnly, false],
    ];
    for (const [m, e, want] of table)
      assert.equal(matchesEvent(m, e), want, `${JSON.stringify(m)} on ${e.from} -> ${e.to}`);
  });

  it('all: holds only when every actor of the group is in the state, per node and boot', () => {
    const book: StateBook = {};
    const cond = { actor: '{group}/*', state: 'health.down' };
    const e1 = env('server:proxy/db1', up, down);
    recordState(book, env('server:proxy/db2', null, up));
    recordState(book, env('server:other/x', null, down));
    recordState(book, e1);
    assert.equal(allHold(cond, e1, book), false);
    const e2 = env('server:proxy/db2', up, down);
    recordState(book, e2);
    assert.equal(allHold(cond, e2, book), true);
    // An older (redelivered) envelope does not roll a state back.
    recordState(book, { ...e1, seq: 1, to: up });
    assert.equal(allHold(cond, e2, book), true);
    // A new boot of the node starts over.
    const rebooted = env('server:proxy/db1', null, down, { boot: 2, seq: 1 });
    recordState(book, rebooted);
    assert.deepEqual(Object.keys(book.n1!.actors), ['server:proxy/db1']);
  });

  it('the example rule set pages for a VIP move, a fault, a backend down/up and a proxy with no backend', async () => {
    const cfg = parseAlertsYaml(await readFile(EXAMPLE, 'utf8'), EXAMPLE);
    assert.deepEqual(
      cfg.rules.map((r) => r.name),
      ['vip-moved', 'instance-fault', 'backend-down', 'backend-up', 'all-backends-down'],
    );
    const book: StateBook = {};
    const fire = (e: EventEnvelope): string[] => {
      recordState(book, e);
      return firedRules(cfg.rules, e, book).map((r) => r.name);
    };
    assert.deepEqual(fire(env('vrrp:VI_1', null, 'backup')), []);
    assert.deepEqual(fire(env('vrrp:VI_1', 'backup', 'master')), ['vip-moved']);
    assert.deepEqual(fire(env('vrrp:VI_1', 'master', 'fault')), ['instance-fault']);
    assert.deepEqual(fire(env('server:proxy/db1', null, up)), []);
    assert.deepEqual(fire(env('server:proxy/db2', null, up)), []);
    assert.deepEqual(fire(env('server:proxy/db1', up, down)), ['backend-down']);
    assert.deepEqual(fire(env('server:proxy/db2', up, down)), ['backend-down', 'all-backends-down']);
    assert.deepEqual(fire(env('server:proxy/db2', down, up)), ['backend-up']);
  });

  it('reports every mistake in an alerts file with file:line', () => {
    const text = [
      'rules:',
      '  - name: a',
      '    match: { to: master, colour: red }',
      '    actions:',
      '      - page: now',
      '  - name: a',
      '    actions: []',
      'start: later',
    ].join('\n');
    assert.throws(
      () => parseAlertsYaml(text, 'alerts.yaml'),
      (err: Error) => {
        assert.match(err.message, /alerts\.yaml:3: unknown key 'colour'/);
        assert.match(err.message, /alerts\.yaml:5: unknown action 'page'/);
        assert.match(err.message, /alerts\.yaml:6: duplicate rule name 'a'/);
        assert.match(err.message, /alerts\.yaml:7: rule 'a' needs a non-empty actions list/);
        assert.match(err.message, /alerts\.yaml:8: start must be 'new' or 'all'/);
        return true;
      },
    );
    assert.throws(() => parseAlertsYaml('rules: [\n', 'x.yaml'), /x\.yaml:\d+:/);
  });
});
