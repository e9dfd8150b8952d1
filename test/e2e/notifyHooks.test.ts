import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { NodeProcess } from '../../src/cli/nodeProcess.js';
import { masterDownIntervalMs } from '../../src/machines/vrrp/timers.js';
import { createHaloLab, type HaloLab, instanceBlock } from '../helpers/haloLab.js';
import { waitFor } from '../helpers/netns.js';
import { advertTimes, tcpdump } from '../helpers/tcpdump.js';
import { recordLog } from './fixtures/daemonLog.js';

const VI = 'vrrp:VI_1';

describe('notify hooks of a VRRP instance (VRRPv3, advert 0.1 s)', () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hnh', 3);
  });
  afterEach(() => hl.stopStarted());
  after(async () => {
    await hl.destroy();
  });

  const run = (i: number, conf: string): NodeProcess => hl.run(i, conf);
  const script = (name: string, body: string): string => {
    const path = hl.write(name, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  /** A notify script that appends its arguments to `out` and says so on stdout. */
  const recorder = (out: string): string => script(`rec-${out}.sh`, `echo "$*" >> ${join(hl.dir, out)}\necho "ran $*"`);
  const linesOf = (out: string): string[] => {
    const path = join(hl.dir, out);
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };

  test(
    'notify_backup/master/fault/stop and the generic notify run ' + 'in state order with keepalived arguments',
    async () => {
      const notifyConf = (out: string): string => {
        const rec = recorder(out);
        return (
          ['master', 'backup', 'fault', 'stop'].map((s) => `  notify_${s} "${rec} ${s}"`).join('\n') +
          `\n  notify ${rec}`
        );
      };
      const n1 = run(0, instanceBlock({ priority: 150, extra: notifyConf('n1.log') }));
      const log1 = recordLog(n1);
      await n1.waitState(VI, 'master', 3_000);
      const n2 = run(1, instanceBlock({ priority: 100, extra: notifyConf('n2.log') }));
      await n2.waitState(VI, 'backup', 3_000);

      const fault = n1.waitState(VI, 'fault', 3_000, { fresh: true });
      const takeover = n2.waitState(VI, 'master', 3_000, { fresh: true });
      await hl.lab.setCable(hl.hosts[0]!, false);
      await fault;
      await takeover;
      const back = n1.waitState(VI, 'master', 3_000, { fresh: true });
      const released = n2.waitState(VI, 'backup', 3_000, { fresh: true });
      await hl.lab.setCable(hl.hosts[0]!, true);
      await back;
      await released;
      // n1's graceful stop sends priority 0, and n2 takes over after Skew_Time (RFC 5798 6.4.2):
      // wait for that takeover before stopping n2, so n2's last states do not depend on which of
      // its Skew_Time and its own SIGTERM comes first. A graceful stop waits for notify_stop: once
      // the daemon has exited, its file is complete.
      const handover = n2.waitState(VI, 'master', 3_000, { fresh: true });
      await n1.kill('SIGTERM');
      await handover;
      await n2.kill('SIGTERM');

      const expect = (states: string[], priority: number): string[] =>
        states.flatMap((s) => [s.toLowerCase(), `INSTANCE VI_1 ${s} ${priority}`]);
      assert.deepEqual(linesOf('n1.log'), expect(['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER', 'STOP'], 150));
      assert.deepEqual(linesOf('n2.log'), expect(['BACKUP', 'MASTER', 'BACKUP', 'MASTER', 'STOP'], 100));

      // The scripts' output is in the daemon's log, one record per script run.
      const runs = log1.filter((r) => r.msg === 'notify script finished');
      assert.equal(runs.length, 12);
      const generic = runs.find((r) => r.stdout === 'ran INSTANCE VI_1 FAULT 150\n');
      assert.ok(generic, `no log record with the generic FAULT script's output in ${JSON.stringify(runs)}`);
      assert.equal(generic.exitCode, 0);
      assert.equal(generic.state, 'FAULT');
    },
  );

  test(
    'a slow notify_master (sleep 2) neither delays adverts ' + 'nor the order of the notify that follows it',
    async () => {
      const out = 'slow.log';
      const rec = recorder(out);
      const slow = script('slow.sh', `sleep 2\necho "slow master done" >> ${join(hl.dir, out)}`);
      const [h1, , h3] = [hl.hosts[0]!, hl.hosts[1]!, hl.hosts[2]!];

      // A third host timestamps n1's adverts in the kernel (tcpdump -tt): wall-clock seconds, like pino's time.
      const dump = tcpdump(h3, ['-i', 'eth0', '-tt', '--immediate-mode', `ip proto 112 and src host ${h1.ip}`]);
      await dump.ready;

      // The peer runs first, so a stalled master would be replaced within Master_Down_Interval.
      const n2 = run(1, instanceBlock({ priority: 100 }));
      await n2.waitState(VI, 'master', 3_000);
      const n1 = run(0, instanceBlock({ priority: 150, extra: `  notify_master ${slow}\n  notify ${rec}` }));
      const log1 = recordLog(n1);
      const became = await n1.waitState(VI, 'master', 3_000);
      // Not `fresh`: the peer may already have yielded to n1's first advert.
      await n2.waitState(VI, 'backup', 3_000);
      await waitFor(
        () => `the generic notify's MASTER line after the slow notify_master (${out}: ${JSON.stringify(linesOf(out))})`,
        () => linesOf(out).includes('INSTANCE VI_1 MASTER 150'),
        4_000,
      );

      assert.deepEqual(linesOf(out), ['INSTANCE VI_1 BACKUP 150', 'slow master done', 'INSTANCE VI_1 MASTER 150']);
      const slowRun = log1.find((r) => r.msg === 'notify script finished' && r.command === slow);
      assert.ok(
        slowRun && (slowRun.durationMs as number) >= 1_900,
        `the slow script ran its 2 s: ${JSON.stringify(slowRun)}`,
      );
      const peerStates = n2.transitions.filter((t) => t.actor === VI).map((t) => t.to);
      assert.deepEqual(
        peerStates.slice(peerStates.indexOf('master') + 1),
        ['backup'],
        'the peer went to backup once and never took over while notify_master slept',
      );

      // Adverts through the 2 s the script slept: a master blocked by its script would fall silent
      // for the 2 s; one that is not never leaves a silence as long as the peer's
      // Master_Down_Interval (the window's edges count, so a silence at either end shows too).
      const mdiMs = masterDownIntervalMs(100, 10, 3);
      const adverts = advertTimes(dump.lines());
      const during = adverts.filter((a) => a.t >= became.time && a.t <= became.time + 2_000);
      const edges = [became.time, ...during.map((a) => a.t), became.time + 2_000];
      const gaps = edges.slice(1).map((t, i) => t - edges[i]!);
      assert.ok(
        Math.max(...gaps) < mdiMs,
        `largest silence ${Math.max(...gaps).toFixed(1)} ms (${during.length} adverts) in the 2 s after becoming ` +
          `master; Master_Down_Interval ${mdiMs} ms`,
      );
      assert.ok(during.every((a) => a.prio === 150));
      dump.stop();
    },
  );
});
