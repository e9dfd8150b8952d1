import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScriptCheck } from '../../../src/io/checks/probe.types.js';
import { DETAIL_MAX_CHARS } from '../../../src/io/checks/scriptCheck.js';
import { scriptProbe } from '../../../src/io/checks/scriptProbe.js';
import { sleep } from '../../../src/io/sleep.js';
import { alive } from '../../helpers/processAlive.js';

const never = () => new AbortController().signal;

const gone = async (pid: number): Promise<boolean> => {
  // The group was signalled; each process dies when the kernel next schedules it.
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(10);
  return !alive(pid);
};

describe('scriptProbe', () => {
  let dir = '';
  /** Writes an executable into the temp dir and returns its path. */
  const script = (name: string, body: string, mode = 0o755): string => {
    const file = join(dir, name);
    writeFileSync(file, body);
    chmodSync(file, mode);
    return file;
  };
  const check = (command: string, fields: Partial<ScriptCheck> = {}): ScriptCheck => ({
    command,
    path: null,
    dynamicWeight: false,
    proxy: { name: 'app', id: 3, address: null, port: null },
    server: { name: 'web1', id: 1, address: '192.0.2.10', port: 8080, maxconn: 50, weight: 10 },
    ...fields,
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'halo-script-probe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the script haproxy's arguments and only the HAPROXY_* variables and PATH", async () => {
    const record = join(dir, 'record.json');
    // A Node recorder rather than sh: shells export variables of their own (PWD), Node adds none.
    const recorder = script(
      'recorder',
      `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: ` +
        `process.argv.slice(2), env: process.env }));\n`,
    );
    process.env.HALO_SECRET = 'must-not-leak';
    try {
      const r = await scriptProbe(
        check(recorder, {
          proxy: { name: 'www', id: 2, address: '198.51.100.1', port: 80 },
          currentConnections: () => 4,
        }),
        never(),
      );
      assert.deepEqual([r.ok, r.reason, r.detail], [true, 'ok', 'exit 0']);
    } finally {
      delete process.env.HALO_SECRET;
    }
    const got = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(got.argv, ['198.51.100.1', '80', '192.0.2.10', '8080']);
    assert.ok(process.env.HOME !== undefined, 'the daemon has a HOME for the script not to see');
    assert.deepEqual(got.env, {
      PATH: '',
      HAPROXY_PROXY_ADDR: '198.51.100.1',
      HAPROXY_PROXY_ID: '2',
      HAPROXY_PROXY_NAME: 'www',
      HAPROXY_PROXY_PORT: '80',
      HAPROXY_SERVER_ADDR: '192.0.2.10',
      HAPROXY_SERVER_CURCONN: '4',
      HAPROXY_SERVER_ID: '1',
      HAPROXY_SERVER_MAXCONN: '50',
      HAPROXY_SERVER_NAME: 'web1',
      HAPROXY_SERVER_PORT: '8080',
    });

    await scriptProbe(check(recorder), never());
    const backend = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(backend.argv, ['NOT_USED', 'NOT_USED', '192.0.2.10', '8080']);
    assert.deepEqual([backend.env.HAPROXY_PROXY_ADDR, backend.env.HAPROXY_PROXY_PORT], ['', '']);
    assert.equal('HAPROXY_SERVER_CURCONN' in backend.env, false, 'left out when the wiring cannot tell');
  });

  const exits: [number, boolean, { ok: boolean; reason: string; detail: string; weight?: number }][] = [
    [0, false, { ok: true, reason: 'ok', detail: 'exit 0: status 0 for 192.0.2.10' }],
    [1, false, { ok: false, reason: 'exit', detail: 'exit 1: status 1 for 192.0.2.10' }],
    [7, false, { ok: false, reason: 'exit', detail: 'exit 7: status 7 for 192.0.2.10' }],
    [
      0,
      true,
      { ok: true, reason: 'ok', detail: 'exit 0, weight 10 (configured): status 0 for 192.0.2.10', weight: 10 },
    ],
    [1, true, { ok: false, reason: 'exit', detail: 'exit 1: status 1 for 192.0.2.10' }],
    [7, true, { ok: true, reason: 'ok', detail: 'exit 7, weight 5: status 7 for 192.0.2.10', weight: 5 }],
  ];
  for (const [code, dynamicWeight, expected] of exits) {
    it(`exit ${code} ${dynamicWeight ? 'with' : 'without'} dynamic weight`, async () => {
      const file = script(`exit${code}`, `#!/bin/sh\necho "status ${code} for $3" >&2\nexit ${code}\n`);
      const { durationMs, ...r } = await scriptProbe(check(file, { dynamicWeight }), never());
      assert.deepEqual(r, expected);
      assert.ok(durationMs >= 0 && durationMs < 2000, `took ${durationMs} ms`);
    });
  }

  it("runs an operator's sh -c with the arguments as $0..$3", async () => {
    const r = await scriptProbe(check(`sh -c 'echo "$0 $1 $2 $3" >&2; exit 3'`, { path: '/usr/bin:/bin' }), never());
    assert.deepEqual([r.ok, r.reason, r.detail], [false, 'exit', 'exit 3: NOT_USED NOT_USED 192.0.2.10 8080']);
  });

  it('names the signal that killed the script', async () => {
    const file = script('selfkill', '#!/bin/sh\necho dying >&2\nkill -KILL $$\n');
    const r = await scriptProbe(check(file), never());
    assert.deepEqual([r.ok, r.reason, r.detail], [false, 'exit', 'killed by SIGKILL: dying']);
  });

  it('is a timeout when aborted at the deadline, and the whole process group is gone', async (t) => {
    const pids = join(dir, 'pids');
    const file = script('sleeper', `#!/bin/sh\nsleep 30 &\necho $$ $! > ${pids}\nsleep 30\n`);
    const ac = new AbortController();
    const abortAfterMs = 300;
    setTimeout(() => ac.abort(), abortAfterMs);
    const r = await scriptProbe(check(file, { path: '/usr/bin:/bin' }), ac.signal);
    t.diagnostic(`aborted at ${abortAfterMs} ms: result after ${r.durationMs} ms`);
    assert.deepEqual(
      [r.ok, r.reason, r.detail],
      [false, 'timeout', 'still running at the check deadline: process group killed'],
    );
    assert.ok(r.durationMs >= abortAfterMs - 1 && r.durationMs < abortAfterMs + 200, `took ${r.durationMs} ms`);
    const [shellPid, backgroundPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    assert.ok(shellPid! > 0 && backgroundPid! > 0);
    assert.equal(await gone(shellPid!), true, 'the script is gone');
    assert.equal(await gone(backgroundPid!), true, 'the background sleep it started is gone too');
  });

  it('is a timeout without running anything when already aborted', async () => {
    const marker = join(dir, 'ran');
    const file = script('marker', `#!/bin/sh\n: > ${marker}\n`);
    const r = await scriptProbe(check(file), AbortSignal.abort());
    assert.deepEqual([r.ok, r.reason], [false, 'timeout']);
    assert.throws(() => readFileSync(marker), { code: 'ENOENT' });
  });

  it('fails with error naming a missing or unrunnable command', async () => {
    const missing = join(dir, 'no-such-check');
    const r = await scriptProbe(check(missing), never());
    assert.deepEqual(
      [r.ok, r.reason, r.detail],
      [false, 'error', `cannot run ${JSON.stringify(missing)}: spawn ${missing} ENOENT`],
    );

    const notExecutable = script('not-executable', '#!/bin/sh\nexit 0\n', 0o644);
    const denied = await scriptProbe(check(notExecutable), never());
    assert.deepEqual([denied.ok, denied.reason], [false, 'error']);
    assert.match(denied.detail, /^cannot run ".*not-executable": .*EACCES/);

    const bad = await scriptProbe(check('"/opt/unterminated'), never());
    assert.deepEqual([bad.ok, bad.reason], [false, 'error']);
    assert.match(bad.detail, /missing terminating "/);
  });

  it('finds a bare command only through `path`', async () => {
    script('halo-found-check', '#!/bin/sh\necho found\n');
    const found = await scriptProbe(check('halo-found-check', { path: `/nonexistent:${dir}` }), never());
    assert.deepEqual([found.ok, found.reason, found.detail], [true, 'ok', 'exit 0: found']);

    // haproxy's default empty PATH: not looked up anywhere, not even in the daemon's directory.
    const unset = await scriptProbe(check('halo-found-check'), never());
    assert.deepEqual([unset.ok, unset.reason], [false, 'error']);
    assert.match(unset.detail, /"halo-found-check" is not a path and external-check path is empty/);

    const elsewhere = await scriptProbe(check('halo-found-check', { path: '/nonexistent' }), never());
    assert.deepEqual([elsewhere.ok, elsewhere.reason], [false, 'error']);
    assert.match(elsewhere.detail, /^cannot run "halo-found-check": spawn halo-found-check ENOENT$/);
  });

  it('bounds the detail of a script that prints 1 MB', async (t) => {
    const file = script(
      'chatty',
      '#!/bin/sh\nhead -c 1048576 /dev/zero | tr "\\0" x\nhead -c 1048576 /dev/zero | tr "\\0" y >&2\nexit 1\n',
    );
    const r = await scriptProbe(check(file, { path: '/usr/bin:/bin' }), never());
    t.diagnostic(`2 MB of output: detail ${r.detail.length} chars, ${r.durationMs} ms`);
    assert.deepEqual([r.ok, r.reason, r.detail], [false, 'exit', `exit 1: ${'y'.repeat(DETAIL_MAX_CHARS)}…`]);
    assert.ok(r.durationMs < 2000, `took ${r.durationMs} ms`);
  });
});
