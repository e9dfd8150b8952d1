/**
 * A partition that heals (issue 10): n1 (priority 150) and n2 (100) on a bridge with a client,
 * VRRPv2, advert 1 s. n1's bridge port is blocked (its link stays up, so it stays master), n2
 * takes over and pulls the client with its GARPs; then the port is healed, timed so that one
 * chosen node's advert crosses first. Whichever it is, n1 must end alone with the VIP and the
 * client back on it at once, and n2 must send no GARP once it has dropped the VIP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NodeProcess, Transition } from '../../src/cli/nodeProcess.js';
import { createHaloLab, type HaloLab, holders, instanceBlock } from '../helpers/haloLab.js';
import { type LabNode, nsExec, waitFor } from '../helpers/netns.js';
import { type Capture, tcpdump } from '../helpers/tcpdump.js';

const VI = 'vrrp:VI_1';
const VIP = '192.0.2.100';
const ADVERT_MS = 1000;
/** Heal this long before the chosen node's next advert, so it crosses first by a wide margin. */
const LEAD_MS = 150;
/** The other node's next advert comes at least this long after the chosen one's. */
const MARGIN_MS = 200;

/**
 * A new master's GARPs run this long: a burst of 5 (1 s apart) at once and another after
 * garp_master_delay (5 s). n1's must be over before the partition, or they, not the heal, could
 * move the client back.
 */
const TAKEOVER_GARPS_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function macOf(host: LabNode): Promise<string> {
  const out = await host.exec('ip', ['-j', 'link', 'show', 'dev', host.dev]);
  const [link] = JSON.parse(out) as Array<{ address: string }>;
  return link!.address;
}

/** The client's neighbour entry for the VIP: its MAC, or '' when it has none. */
async function neighbourMac(client: LabNode): Promise<string> {
  const entries = JSON.parse(await client.exec('ip', ['-j', 'neigh', 'show', VIP, 'dev', client.dev])) as Array<{
    lladdr?: string;
  }>;
  return entries[0]?.lladdr ?? '';
}

async function pingOk(client: LabNode): Promise<boolean> {
  return client
    .exec('ping', ['-n', '-c', '1', '-W', '1', VIP])
    .then(() => true)
    .catch(() => false);
}

/** When the client saw a GARP for the VIP from `mac` (tcpdump -tt -e lines: epoch seconds, source MAC). */
function garpsFrom(capture: Capture, mac: string): number[] {
  const vip = VIP.replaceAll('.', '\\.');
  const garp = new RegExp(`who-has ${vip} .*tell ${vip}`);
  return capture
    .lines()
    .filter((l) => garp.test(l) && l.split(' ')[1] === mac)
    .map((l) => Number(l.split(' ')[0]) * 1000);
}

/** The next time after `after` at which a master that became master at `since` sends an advert. */
function nextAdvert(since: number, after: number): number {
  return since + Math.ceil((after - since) / ADVERT_MS) * ADVERT_MS;
}

/**
 * When to heal so that `first`'s advert crosses first: LEAD_MS before its next one, with the
 * other's next one at least MARGIN_MS after it. n2 takes over Master_Down_Interval (3.609 s)
 * after the last advert of n1 it heard, so their phases are ~0.6 s apart.
 */
function healTime(firstSince: number, otherSince: number, from: number): number {
  const firstAt = nextAdvert(firstSince, from + LEAD_MS);
  const otherAt = nextAdvert(otherSince, firstAt - LEAD_MS);
  if (otherAt - firstAt < MARGIN_MS) throw new Error(`advert phases too close: ${firstAt} and ${otherAt}`);
  return firstAt - LEAD_MS;
}

describe('VRRP after a partition heals (VRRPv2, advert 1 s, default settings)', () => {
  let hl: HaloLab;
  let n1: NodeProcess;
  let n2: NodeProcess;
  let client: LabNode;
  let macs: string[];
  let capture: Capture;

  const setPort = async (blocked: boolean): Promise<void> => {
    // The port state, not the link: n1's carrier stays up, so it stays master (no FAULT).
    await nsExec(hl.lab.switchNs, 'bridge', ['link', 'set', 'dev', 'p1', 'state', blocked ? '0' : '3']);
  };
  const vipHolders = async (): Promise<string> => (await holders(hl.hosts.slice(0, 2), VIP)).join();

  before(async () => {
    hl = await createHaloLab('hph', 3);
    client = hl.hosts[2]!;
    macs = await Promise.all(hl.hosts.map(macOf));
    const conf = (priority: number): string => instanceBlock({ priority, version: 2, advert: '1' });
    n1 = hl.run(0, conf(150));
    const n1Master = await n1.waitState(VI, 'master', 6_000);
    n2 = hl.run(1, conf(100));
    await n2.waitState(VI, 'backup', 3_000);
    // n2 hears n1's adverts before any partition, so its takeover is timed from one of them.
    await sleep(Math.max(1_500, n1Master.time + TAKEOVER_GARPS_MS - Date.now()));
    assert.ok(await pingOk(client), 'the client reaches the VIP before any partition');
    capture = tcpdump(client, ['-tt', '-e', '-i', client.dev, 'arp']);
    await capture.ready;
  });
  after(async () => {
    capture?.stop();
    await hl.stopStarted();
    await hl.destroy();
  });

  for (const first of ['n2', 'n1'] as const) {
    test(`${first}'s advert crosses first: one holder within 2 intervals, the client on n1 within 3 s`, async (t) => {
      // When n1 became master (not a split brain it answered as master): its adverts' phase.
      const n1Master = n1.transitions.findLast((x) => x.actor === VI && x.to === 'master' && x.from !== 'master')!;
      const takeover = n2.waitState(VI, 'master', 6_000, { fresh: true });
      await setPort(true);
      const n2Master = await takeover;
      const clientOn = (i: number) => async (): Promise<boolean> => (await neighbourMac(client)) === macs[i];
      const clientEntry = (i: number, when: string) => async (): Promise<string> =>
        `the client's entry for the VIP to be ${macs[i]} ${when} (it is ${await neighbourMac(client)})`;
      await waitFor(clientEntry(1, 'after the takeover'), clientOn(1), 3_000);
      await sleep(1_500);

      // Adverts go out every second from when each became master.
      const [chosen, other] = first === 'n1' ? [n1Master, n2Master] : [n2Master, n1Master];
      const healAt = healTime(chosen.time, other.time, Date.now() + 200);
      await sleep(healAt - Date.now());
      const n2Yields = n2.waitState(VI, 'backup', 2 * ADVERT_MS, { fresh: true });
      const healedAt = Date.now();
      await setPort(false);
      const yielded: Transition = await n2Yields;

      const sinceHeal = (): number => Date.now() - healedAt;
      const n1Alone = async (): Promise<boolean> => (await vipHolders()) === '0';
      const holdersNow = async (): Promise<string> => `n1 alone to hold the VIP (held by [${await vipHolders()}])`;
      await waitFor(holdersNow, n1Alone, 2 * ADVERT_MS - sinceHeal());
      await waitFor(clientEntry(0, 'within 3 s of the heal'), clientOn(0), 3_000 - sinceHeal());
      const onN1 = Date.now() - healedAt;
      assert.ok(await pingOk(client), 'the client pings the VIP after the heal');

      // Which advert crossed first, from what n1 journaled: n2 first, n1 answers n2's regular
      // advert and then the one n2 sends as it yields (2 split brains); n1 first, only the latter.

      const answers = n1.transitions.filter(
        (x) => x.actor === VI && x.from === 'master' && x.to === 'master' && x.time >= healedAt,
      );
      assert.ok(answers.length > 0, 'n1 journaled the split brain it answered');
      const crossedFirst = answers.length === 2 ? 'n2' : 'n1';
      assert.equal(crossedFirst, first, `the heal was timed to the chosen advert (${answers.length} answers)`);
      t.diagnostic(`client on n1 ${onN1} ms after the heal; n2 yielded after ${yielded.time - healedAt} ms`);

      // n2 has dropped the VIP: no GARP from it from then on (its takeover bursts were cut short).
      await sleep(1_500);
      const late = garpsFrom(capture, macs[1]!).filter((at) => at > yielded.time + 50);
      assert.deepEqual(late, [], `GARPs from n2 after it yielded at ${yielded.time}`);
      assert.equal(await vipHolders(), '0');
      assert.equal(await neighbourMac(client), macs[0], "the client's entry still points at n1");
    });
  }
});
