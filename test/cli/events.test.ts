import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parseTimeArg } from '../../src/cli/eventArgs.js';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { openJournal } from '../../src/io/journal/fileJournal.js';
import { subjectFilter } from '../../src/io/journal/eventQuery.js';
import { quietLog, tempDir } from '../io/journal/journalFixtures.js';
import { publishedJournal } from '../io/journal/natsFixtures.js';

const exec = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../src/cli/main.js');
const T0 = Date.parse('2026-11-25T03:14:00.123Z');

/** node-a and node-b, vrrp and server actors, one second apart. */
function history(): EventEnvelope[] {
  const rows: [string, string, string, string | null, string, string][] = [
    ['node-a', 'vrrp:VI_1', 'vrrpInstance', null, 'backup', 'xstate.init'],
    ['node-b', 'vrrp:VI_1', 'vrrpInstance', null, 'backup', 'xstate.init'],
    ['node-b', 'vrrp:VI_1', 'vrrpInstance', 'backup', 'master', 'MASTER_DOWN_TIMEOUT'],
    ['node-a', 'server:proxy/db1', 'serverHealth', 'health.up.stable', 'health.down.stable', 'xstate.done.actor.probe'],
    ['node-a', 'vrrp:VI_1', 'vrrpInstance', 'backup', 'fault', 'LINK'],
  ];
  const seqs: Record<string, number> = {};
  return rows.map(([node, actor, machine, from, to, type], i) => {
    const seq = (seqs[node] ?? 0) + 1;
    seqs[node] = seq;
    return {
      v: 1,
      id: `${node}:1:${seq}`,
      node,
      boot: 1,
      seq,
      ts: T0 + i * 1000,
      actor,
      machine,
      from,
      to,
      event: { type },
      context:
        machine === 'vrrpInstance'
          ? { effectivePriority: 100, faultReasons: to === 'fault' ? ['interface down'] : [] }
          : { health: 0 },
    };
  });
}

async function writeJournal(stateDir: string, envs: EventEnvelope[]): Promise<string> {
  const dir = join(stateDir, 'journal');
  const j = await openJournal({ dir, log: quietLog });
  for (const e of envs) j.append(e);
  await j.close();
  return dir;
}

async function halo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  const clean = { ...process.env };
  delete clean.HALO_NATS_URL;
  return exec(process.execPath, [MAIN, ...args], { env: { ...clean, ...env } });
}

/** Reads a child's stdout lines until `n` have arrived. */
function linesFrom(child: ChildProcess, n: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`only got: ${buf}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('time arguments', () => {
  it('accept ISO-8601, relative forms and now', () => {
    const now = Date.parse('2026-11-25T04:00:00Z');
    assert.equal(parseTimeArg('2026-11-25T03:14:00.123Z', now), T0);
    assert.equal(parseTimeArg('2026-11-25T04:14:00.123+01:00', now), T0);
    assert.equal(parseTimeArg('-10m', now), now - 600_000);
    assert.equal(parseTimeArg('-1.5h', now), now - 5_400_000);
    assert.equal(parseTimeArg('-500ms', now), now - 500);
    assert.equal(parseTimeArg('now', now), now);
    assert.throws(() => parseTimeArg('yesterday', now), /not a time/);
    assert.throws(() => parseTimeArg('10m', now), /not a time/);
    assert.throws(() => parseTimeArg('-99999999999d', now), { code: 'HALO_E_USAGE', message: /time out of range/ });
  });

  it('a bad --since, or --since after --until, is a usage error with its code, not a crash', async (t) => {
    const stateDir = await tempDir(t, 'events');
    const fails = async (args: string[]) => {
      const err = await halo(['events', '--state-dir', stateDir, ...args]).then(
        () => assert.fail(`halo events ${args.join(' ')} succeeded`),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 1);
      return err.stderr;
    };
    assert.match(await fails(['--since', 'yesterday']), /^halo: HALO_E_USAGE: not a time: 'yesterday'/);
    assert.match(await fails(['--since', '-99999999999d']), /^halo: HALO_E_USAGE: time out of range/);
    assert.match(
      await fails(['--since', '-1m', '--until', '-2m']),
      /^halo: HALO_E_USAGE: --since -1m is after --until -2m/,
    );
  });

  it('subject filters narrow by node and actor where NATS wildcards can', () => {
    assert.equal(subjectFilter({}), 'halo.events.>');
    assert.equal(subjectFilter({ node: 'node-b' }), 'halo.events.node-b.>');
    assert.equal(subjectFilter({ node: 'node.b', actor: 'vrrp:VI_1' }), 'halo.events.node%2Eb.vrrp.VI_1');
    assert.equal(subjectFilter({ actor: 'vrrp:*' }), 'halo.events.*.vrrp.*');
    assert.equal(subjectFilter({ actor: 'server:proxy/*' }), 'halo.events.*.>');
  });
});

describe('halo events, local journal', { timeout: 60_000 }, () => {
  it('prints one human line per transition, oldest first', async (t) => {
    const stateDir = await tempDir(t, 'events');
    await writeJournal(stateDir, history());
    const { stdout } = await halo(['events', '--state-dir', stateDir]);
    assert.deepEqual(stdout.trim().split('\n'), [
      '2026-11-25T03:14:00.123Z node-a vrrp:VI_1 - -> backup (init) prio=100',
      '2026-11-25T03:14:01.123Z node-b vrrp:VI_1 - -> backup (init) prio=100',
      '2026-11-25T03:14:02.123Z node-b vrrp:VI_1 backup -> master (MASTER_DOWN_TIMEOUT) prio=100',
      '2026-11-25T03:14:03.123Z node-a server:proxy/db1 health.up.stable -> health.down.stable (done probe) health=0',
      '2026-11-25T03:14:04.123Z node-a vrrp:VI_1 backup -> fault (LINK) prio=100 fault="interface down"',
    ]);
  });

  it('filters by node, actor glob and time window; --json prints the envelopes', async (t) => {
    const stateDir = await tempDir(t, 'events');
    const envs = history();
    await writeJournal(stateDir, envs);
    const json = async (args: string[]) =>
      (await halo(['events', '--state-dir', stateDir, '--json', ...args])).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EventEnvelope);
    assert.deepEqual(await json([]), envs);
    assert.deepEqual(
      (await json(['--node', 'node-b'])).map((e) => e.id),
      ['node-b:1:1', 'node-b:1:2'],
    );
    assert.deepEqual(
      (await json(['--actor', 'server:*'])).map((e) => e.id),
      ['node-a:1:2'],
    );
    assert.deepEqual(
      (await json(['--node', 'node-a', '--actor', 'vrrp:VI_1'])).map((e) => e.id),
      ['node-a:1:1', 'node-a:1:3'],
    );
    assert.deepEqual(
      (await json(['--since', '2026-11-25T03:14:01.123Z', '--until', '2026-11-25T03:14:03.123Z'])).map((e) => e.id),
      ['node-b:1:1', 'node-b:1:2', 'node-a:1:2'],
    );
    assert.deepEqual(await json(['--since', '-1m']), []);
  });

  it('skips a corrupt or truncated line with a warning, counts it, and reads on', async (t) => {
    const stateDir = await tempDir(t, 'events');
    const dir = await writeJournal(stateDir, history().slice(0, 2));
    const [seg] = await readdir(dir);
    await appendFile(join(dir, seg!), 'not json at all\n{"v":1,"id":"x"}\n');
    await writeJournal(stateDir, history().slice(2));
    // The torn tail of the last segment, as a crash mid-write leaves it.
    const segs = (await readdir(dir)).sort();
    await appendFile(join(dir, segs.at(-1)!), '{"v":1,"id":"node-a:1:4","node":"no');
    const { stdout, stderr } = await halo(['events', '--state-dir', stateDir, '--json']);
    assert.equal(stdout.trim().split('\n').length, 5);
    assert.equal(stderr.match(/warning: corrupt journal line skipped/g)?.length, 3);
    assert.match(stderr, new RegExp(`${seg}:3: "not json at all"`));
    assert.match(stderr, /halo: 3 corrupt line\(s\) skipped/);
  });

  it('--follow prints events appended after it started, and stops on SIGTERM', async (t) => {
    const stateDir = await tempDir(t, 'events');
    const envs = history();
    await writeJournal(stateDir, envs.slice(0, 2));
    const child = spawn(process.execPath, [MAIN, 'events', '--state-dir', stateDir, '--follow', '--node', 'node-b'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    const lines = linesFrom(child, 2, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await writeJournal(stateDir, envs.slice(2));
    assert.deepEqual(
      (await lines).map((l) => l.split(' ').slice(1, 3).join(' ')),
      ['node-b vrrp:VI_1', 'node-b vrrp:VI_1'],
    );
    assert.match((await lines)[1]!, /backup -> master/);
    const code = exited(child);
    child.kill('SIGTERM');
    assert.equal(await code, 0);
  });
});

describe('halo events, JetStream', { timeout: 60_000 }, () => {
  it(
    'reads the stream the publisher filled: filters, --json, a corrupt message skipped and counted, ' + '--follow',
    async (t) => {
      const { server, publish } = await publishedJournal(t, 'events-nats');
      const envs = history();
      await publish(envs.slice(0, 4));
      const nc = await connect({ servers: server.url });
      t.after(() => nc.close());
      await jetstream(nc).publish('halo.events.node-a.vrrp.VI_1', 'garbage{');

      // HALO_NATS_URL selects JetStream; the (empty) local state dir is not read.
      const empty = await tempDir(t, 'events-empty');
      const all = await halo(['events', '--state-dir', empty, '--json'], { HALO_NATS_URL: server.url });
      assert.deepEqual(
        all.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as EventEnvelope).id),
        envs.slice(0, 4).map((e) => e.id),
      );
      assert.match(all.stderr, /corrupt journal line skipped at stream seq 5: "garbage\{"/);
      assert.match(all.stderr, /halo: 1 corrupt line\(s\) skipped/);

      const b = await halo(['events', '--nats', server.url, '--node', 'node-b']);
      assert.deepEqual(b.stdout.trim().split('\n'), [
        '2026-11-25T03:14:01.123Z node-b vrrp:VI_1 - -> backup (init) prio=100',
        '2026-11-25T03:14:02.123Z node-b vrrp:VI_1 backup -> master (MASTER_DOWN_TIMEOUT) prio=100',
      ]);
      const srv = await halo([
        'events',
        '--nats',
        server.url,
        '--json',
        '--actor',
        'server:proxy/*',
        '--since',
        '2026-11-25T03:14:00Z',
      ]);
      assert.deepEqual(
        srv.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as EventEnvelope).id),
        ['node-a:1:2'],
      );
      const none = await halo(['events', '--nats', server.url, '--node', 'node-z']);
      assert.equal(none.stdout, '');

      const child = spawn(
        process.execPath,
        [MAIN, 'events', '--nats', server.url, '--follow', '--actor', 'vrrp:VI_1', '--node', 'node-a'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      t.after(() => child.kill('SIGKILL'));
      const lines = linesFrom(child, 2, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await publish(envs.slice(4));
      assert.match((await lines)[1]!, /node-a vrrp:VI_1 backup -> fault \(LINK\)/);
      const code = exited(child);
      child.kill('SIGTERM');
      assert.equal(await code, 0);
    },
  );
});
