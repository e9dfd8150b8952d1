/**
 * halo and Debian's keepalived as VRRP peers on one lab segment, VRRPv3 (advert 0.1 s) and
 * VRRPv2 (advert 1 s, one case with PASS authentication), both directions: the higher priority
 * takes the master role from the other, and when the master goes (kill -9 or a graceful stop)
 * the other takes over within the RFC's Master_Down_Interval or Skew_Time.
 *
 * halo's takeovers are timed by its own transition log line; keepalived's by the moment its
 * VIP appears (`ip -ts monitor address` in its namespace). Both clocks start just before the
 * signal goes out, so a measured takeover can only be late, never early, by our overhead;
 * after a kill it can be early by up to one advert interval (the backup's timer started at the
 * last advert it heard, RFC 5798 6.4.2).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { masterDownIntervalCs, skewTimeCs } from '../../src/machines/vrrp/timers.js';
import { createHaloLab, type HaloLab, holders, instanceBlock, type InstanceOpts } from '../helpers/haloLab.js';
import { KeepalivedPeer, watchAddress } from '../helpers/keepalivedPeer.js';
import { waitFor } from '../helpers/netns.js';

const VIP = '192.0.2.100';
const INSTANCE = 'VI_1';
const HALO_ACTOR = `vrrp:${INSTANCE}`;
/** What a takeover may overrun the formula by: process start-up of a signal, log and netlink latency. */
const SLACK_MS = 250;
const AUTH = `  authentication {
    auth_type PASS
    auth_pass h4lo-ka2
  }`;

type Note = (message: string) => void;

interface Protocol {
  version: 2 | 3;
  advertCs: number;
  extra?: string;
}

function formula(p: Protocol, backupPriority: number): { mdi: number; skew: number } {
  return {
    mdi: masterDownIntervalCs(backupPriority, p.advertCs, p.version) * 10,
    skew: skewTimeCs(backupPriority, p.advertCs, p.version) * 10,
  };
}

function block(p: Protocol, priority: number): string {
  const o: InstanceOpts = {
    priority,
    version: p.version,
    advert: String(p.advertCs / 100),
    ...(p.extra ? { extra: p.extra } : {}),
  };
  return instanceBlock(o);
}

/** kill -9 of the master: the backup waits out Master_Down_Interval, counted from the last advert. */
function assertAfterKill(took: number, p: Protocol, mdi: number, who: string, note: Note): void {
  note(`${who} took over ${took} ms after kill -9 (Master_Down_Interval ${mdi} ms)`);
  assert.ok(took <= mdi + SLACK_MS, `${who} took over ${took} ms after the kill; Master_Down_Interval is ${mdi} ms`);
  assert.ok(
    took >= mdi - p.advertCs * 10 - 20,
    `${who} took over ${took} ms after the kill, before Master_Down_Interval ${mdi} ms allows`,
  );
}

function assertAfterStop(took: number, skew: number, who: string, note: Note): void {
  note(`${who} took over ${took} ms after a graceful stop (Skew_Time ${skew} ms)`);
  assert.ok(took <= skew + SLACK_MS, `${who} took over ${took} ms after the graceful stop; Skew_Time is ${skew} ms`);
}

async function onlyOn(hl: HaloLab, index: number): Promise<void> {
  await waitFor(
    async () => `${VIP} on lab host ${index} only (held by [${await holders(hl.hosts, VIP)}])`,
    async () => (await holders(hl.hosts, VIP)).join() === String(index),
    2_000,
  );
}

function noDrops(ka: KeepalivedPeer): void {
  assert.deepEqual(ka.dropReasons(), [], 'keepalived rejected or distrusted a packet');
}

/**
 * halo (150) on host 0 takes the master role from a running keepalived (100) on host 1; then
 * keepalived takes over from halo after a kill -9 and, once halo is back, after a graceful stop.
 */
async function haloTakesFromKeepalived(
  hl: HaloLab,
  p: Protocol,
  tag: string,
  opts: { graceful: boolean },
  note: Note,
): Promise<void> {
  const { mdi, skew } = formula(p, 100);
  const timeout = mdi * 2 + 3_000;
  const ka = new KeepalivedPeer('keepalived', hl.hosts[1]!, join(hl.dir, `ka-${tag}`), block(p, 100));
  const halo = hl.halo(0, block(p, 150));
  const watch = watchAddress(hl.hosts[1]!, VIP);
  try {
    ka.start();
    await ka.waitState(INSTANCE, 'MASTER', timeout);
    await onlyOn(hl, 1);

    const kaYields = ka.waitState(INSTANCE, 'BACKUP', timeout, { fresh: true });
    halo.start();
    await halo.waitState(HALO_ACTOR, 'master', timeout);
    await kaYields;
    await onlyOn(hl, 0);

    await watch.ready;
    const killedAt = Date.now();
    await halo.kill('SIGKILL');
    const addedAt = await watch.addedSince(killedAt, timeout);
    await ka.waitState(INSTANCE, 'MASTER', 1_000);
    assertAfterKill(addedAt - killedAt, p, mdi, 'keepalived', note);

    if (opts.graceful) {
      // halo comes back (removing the VIP its killed run left), preempts, then stops gracefully.
      const kaYieldsAgain = ka.waitState(INSTANCE, 'BACKUP', timeout, { fresh: true });
      halo.start();
      await halo.waitState(HALO_ACTOR, 'master', timeout, { fresh: true });
      await kaYieldsAgain;
      await onlyOn(hl, 0);
      const stoppedAt = Date.now();
      await halo.kill('SIGTERM');
      const handedAt = await watch.addedSince(stoppedAt, timeout);
      assertAfterStop(handedAt - stoppedAt, skew, 'keepalived', note);
      await onlyOn(hl, 1);
    }
    noDrops(ka);
  } finally {
    watch.close();
    await halo.kill('SIGKILL');
    await ka.stop();
    await hl.hosts[0]!.exec('ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']).catch(() => undefined);
  }
}

/**
 * keepalived (150) on host 1 takes the master role from a running halo (100) on host 0; then halo
 * takes over after a keepalived crash and, once keepalived is back, after a graceful stop.
 */
async function keepalivedTakesFromHalo(
  hl: HaloLab,
  p: Protocol,
  tag: string,
  opts: { crash: boolean },
  note: Note,
): Promise<void> {
  const { mdi, skew } = formula(p, 100);
  const timeout = mdi * 2 + 3_000;
  const ka = new KeepalivedPeer('keepalived', hl.hosts[1]!, join(hl.dir, `ka-${tag}`), block(p, 150));
  const halo = hl.halo(0, block(p, 100));
  try {
    halo.start();
    await halo.waitState(HALO_ACTOR, 'master', timeout);
    await onlyOn(hl, 0);

    const haloYields = halo.waitState(HALO_ACTOR, 'backup', timeout, { fresh: true });
    ka.start();
    await ka.waitState(INSTANCE, 'MASTER', timeout);
    await haloYields;
    await onlyOn(hl, 1);

    if (opts.crash) {
      const takeover = halo.waitState(HALO_ACTOR, 'master', timeout, { fresh: true });
      const crashedAt = Date.now();
      await ka.crash();
      assertAfterKill((await takeover).time - crashedAt, p, mdi, 'halo', note);
      // keepalived removes the VIP its crashed run left when it starts again.
      const haloYieldsAgain = halo.waitState(HALO_ACTOR, 'backup', timeout, { fresh: true });
      ka.start();
      await ka.waitState(INSTANCE, 'MASTER', timeout, { fresh: true });
      await haloYieldsAgain;
      await onlyOn(hl, 1);
    }

    const handover = halo.waitState(HALO_ACTOR, 'master', timeout, { fresh: true });
    const stoppedAt = Date.now();
    const stopped = ka.stop();
    assertAfterStop((await handover).time - stoppedAt, skew, 'halo', note);
    await stopped;
    await onlyOn(hl, 0);
    noDrops(ka);
  } finally {
    await ka.crash();
    await halo.kill('SIGTERM');
    await hl.hosts[1]!.exec('ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']).catch(() => undefined);
  }
}

describe('halo ↔ keepalived interop in network namespaces', { timeout: 90_000 }, () => {
  let hl: HaloLab;
  before(async () => {
    hl = await createHaloLab('hki', 2);
  });
  after(async () => {
    await hl.destroy();
  });

  const v3: Protocol = { version: 3, advertCs: 10 };
  test('VRRPv3: halo (150) takes master from keepalived (100), which takes over after kill -9 and graceful stop', (t) =>
    haloTakesFromKeepalived(hl, v3, 'v3a', { graceful: true }, (m) => t.diagnostic(m)));
  test('VRRPv3: halo (100) yields to keepalived (150) and takes over after its crash and graceful stop', (t) =>
    keepalivedTakesFromHalo(hl, v3, 'v3b', { crash: true }, (m) => t.diagnostic(m)));

  const v2auth: Protocol = { version: 2, advertCs: 100, extra: AUTH };
  test('VRRPv2 with PASS auth: halo (150) takes master from keepalived (100), which takes over after kill -9', (t) =>
    haloTakesFromKeepalived(hl, v2auth, 'v2a', { graceful: false }, (m) => t.diagnostic(m)));
  test('VRRPv2: halo (100) yields to keepalived (150) and takes over after its graceful stop', (t) =>
    keepalivedTakesFromHalo(hl, { version: 2, advertCs: 100 }, 'v2b', { crash: false }, (m) => t.diagnostic(m)));
});
