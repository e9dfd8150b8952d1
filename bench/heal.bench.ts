/**
 * `npm run bench:heal`: the partition-heal scenario of test/e2e/partitionHeal*.test.ts, halo
 * beside Debian's keepalived as the baseline, default heal settings (VRRPv2, advert_int 1 s):
 * n1 (150) and n2 (100) on a bridge with a client; n1's bridge port is blocked (its link stays
 * up, so it stays master), n2 takes over, the port heals timed so that the chosen node's advert
 * crosses first. Prints, per pair and order, in how many trials the client was back on n1
 * within 3 s, the median time to that, and the GARPs n2 sent after it yielded. The tests assert
 * halo's behaviour and the mixed pairs; this prints the keepalived pair beside halo's.
 */
import { createHealLab, type HealResult, type Kind, type Order } from '../test/e2e/fixtures/healScenario.js';

const TRIALS = Number(process.env.TRIALS ?? 3);
const PAIRS: Array<[Kind, Kind]> = [
  ['halo', 'halo'],
  ['keepalived', 'keepalived'],
];
const ORDERS: Order[] = ['n2', 'n1'];

const median = (xs: number[]): number | null =>
  xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const results = new Map<string, HealResult[]>();
  for (const pair of PAIRS) {
    const lab = await createHealLab('hbh', pair);
    try {
      for (let trial = 1; trial <= TRIALS; trial++) {
        for (const order of ORDERS) {
          const r = await lab.healOnce(order);
          const key = `${pair.join(' / ')}|${order}`;
          results.set(key, [...(results.get(key) ?? []), r]);
          console.log(`${pair.join('/')} ${order} first, trial ${trial}: ${JSON.stringify(r)}`);
        }
      }
    } finally {
      await lab.destroy();
    }
  }
  console.log(`\npartition heal, VRRPv2 advert_int 1 s, default heal settings, ${TRIALS} trials each`);
  console.log(
    `${'n1 / n2'.padEnd(24)} ${'advert first'.padEnd(13)} ${'healed ≤ 3 s'.padStart(12)} ` +
      `${'client on n1 (median ms)'.padStart(25)} ${'n2 GARPs after yield'.padStart(21)}`,
  );
  for (const [key, rs] of results) {
    const [pair, order] = key.split('|') as [string, Order];
    const healed = rs.filter((r) => r.clientOnN1Ms !== null);
    const ms = median(healed.map((r) => r.clientOnN1Ms!));
    const garps = rs.reduce((n, r) => n + r.n2GarpsAfterYield, 0);
    console.log(
      `${pair.padEnd(24)} ${order.padEnd(13)} ${`${healed.length}/${rs.length}`.padStart(12)} ` +
        `${(ms === null ? '-' : ms.toFixed(0)).padStart(25)} ${String(garps).padStart(21)}`,
    );
  }
}

await main();
