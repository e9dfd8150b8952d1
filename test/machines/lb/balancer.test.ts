import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BalanceAlgorithm,
  type BalancedServer,
  type BalancerCursor,
  initialCursor,
  type PickRequest,
  pickServer,
  slowstartWeight,
} from '../../../src/machines/lb/balancer.js';

const srv = (over: Partial<BalancedServer> = {}): BalancedServer => ({
  weight: 1,
  backup: false,
  maxconn: 0,
  slowstartMs: 0,
  up: true,
  admin: 'ready',
  upSinceMs: null,
  active: 0,
  ...over,
});

/** `n` picks; each picked server keeps its connection (`hold`) or releases it at once. */
function run(
  servers: BalancedServer[],
  algorithm: BalanceAlgorithm,
  n: number,
  opts: { allBackups?: boolean; hold?: boolean; req?: (i: number) => PickRequest } = {},
): Array<number | 'queue' | 'none'> {
  let cursor: BalancerCursor = initialCursor(servers.length, 7);
  const out: Array<number | 'queue' | 'none'> = [];
  for (let i = 0; i < n; i++) {
    const r = pickServer(
      servers,
      { algorithm, allBackups: opts.allBackups ?? false },
      cursor,
      opts.req?.(i) ?? { nowMs: 0 },
    );
    cursor = r.cursor;
    if (r.pick.kind === 'server') {
      out.push(r.pick.index);
      if (opts.hold) servers[r.pick.index]!.active++;
    } else out.push(r.pick.kind);
  }
  return out;
}

const counts = (picks: Array<number | string>): Record<string, number> => {
  const c: Record<string, number> = {};
  for (const p of picks) c[String(p)] = (c[String(p)] ?? 0) + 1;
  return c;
};

describe('balancer: roundrobin and static-rr', () => {
  for (const algorithm of ['roundrobin', 'static-rr'] as const) {
    it(`${algorithm}: each server gets exactly its weight in every cycle of sum(weights) picks`, () => {
      const weights = [3, 1, 2];
      const picks = run(
        weights.map((weight) => srv({ weight })),
        algorithm,
        60,
      );
      for (let cycle = 0; cycle < 10; cycle++) {
        assert.deepEqual(counts(picks.slice(cycle * 6, cycle * 6 + 6)), { 0: 3, 1: 1, 2: 2 }, `cycle ${cycle}`);
      }
    });
  }

  it('equal weights alternate strictly', () => {
    assert.deepEqual(run([srv(), srv()], 'roundrobin', 6), [0, 1, 0, 1, 0, 1]);
  });

  it('interleaves a heavy server instead of sending it a burst', () => {
    const picks = run([srv({ weight: 4 }), srv({ weight: 1 })], 'roundrobin', 5);
    assert.deepEqual(counts(picks), { 0: 4, 1: 1 });
    assert.equal(
      picks.indexOf(1) > 0 && picks.indexOf(1) < 4,
      true,
      `the light server comes inside the cycle: ${picks}`,
    );
  });

  it('skips down, maint, drain and weight-0 servers', () => {
    const servers = [
      srv({ up: false }),
      srv(),
      srv({ admin: 'maint' }),
      srv({ admin: 'drain' }),
      srv({ weight: 0 }),
      srv(),
    ];
    assert.deepEqual(counts(run(servers, 'roundrobin', 10)), { 1: 5, 5: 5 });
  });
});

describe('balancer: backups', () => {
  it('backups get nothing while a primary is usable', () => {
    assert.deepEqual(counts(run([srv(), srv({ backup: true })], 'roundrobin', 4)), { 0: 4 });
  });

  it('with every primary down, only the first usable backup takes over', () => {
    const servers = [
      srv({ up: false }),
      srv({ backup: true, up: false }),
      srv({ backup: true }),
      srv({ backup: true }),
    ];
    assert.deepEqual(counts(run(servers, 'roundrobin', 4)), { 2: 4 });
  });

  it('option allbackups spreads over every usable backup by weight', () => {
    const servers = [srv({ up: false }), srv({ backup: true, weight: 2 }), srv({ backup: true })];
    assert.deepEqual(counts(run(servers, 'roundrobin', 6, { allBackups: true })), { 1: 4, 2: 2 });
  });

  it('nothing usable at all is `none`', () => {
    assert.deepEqual(run([srv({ up: false }), srv({ backup: true, admin: 'maint' })], 'roundrobin', 1), ['none']);
  });
});

describe('balancer: redispatch', () => {
  it('excluding the last usable primary reaches the backup', () => {
    const servers = [srv(), srv({ backup: true })];
    assert.deepEqual(run(servers, 'roundrobin', 1, { req: () => ({ nowMs: 0, exclude: new Set([0]) }) }), [1]);
  });
});

describe('balancer: maxconn and the queue', () => {
  it('a full server is passed over, and all full means queue', () => {
    const servers = [srv({ maxconn: 1 }), srv({ maxconn: 2 })];
    assert.deepEqual(run(servers, 'roundrobin', 4, { hold: true }), [0, 1, 1, 'queue']);
  });

  it('exclude keeps a redispatch away from the server that just failed', () => {
    const servers = [srv(), srv(), srv()];
    const picks = run(servers, 'roundrobin', 4, { req: () => ({ nowMs: 0, exclude: new Set([1]) }) });
    assert.equal(picks.includes(1), false);
    assert.deepEqual(run([srv()], 'roundrobin', 1, { req: () => ({ nowMs: 0, exclude: new Set([0]) }) }), ['none']);
  });
});

describe('balancer: leastconn', () => {
  it('sends each new connection to the least loaded server, rotating among equals', () => {
    const servers = [srv(), srv(), srv()];
    assert.deepEqual(run(servers, 'leastconn', 6, { hold: true }), [0, 1, 2, 0, 1, 2]);
  });

  it('weighs load by weight and fills the server freed by a closed connection', () => {
    const servers = [srv({ weight: 2, active: 2 }), srv({ active: 2 }), srv({ active: 0 })];
    assert.deepEqual(run(servers, 'leastconn', 1, { hold: true }), [2]);
    servers[2]!.active = 5;
    // 2/2 = 1 per weight unit beats 2/1.
    assert.deepEqual(run(servers, 'leastconn', 1, { hold: true }), [0]);
  });
});

describe('balancer: source', () => {
  it('a client address always lands on the same server, and addresses spread', () => {
    const servers = [srv(), srv(), srv()];
    const addr = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    const first = run(servers, 'source', 300, { req: (i) => ({ nowMs: 0, sourceKey: addr(i) }) });
    const again = run(servers, 'source', 300, { req: (i) => ({ nowMs: 0, sourceKey: addr(i) }) });
    assert.deepEqual(again, first);
    for (const [s, n] of Object.entries(counts(first))) assert.ok(n > 60, `server ${s} got ${n} of 300`);
  });

  it('a client keeps its server while that server is full (it waits)', () => {
    const servers = [srv({ maxconn: 1, active: 1 }), srv({ maxconn: 1, active: 1 })];
    assert.deepEqual(run(servers, 'source', 1, { req: () => ({ nowMs: 0, sourceKey: '192.0.2.7' }) }), ['queue']);
  });
});

describe('balancer: first', () => {
  it('fills servers in declaration order up to their maxconn', () => {
    const servers = [srv({ maxconn: 2 }), srv({ maxconn: 1 }), srv({ maxconn: 5 })];
    assert.deepEqual(run(servers, 'first', 5, { hold: true }), [0, 0, 1, 2, 2]);
    servers[0]!.active = 1;
    assert.deepEqual(run(servers, 'first', 1, { hold: true }), [0]);
  });
});

describe('balancer: random', () => {
  it('follows weights over many picks (power of two choices, released at once)', () => {
    const c = counts(run([srv({ weight: 3 }), srv({ weight: 1 })], 'random', 4000));
    const share = (c['0'] ?? 0) / 4000;
    // Two draws, the lighter wins, ties go to the first draw: with nothing held, that is the first draw.
    assert.ok(share > 0.7 && share < 0.8, `heavy server share ${share}`);
  });

  it('is deterministic for a given cursor seed', () => {
    const a = run([srv(), srv(), srv()], 'random', 50);
    const b = run([srv(), srv(), srv()], 'random', 50);
    assert.deepEqual(a, b);
  });
});

describe('balancer: slowstart', () => {
  it('ramps the weight from 1 to full over slowstart, rounded up', () => {
    assert.equal(slowstartWeight(100, 10_000, 0), 1);
    assert.equal(slowstartWeight(100, 10_000, 2_500), 25);
    assert.equal(slowstartWeight(100, 10_000, 2_501), 26);
    assert.equal(slowstartWeight(100, 10_000, 10_000), 100);
    assert.equal(slowstartWeight(100, 0, 0), 100, 'no slowstart');
    assert.equal(slowstartWeight(100, 10_000, null), 100, 'up since start: no ramp');
    assert.equal(slowstartWeight(0, 10_000, 5_000), 0);
  });

  it('a server back UP gets a growing share under roundrobin, but not under static-rr', () => {
    const mk = () => [srv({ weight: 10 }), srv({ weight: 10, slowstartMs: 1_000, upSinceMs: 0 })];
    const early = counts(run(mk(), 'roundrobin', 11, { req: () => ({ nowMs: 100 }) }));
    assert.deepEqual(early, { 0: 10, 1: 1 });
    const later = counts(run(mk(), 'roundrobin', 20, { req: () => ({ nowMs: 1_000 }) }));
    assert.deepEqual(later, { 0: 10, 1: 10 });
    assert.deepEqual(counts(run(mk(), 'static-rr', 20, { req: () => ({ nowMs: 100 }) })), { 0: 10, 1: 10 });
  });
});
