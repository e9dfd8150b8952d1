/**
 * The seed's backend check against a real MariaDB, through a real `halo run -c haproxy.cfg`:
 * haproxy's `option mysql-check user U` (a password-less check user, as haproxy requires) marks
 * the server up; stopping MariaDB marks it down, and the journal event of that transition
 * says why; a check user MariaDB refuses is down with the server's own words. halo's
 * `halo-check mysql` adds a password file and the read_only role rule.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHaloRun, stopHaloRun } from '../helpers/haloRun.js';
import { after, before, describe, test } from 'node:test';
import type { EventEnvelope } from '../../src/io/journal/envelope.js';
import { readJournal } from '../../src/io/journal/fileJournal.js';
import { freePort, type PrivateMariadb, startMariadb } from '../helpers/mariadb.js';
import { waitFor } from '../helpers/netns.js';

interface Line {
  msg?: string;
  actor?: string;
  to?: string;
}

const SECRET = 'pw-4f9a-check';

async function journal(dir: string): Promise<EventEnvelope[]> {
  const envs: EventEnvelope[] = [];
  for await (const e of readJournal(join(dir, 'state', 'journal'))) envs.push(e);
  return envs;
}

const health = (to: string | undefined): string | undefined => /health\.(up|down)/.exec(to ?? '')?.[1];
const UP = /health\.up/;
const DOWN = /health\.down/;
/** The top of the UP band: with fall > 1 a server starts one failure from DOWN, so only a passed check gets here. */
const UP_CHECKED = /health\.up\.stable/;

/** The first bytes MariaDB sends, through the proxy: a v10 handshake packet. */
function greeting(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('data', (d: Buffer) => {
      s.destroy();
      resolve(d);
    });
    s.once('error', reject);
    s.setTimeout(3_000, () => s.destroy(new Error('no greeting')));
  });
}

describe('halo run with option mysql-check against a real MariaDB', () => {
  let db: PrivateMariadb;
  let halo: ChildProcess;
  let dir: string;
  let lbPort: number;
  const lines: Line[] = [];
  /** `actor`'s transitions logged at or after index `since` of `lines`. */
  const transitions = (actor: string, since = 0): Line[] =>
    lines.slice(since).filter((l) => l.msg === 'transition' && l.actor === actor);
  const seen = (actor: string, since: number): string =>
    `(${actor} so far: ${
      transitions(actor, since)
        .map((l) => l.to)
        .join(' | ') || 'none'
    })`;
  /**
   * The first transition of `actor` into `state` logged at or after `since`. Callers take `since`
   * (lines.length) before they cause the change, so a check that acts before the cause's own
   * await returns cannot be missed.
   */
  const waitHealth = (actor: string, state: RegExp, since: number, ms: number): Promise<Line> =>
    waitFor(
      () => `${actor} to reach ${state} ${seen(actor, since)}`,
      () => transitions(actor, since).find((l) => state.test(l.to ?? '')),
      ms,
    );
  /** Waits until `actor`'s latest transition since `since` is into `state` (it may pass others first). */
  const waitSettled = (actor: string, state: RegExp, since: number, ms: number): Promise<true> =>
    waitFor(
      () => `${actor} to settle in ${state} ${seen(actor, since)}`,
      () => state.test(transitions(actor, since).at(-1)?.to ?? '') || undefined,
      ms,
    );

  before(async () => {
    db = await startMariadb();
    await db.sql(`CREATE USER 'haproxy_check'@'127.0.0.1'`);
    await db.sql(`CREATE USER 'halo_check'@'127.0.0.1' IDENTIFIED BY '${SECRET}'`);
    dir = mkdtempSync(join(tmpdir(), 'halo-lbmysql-'));
    writeFileSync(join(dir, 'good.pw'), `${SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'wrong.pw'), 'not-the-password\n', { mode: 0o600 });
    lbPort = await freePort();
    const badPort = await freePort();
    const primaryPort = await freePort();
    const wrongPort = await freePort();
    writeFileSync(
      join(dir, 'haproxy.cfg'),
      `defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
listen db
    bind 127.0.0.1:${lbPort}
    option mysql-check user haproxy_check
    server m1 127.0.0.1:${db.port} check inter 200 rise 1 fall 2
listen refused
    bind 127.0.0.1:${badPort}
    option mysql-check user nobody_here
    server m2 127.0.0.1:${db.port} check inter 200 rise 1 fall 1
listen primary
    bind 127.0.0.1:${primaryPort}
    option mysql-check user halo_check
    halo-check mysql password-file ${join(dir, 'good.pw')} read-only off
    server p1 127.0.0.1:${db.port} check inter 200 rise 1 fall 1
listen wrongpw
    bind 127.0.0.1:${wrongPort}
    option mysql-check user halo_check
    halo-check mysql password-file ${join(dir, 'wrong.pw')}
    server w1 127.0.0.1:${db.port} check inter 200 rise 1 fall 1
`,
    );
    halo = spawnHaloRun(
      ['-c', join(dir, 'haproxy.cfg'), '--state-dir', join(dir, 'state'), '--node-name', 'lb'],
      lines,
    );
  });

  after(async () => {
    await stopHaloRun(halo);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a check user MariaDB refuses keeps the server down, and says so', async () => {
    await waitFor(
      'a journaled down of server:refused/m2 whose last check says access denied',
      async () => {
        const e = (await journal(dir)).find((x) => x.actor === 'server:refused/m2' && health(x.to) === 'down');
        const last = e?.context.lastCheck as { reason?: string; detail?: string } | undefined;
        return last?.reason === 'auth' && /Access denied|nobody_here/.test(last.detail ?? '') ? true : undefined;
      },
      5_000,
      100,
    );
  });
  test(
    'halo-check mysql: a wrong password is down with the reason, ' +
      'and the password never reaches the log or journal',
    async () => {
      await waitFor(
        'a journaled down of server:wrongpw/w1 whose last check says access denied',
        async () => {
          const e = (await journal(dir)).find((x) => x.actor === 'server:wrongpw/w1' && health(x.to) === 'down');
          const last = e?.context.lastCheck as { reason?: string; detail?: string } | undefined;
          return last?.reason === 'auth' && /Access denied for user 'halo_check'/.test(last.detail ?? '')
            ? true
            : undefined;
        },
        5_000,
        100,
      );
      await waitHealth('server:primary/p1', UP, 0, 5_000);
      const text = JSON.stringify(lines) + JSON.stringify(await journal(dir));
      assert.ok(!text.includes(SECRET), 'the password is not in any log line or event');
    },
  );

  test(
    'halo-check mysql read-only off: a primary turned read_only goes down with the reason, ' + 'and back up',
    async () => {
      await waitHealth('server:primary/p1', UP, 0, 5_000);
      const turned = lines.length;
      await db.sql('SET GLOBAL read_only = 1');
      let restored: number;
      try {
        await waitHealth('server:primary/p1', DOWN, turned, 5_000);
        const e = (await journal(dir)).find((x) => x.actor === 'server:primary/p1' && health(x.to) === 'down');
        const last = e?.context.lastCheck as { reason: string; detail: string };
        assert.equal(last.reason, 'read_only', JSON.stringify(last));
        assert.equal(last.detail, 'read_only is ON, required OFF');
        assert.ok(
          !lines.some((l) => l.msg === 'transition' && l.actor === 'server:db/m1' && health(l.to) === 'down'),
          'a backend without the rule stays up',
        );
      } finally {
        restored = lines.length;
        await db.sql('SET GLOBAL read_only = 0');
      }
      await waitSettled('server:primary/p1', UP, restored, 5_000);
    },
  );

  test(
    'up while MariaDB answers; down with the reason in the journal when it stops; ' + 'up again when it returns',
    async () => {
      // Servers start UP (haproxy), one failure from DOWN; a passed check against the live server
      // takes m1 to the top of the band, and it never left UP.
      await waitHealth('server:db/m1', UP_CHECKED, 0, 10_000);
      assert.ok(
        !lines.some((l) => l.msg === 'transition' && l.actor === 'server:db/m1' && health(l.to) === 'down'),
        'm1 stayed up while MariaDB answered',
      );
      const hello = await greeting(lbPort);
      assert.equal(hello[4], 10, 'the client sees MariaDB protocol v10 through the proxy');

      const stopped = lines.length;
      await db.stop();
      await waitHealth('server:db/m1', DOWN, stopped, 5_000);
      const down = (await journal(dir)).find((e) => e.actor === 'server:db/m1' && health(e.to) === 'down');
      assert.ok(down, 'the down transition is journaled');
      const last = down.context.lastCheck as { ok: boolean; reason: string; detail: string };
      assert.equal(last.ok, false);
      assert.equal(last.reason, 'refused', JSON.stringify(last));
      assert.match(last.detail, /ECONNREFUSED|refused/i);

      // Marked before the start: with rise 1 the first check after MariaDB listens brings m1 up,
      // which can happen before start() has read "ready for connections" in the error log.
      const restarted = lines.length;
      await db.start();
      await waitSettled('server:db/m1', UP, restarted, 10_000);
    },
  );
});
