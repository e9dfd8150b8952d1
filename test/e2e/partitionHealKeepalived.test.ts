/**
 * The partition-heal scenario of partitionHeal.test.ts with Debian's keepalived on one side,
 * default settings everywhere: interop.
 * keepalived's master answers a lower-priority advert with GARPs, but its backup yields
 * silently (higher_prio_send_advert is off by default); so whenever the backup that must yield
 * is keepalived and n1's advert crosses first, n1 never hears of the split brain and the client
 * stays on n2. halo's backup sends an advert before yielding, so a keepalived master re-announces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CLIENT_BOUND_MS,
  createHealLab,
  type HealLab,
  type HealResult,
  type Kind,
  type Order,
} from './fixtures/healScenario.js';

interface Case {
  kinds: [Kind, Kind];
  /** Per order: split brains n1 answers, and whether the client is back on n1 within 3 s. */
  expect: Record<Order, { answers: number; heals: boolean }>;
}

// keepalived on both nodes, the baseline, is in `npm run bench:heal`: a figure, not halo's behaviour.
const CASES: Case[] = [
  // A halo master with a keepalived backup: only as good as the backup that yields.
  { kinds: ['halo', 'keepalived'], expect: { n2: { answers: 1, heals: true }, n1: { answers: 0, heals: false } } },
  // A keepalived master with a halo backup: halo's advert before yielding makes it re-announce.
  { kinds: ['keepalived', 'halo'], expect: { n2: { answers: 2, heals: true }, n1: { answers: 1, heals: true } } },
];

function check(r: HealResult, want: { answers: number; heals: boolean }): void {
  assert.equal(r.n1Answers, want.answers, 'split brains n1 answered (the heal was timed to the chosen advert)');
  assert.equal(r.holdersAfter2Intervals, '0', 'n1 alone holds the VIP 2 advert intervals after the heal');
  if (want.heals) {
    assert.ok(r.clientOnN1Ms !== null && r.clientOnN1Ms <= CLIENT_BOUND_MS, 'the client is back on n1 within 3 s');
    assert.equal(r.clientAtEnd, 'n1', 'the client stays on n1');
  } else {
    assert.equal(r.clientOnN1Ms, null, 'nothing re-announced the VIP: the client is still on n2 after 3 s');
  }
}

for (const c of CASES) {
  describe(`partition heal, n1 ${c.kinds[0]} / n2 ${c.kinds[1]}, default settings (VRRPv2, advert 1 s)`, () => {
    let lab: HealLab;
    before(async () => {
      lab = await createHealLab('hpk', c.kinds);
    });
    after(() => lab.destroy());
    // A client a failed heal left on n2 is on n2 after the next takeover anyway.
    for (const first of ['n2', 'n1'] as const) {
      test(`${first}'s advert crosses first`, async (t) => {
        const r = await lab.healOnce(first);
        t.diagnostic(JSON.stringify(r));
        check(r, c.expect[first]);
      });
    }
  });
}
