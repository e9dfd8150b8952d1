import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecResult } from '../../../src/io/exec.js';
import type { ScriptCheck } from '../../../src/io/checks/probe.types.js';
import { DETAIL_MAX_CHARS, scriptInvocation, scriptOutcome } from '../../../src/io/checks/scriptCheck.js';

const backendCheck: ScriptCheck = {
  command: '/etc/halo/check-app',
  path: null,
  dynamicWeight: false,
  proxy: { name: 'app', id: 3, address: null, port: null },
  server: { name: 'web1', id: 1, address: '192.0.2.10', port: 8080, maxconn: 0, weight: 1 },
};

const listenCheck: ScriptCheck = {
  ...backendCheck,
  path: '/usr/bin:/bin',
  proxy: { name: 'www', id: 2, address: '198.51.100.1', port: 80 },
  server: { name: 'web2', id: 7, address: '203.0.113.5', port: null, maxconn: 100, weight: 1 },
};

describe('scriptInvocation', () => {
  it("appends haproxy's four arguments, NOT_USED where the proxy has no listener", () => {
    assert.deepEqual(scriptInvocation(backendCheck, undefined).argv, [
      '/etc/halo/check-app',
      'NOT_USED',
      'NOT_USED',
      '192.0.2.10',
      '8080',
    ]);
    assert.deepEqual(scriptInvocation(listenCheck, undefined).argv, [
      '/etc/halo/check-app',
      '198.51.100.1',
      '80',
      '203.0.113.5',
      'NOT_USED',
    ]);
  });

  it('builds the whole environment: HAPROXY_* and PATH only, empty where an argument is NOT_USED', () => {
    assert.deepEqual(scriptInvocation(backendCheck, undefined).env, {
      PATH: '',
      HAPROXY_PROXY_ADDR: '',
      HAPROXY_PROXY_ID: '3',
      HAPROXY_PROXY_NAME: 'app',
      HAPROXY_PROXY_PORT: '',
      HAPROXY_SERVER_ADDR: '192.0.2.10',
      HAPROXY_SERVER_ID: '1',
      HAPROXY_SERVER_MAXCONN: '0',
      HAPROXY_SERVER_NAME: 'web1',
      HAPROXY_SERVER_PORT: '8080',
    });
    assert.deepEqual(scriptInvocation(listenCheck, 4).env, {
      PATH: '/usr/bin:/bin',
      HAPROXY_PROXY_ADDR: '198.51.100.1',
      HAPROXY_PROXY_ID: '2',
      HAPROXY_PROXY_NAME: 'www',
      HAPROXY_PROXY_PORT: '80',
      HAPROXY_SERVER_ADDR: '203.0.113.5',
      HAPROXY_SERVER_CURCONN: '4',
      HAPROXY_SERVER_ID: '7',
      HAPROXY_SERVER_MAXCONN: '100',
      HAPROXY_SERVER_NAME: 'web2',
      HAPROXY_SERVER_PORT: '',
    });
  });

  const commands: [string, string | null, string[]][] = [
    ['check-app --fast', '/opt/bin', ['check-app', '--fast']],
    [`sh -c 'nc -z "$3" "$4"'`, '/bin', ['sh', '-c', 'nc -z "$3" "$4"']],
    ['"/opt/my checks/app"', null, ['/opt/my checks/app']],
    ['./check-app', null, ['./check-app']],
  ];
  for (const [command, path, words] of commands) {
    it(`splits ${command} (path ${path}) without a shell`, () => {
      const { argv } = scriptInvocation({ ...backendCheck, command, path }, undefined);
      assert.deepEqual(argv, [...words, 'NOT_USED', 'NOT_USED', '192.0.2.10', '8080']);
    });
  }

  const unrunnable: [string, string | null, RegExp][] = [
    ['', null, /command is empty/],
    ['   ', '/bin', /command is empty/],
    ['check-app', null, /"check-app" is not a path and external-check path is empty/],
    ['check-app', '', /"check-app" is not a path and external-check path is empty/],
    ['"/opt/check', null, /missing terminating "/],
  ];
  for (const [command, path, message] of unrunnable) {
    it(`rejects ${JSON.stringify(command)} with path ${JSON.stringify(path)} as a config value error`, () => {
      assert.throws(() => scriptInvocation({ ...backendCheck, command, path }, undefined), {
        name: 'HaloError',
        code: 'HALO_E_CONFIG_VALUE',
        message,
      });
    });
  }
});

describe('scriptOutcome', () => {
  const run = (fields: Partial<ExecResult>): ExecResult => ({
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    aborted: false,
    durationMs: 5,
    ...fields,
  });
  const long = 'x'.repeat(5000);
  const cases: [string, ExecResult, number | null, ReturnType<typeof scriptOutcome>][] = [
    ['exit 0', run({ exitCode: 0 }), null, { ok: true, reason: 'ok', detail: 'exit 0' }],
    [
      'exit 0 with output',
      run({ exitCode: 0, stdout: 'all good\n' }),
      null,
      { ok: true, reason: 'ok', detail: 'exit 0: all good' },
    ],
    [
      'exit 1',
      run({ exitCode: 1, stderr: '\n  db down  \nmore\n' }),
      null,
      { ok: false, reason: 'exit', detail: 'exit 1: db down' },
    ],
    [
      'stderr first',
      run({ exitCode: 2, stdout: 'out\n', stderr: 'err\n' }),
      null,
      { ok: false, reason: 'exit', detail: 'exit 2: err' },
    ],
    [
      'stdout when stderr is blank',
      run({ exitCode: 2, stdout: 'out\n', stderr: ' \n' }),
      null,
      { ok: false, reason: 'exit', detail: 'exit 2: out' },
    ],
    ['exit 7', run({ exitCode: 7 }), null, { ok: false, reason: 'exit', detail: 'exit 7' }],
    [
      'dynamic exit 0 restores the configured weight',
      run({ exitCode: 0 }),
      10,
      { ok: true, reason: 'ok', detail: 'exit 0, weight 10 (configured)', weight: 10 },
    ],
    ['dynamic exit 1 fails', run({ exitCode: 1 }), 10, { ok: false, reason: 'exit', detail: 'exit 1' }],
    [
      'dynamic exit 2 is weight 0',
      run({ exitCode: 2 }),
      10,
      { ok: true, reason: 'ok', detail: 'exit 2, weight 0', weight: 0 },
    ],
    [
      'dynamic exit 7',
      run({ exitCode: 7, stdout: 'load 5\n' }),
      10,
      { ok: true, reason: 'ok', detail: 'exit 7, weight 5: load 5', weight: 5 },
    ],
    [
      'dynamic exit 255',
      run({ exitCode: 255 }),
      10,
      { ok: true, reason: 'ok', detail: 'exit 255, weight 253', weight: 253 },
    ],
    [
      'signal',
      run({ signal: 'SIGSEGV', stderr: 'oops\n' }),
      10,
      { ok: false, reason: 'exit', detail: 'killed by SIGSEGV: oops' },
    ],
    [
      'aborted',
      run({ aborted: true, signal: 'SIGTERM' }),
      null,
      { ok: false, reason: 'timeout', detail: 'still running at the check deadline: process group killed' },
    ],
    [
      'timed out',
      run({ timedOut: true, signal: 'SIGKILL' }),
      10,
      { ok: false, reason: 'timeout', detail: 'still running at the check deadline: process group killed' },
    ],
    [
      'spawn failure',
      run({ stderr: 'spawn /x/check ENOENT' }),
      null,
      { ok: false, reason: 'error', detail: 'cannot run "/x/check": spawn /x/check ENOENT' },
    ],
    [
      'long line',
      run({ exitCode: 1, stdout: long }),
      null,
      { ok: false, reason: 'exit', detail: `exit 1: ${'x'.repeat(DETAIL_MAX_CHARS)}…` },
    ],
  ];
  for (const [name, result, configuredWeight, expected] of cases) {
    it(name, () => assert.deepEqual(scriptOutcome('/x/check', result, configuredWeight), expected));
  }
});
