/**
 * VRRP after a partition heals (issue 10), two halo nodes with default settings: whichever
 * node's advert crosses first, n1 ends alone with the VIP within 2 advert intervals, the client
 * is back on it within 3 s, and n2 sends no GARP once it has given the VIP up. See
 * fixtures/healScenario.ts for the topology and how the heal is timed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENT_BOUND_MS, createHealLab, type HealLab, type Order } from './fixtures/healScenario.js';

describe('VRRP after a partition heals: halo, default settings (VRRPv2, advert 1 s)', () => {
  let lab: HealLab;
  before(async () => {
    lab = await createHealLab('hph', ['halo', 'halo']);
  });
  after(() => lab.destroy());

  // n2 first: n1 answers n2's advert, then the one n2 sends as it yields (2 split brains it
  // journals); n1 first: n2 yields with an advert of its own, which n1 answers (1).
  for (const [first, answers] of [
    ['n2', 2],
    ['n1', 1],
  ] as Array<[Order, number]>) {
    test(`${first}'s advert crosses first: n1 alone holds the VIP, the client back on it within 3 s`, async (t) => {
      const r = await lab.healOnce(first);
      t.diagnostic(JSON.stringify(r));
      assert.equal(r.n1Answers, answers, 'the heal was timed to the chosen advert, and n1 journaled each split brain');
      assert.equal(r.holdersAfter2Intervals, '0', 'n1 alone holds the VIP 2 advert intervals after the heal');
      assert.ok(r.clientOnN1Ms !== null && r.clientOnN1Ms <= CLIENT_BOUND_MS, 'the client is back on n1 within 3 s');
      assert.ok(r.pingOk, 'the client pings the VIP');
      assert.equal(r.n2GarpsAfterYield, 0, 'no GARP from n2 once it gave the VIP up');
      assert.equal(r.clientAtEnd, 'n1', 'the client stays on n1');
    });
  }
});
