import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { vrrpInstanceMachine } from '../../src/machines/vrrp/vrrpInstance.machine.js';
import { serverHealthMachine } from '../../src/machines/lb/serverHealth.machine.js';
import { replayStep, stateValueFromString, verifyTransitions } from '../../src/actors/replayVerify.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { openJournal } from '../../src/io/journal/fileJournal.js';
import { quietLog } from '../io/journal/journalFixtures.js';
import { recordRun } from './recordedRun.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../src/cli/main.js');

const clone = (envs: EventEnvelope[]): EventEnvelope[] => JSON.parse(JSON.stringify(envs)) as EventEnvelope[];

describe('replayVerify', () => {
  it('turns state strings back into state values using the machine structure', () => {
    assert.equal(stateValueFromString(vrrpInstanceMachine, 'backup'), 'backup');
    assert.deepEqual(
      stateValueFromString(serverHealthMachine, 'health.down.rising,admin.ready,check.waiting.scheduled'),
      {
        health: { down: 'rising' },
        admin: 'ready',
        check: { waiting: 'scheduled' },
      },
    );
    assert.throws(() => stateValueFromString(vrrpInstanceMachine, 'nirvana'), /no state 'nirvana'/);
  });

  it('reproduces every recorded transition: timers, adverts, link changes and probe outcomes', async () => {
    const { envelopes } = await recordRun();
    const types = new Set(envelopes.filter((e) => e.from !== null).map((e) => e.event.type));
    assert.ok(types.has('xstate.after.masterDown.vrrpInstance.backup'), 'a timer transition was recorded');
    assert.ok(types.has('xstate.done.actor.probe'), 'an invoked probe outcome was recorded');
    assert.ok(types.has('ADVERT') && types.has('LINK'));
    const r = verifyTransitions(envelopes);
    assert.equal(r.divergences, 0, JSON.stringify(r.firstDivergence));
    assert.deepEqual(r.unverifiable, {});
    assert.equal(r.skipped, 4);
    assert.equal(r.checked, envelopes.length - 4);
    assert.equal(r.verified + r.verifiedFromRecordedContext, r.checked);
    // db1's second failure only lowered its health counter (no state change, no envelope): the
    // step into DOWN is reproduced from the context it recorded, and counted apart.
    assert.equal(r.verifiedFromRecordedContext, 1);
  });

  it('reports the first divergence of a tampered journal', async () => {
    const { envelopes } = await recordRun();
    const tampered = clone(envelopes);
    const i = tampered.findIndex((e) => e.node === 'node-b' && e.event.type === 'ADVERT');
    tampered[i]!.to = 'fault';
    const j = tampered.findIndex((e) => e.node === 'node-a' && e.event.type === 'LINK' && e.to === 'backup');
    tampered[j]!.to = 'master';
    const r = verifyTransitions(tampered);
    assert.equal(r.divergences, 2);
    // Per node in (boot, seq) order: node-a's comes first.
    assert.deepEqual(r.firstDivergence, {
      id: tampered[j]!.id,
      node: 'node-a',
      actor: 'vrrp:VI_1',
      machine: 'vrrpInstance',
      from: 'fault',
      event: 'LINK',
      expected: 'master',
      got: 'backup',
    });
  });

  it('counts what it cannot replay instead of passing it', () => {
    const env: EventEnvelope = {
      v: 1,
      id: 'n:1:2',
      node: 'n',
      boot: 1,
      seq: 2,
      ts: 1,
      actor: 'x:y',
      machine: 'mystery',
      from: 'a',
      to: 'b',
      event: { type: 'GO' },
      context: {},
    };
    const r = verifyTransitions([env]);
    assert.equal(r.verified, 0);
    assert.deepEqual(r.unverifiable, { "machine 'mystery' is not in the replay registry": 1 });
    assert.equal(r.divergences, 0);
  });

  it('replays one step of the pure machine without running its effects', () => {
    const ctx = {
      name: 'VI_1',
      vrid: 1,
      version: 2,
      primaryIp: '192.0.2.1',
      basePriority: 100,
      effectivePriority: 100,
      advertIntervalCs: 100,
      masterAdvertIntervalCs: 100,
      preempt: true,
      preemptDelayCs: 0,
      preemptDelay: 'idle',
      garp: { delayCs: 0, repeat: 1, refreshCs: 0, refreshRepeat: 1 },
      heal: { lowerPrioAdvert: true, lowerPrioGarpRepeat: 1, lowerPrioGarpDelayCs: 0, higherPrioSendAdvert: true },
      splitBrains: 0,
      lastSplitBrain: null,
      trackers: [],
      linkUp: true,
      faultReasons: [],
      syncFault: false,
      masterIp: null,
      masterPriority: null,
      downTimerMs: 3609,
      becameMaster: 0,
      releasedMaster: 0,
    };
    const advertFrom9 = (priority: number) =>
      ({ type: 'ADVERT', priority, srcIp: '192.0.2.9', advertIntervalCs: 100 }) as const;
    assert.equal(
      replayStep(vrrpInstanceMachine, 'backup', ctx, { type: 'xstate.after.masterDown.vrrpInstance.backup' }),
      'master',
    );
    assert.equal(replayStep(vrrpInstanceMachine, 'master', ctx, advertFrom9(200)), 'backup');
    assert.equal(replayStep(vrrpInstanceMachine, 'master', ctx, advertFrom9(50)), 'master');
  });

  it('halo replay --verify passes on the recorded journal and fails on a tampered one', async (t) => {
    const { envelopes } = await recordRun();
    const stateDir = await mkdtemp(join(tmpdir(), 'halo-verify-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    const dir = join(stateDir, 'journal');
    const journal = await openJournal({ dir, log: quietLog });
    for (const e of envelopes) journal.append(e);
    await journal.close();
    const ok = await run(process.execPath, [MAIN, 'replay', '--verify', '--local', '--state-dir', stateDir]);
    assert.match(
      ok.stdout,
      new RegExp(
        'verify: 13 transitions checked: 12 reproduced, 1 reproduced from the context they recorded .*, ' +
          String.raw`4 first snapshots skipped\nverify: ok\n$`,
      ),
    );

    const [seg] = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    const file = join(dir, seg!);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const k = lines.findIndex((l) => l.includes('"node":"node-b"') && l.includes('"type":"ADVERT"'));
    const env = JSON.parse(lines[k]!) as EventEnvelope;
    lines[k] = JSON.stringify({ ...env, to: 'fault' });
    // A torn line as well: skipped, counted, and the check still runs.
    lines.splice(3, 0, '{"v":1,"id":"node-a:1:9');
    await writeFile(file, lines.join('\n'));
    const bad = await run(process.execPath, [MAIN, 'replay', '--verify', '--local', '--state-dir', stateDir]).then(
      () => assert.fail('verify passed on a tampered journal'),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout,
      new RegExp(
        `DIVERGENCE \\(1 in all\\); first at ${env.id} vrrp:VI_1 \\(vrrpInstance\\): ` +
          `from master on ADVERT the machine goes to backup, the journal says fault`,
      ),
    );
    assert.match(bad.stderr, /corrupt journal line skipped at .*:4:/);
    assert.match(bad.stderr, /1 corrupt line\(s\) skipped/);
  });
});
