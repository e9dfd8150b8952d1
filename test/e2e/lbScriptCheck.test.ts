/**
 * `option external-check` and `halo-check icmp` through a real `halo run -c haproxy.cfg` on
 * loopback: a check script decides each server's health and, with `halo-check dynamic-weight`,
 * its weight (keepalived misc_dynamic), and the clients' connections follow.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readJournal } from '../../src/io/journal/fileJournal.js';
import { spawnHaloRun, stopHaloRun } from '../helpers/haloRun.js';
import { waitFor } from '../helpers/netns.js';
import { type Backend, freePort, request, startBackend } from '../io/proxy/tcpFixtures.js';

interface Line {
  msg?: string;
  actor?: string;
  to?: string;
  weight?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'halo-extchk-'));
const lines: Line[] = [];
let halo: ChildProcess;
const be: Record<string, Backend> = {};
let scriptPort = 0;
let icmpPort = 0;

/** The exit status the check script gives for a server, read from <dir>/<server>.code. */
const setExit = (server: string, code: number): void => writeFileSync(join(dir, `${server}.code`), `${code}\n`);

/** Who answered each of n sequential requests. */
async function picks(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await request(scriptPort, 'x')).split(':')[0]!);
  return out;
}

const count = (list: string[], name: string): number => list.filter((p) => p === name).length;

before(async () => {
  for (const n of ['s1', 's2', 'i1']) be[n] = await startBackend(n);
  scriptPort = await freePort();
  icmpPort = await freePort();
  setExit('s1', 0);
  setExit('s2', 0);
  const script = join(dir, 'check.sh');
  // The environment is haproxy's: HAPROXY_SERVER_NAME, and PATH from `external-check path`.
  writeFileSync(
    script,
    `#!/bin/sh\nread code < ${dir}/$HAPROXY_SERVER_NAME.code\necho "server $HAPROXY_SERVER_NAME port $4 says $code"\n` +
      `exit $code\n`,
  );
  chmodSync(script, 0o755);
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
    external-check
defaults
    mode tcp
    timeout connect 500
    timeout client 5s
    timeout server 5s
listen scripted
    bind 127.0.0.1:${scriptPort}
    balance roundrobin
    option external-check
    external-check path "/usr/bin:/bin"
    external-check command ${script}
    halo-check dynamic-weight
    server s1 127.0.0.1:${be.s1!.port} check inter 150 rise 1 fall 2 weight 1
    server s2 127.0.0.1:${be.s2!.port} check inter 150 rise 1 fall 2 weight 1
listen pinged
    bind 127.0.0.1:${icmpPort}
    halo-check icmp
    timeout check 500
    server i1 127.0.0.1:${be.i1!.port} check inter 150 rise 2 fall 2
`,
  );
  halo = spawnHaloRun(['-c', join(dir, 'haproxy.cfg'), '--state-dir', join(dir, 'state'), '--node-name', 'x'], lines);
  await waitFor('"halo running"', () => lines.some((l) => l.msg === 'halo running'), 10_000);
});

after(async () => {
  await stopHaloRun(halo);
  for (const b of Object.values(be)) await b.kill().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('halo run with option external-check and halo-check dynamic-weight', () => {
  it('a script exit of 2..255 sets the weight (exit-2) and the traffic follows; exit 0 restores it', async () => {
    // exit 0 restores the configured weight: announced once, at the first check.
    await waitFor(
      'the first check of s1 and s2 to announce weight 1',
      () => lines.filter((l) => l.msg === 'weight set by check' && l.weight === 1).length === 2,
      5_000,
    );
    const even = await picks(8);
    assert.deepEqual([count(even, 's1'), count(even, 's2')], [4, 4], `equal weights: ${even}`);

    setExit('s1', 5);
    await waitFor(
      's1 weight 3 after exit 5',
      () => lines.some((l) => l.msg === 'weight set by check' && l.actor === 'server:scripted/s1' && l.weight === 3),
      3_000,
    );
    const heavy = await picks(12);
    assert.deepEqual([count(heavy, 's1'), count(heavy, 's2')], [9, 3], `weight 3 : 1: ${heavy}`);

    setExit('s1', 0);
    const restored = lines.length;
    await waitFor(
      's1 weight 1 again after exit 0',
      () =>
        lines
          .slice(restored)
          .some((l) => l.msg === 'weight set by check' && l.actor === 'server:scripted/s1' && l.weight === 1),
      3_000,
    );
  });

  it('exit 1 takes the server down after `fall` checks; the others get every connection', async () => {
    setExit('s2', 1);
    await waitFor(
      's2 down after exit 1',
      () =>
        lines.some(
          (l) => l.msg === 'transition' && l.actor === 'server:scripted/s2' && /health\.down/.test(l.to ?? ''),
        ),
      3_000,
    );
    const rest = await picks(6);
    assert.deepEqual(rest, Array(6).fill('s1'), `s2 is down: ${rest}`);
    setExit('s2', 0);
    await waitFor(
      's2 up again after exit 0',
      () => {
        const seen = lines.filter((l) => l.msg === 'transition' && l.actor === 'server:scripted/s2');
        return /health\.up/.test(seen.at(-1)?.to ?? '') || undefined;
      },
      3_000,
    );
  });

  it('halo-check icmp: a server that answers echo requests stays up and serves', async () => {
    // Loopback only (the network rules): the unreachable and silent cases run in namespaces in
    // test/io/checks/icmpPinger.test.ts.
    // It starts one failure from DOWN (haproxy); the first echo reply takes it to the top.
    const top = await waitFor(
      'a journaled health.up.stable of server:pinged/i1',
      async () => {
        for await (const e of readJournal(join(dir, 'state', 'journal'))) {
          if (e.actor === 'server:pinged/i1' && /health\.up\.stable/.test(e.to)) return e;
        }
        return undefined;
      },
      3_000,
    );
    const last = top.context.lastCheck as { ok: boolean; detail: string };
    assert.equal(last.ok, true);
    assert.match(last.detail, /echo reply from 127\.0\.0\.1/);
    assert.ok(!lines.some((l) => l.actor === 'server:pinged/i1' && /health\.down/.test(l.to ?? '')), 'never down');
    assert.equal(await request(icmpPort, 'y'), 'i1:y');
  });
});
