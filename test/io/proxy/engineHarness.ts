/**
 * Runs the proxy engine in-process on haproxy.cfg text for the proxy tests, recording what it
 * reports, and stops every engine and echo backend when the test file ends.
 */
import { after } from 'node:test';
import { parseHaproxyText } from '../../../src/config/haproxy/parse.js';
import type { DataPath, DataPathEvents, VipView } from '../../../src/io/proxy/dataPath.types.js';
import { createProxyEngine } from '../../../src/io/proxy/engine.js';
import { type Backend, startBackend } from './tcpFixtures.js';

export interface Recorded {
  passive: Array<{ server: string; ok: boolean; reason: string }>;
  /** Counter totals by name, every label summed. */
  counters: Map<string, number>;
  logs: Array<{ level: string; obj: Record<string, unknown>; msg: string }>;
}

export function recorder(): { events: DataPathEvents; rec: Recorded } {
  const rec: Recorded = { passive: [], counters: new Map(), logs: [] };
  return {
    rec,
    events: {
      passive: (_b, server, ok, reason) => rec.passive.push({ server, ok, reason }),
      count: (name, _labels, by) => rec.counters.set(name, (rec.counters.get(name) ?? 0) + by),
      log: (level, obj, msg) => rec.logs.push({ level, obj, msg }),
      listening: () => undefined,
    },
  };
}

const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

/** An engine for `text`, listening once this resolves. */
export async function runEngine(
  text: string,
  vips: VipView = { managed: [], present: [] },
): Promise<{ dp: DataPath; rec: Recorded }> {
  const { config } = parseHaproxyText(text, 'test.cfg');
  const { events, rec } = recorder();
  const dp = createProxyEngine(config, vips, events);
  stops.push(() => dp.stop());
  await dp.ready;
  return { dp, rec };
}

/** Echo backends named after `names` (tcpFixtures.startBackend). */
export async function backends(...names: string[]): Promise<Backend[]> {
  const list = await Promise.all(names.map((n) => startBackend(n)));
  stops.push(async () => {
    for (const b of list) await b.kill().catch(() => undefined);
  });
  return list;
}
