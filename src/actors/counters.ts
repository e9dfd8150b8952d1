/**
 * Named monotonic counters, kept where the stats page and Prometheus metrics will read them.
 * Keys are `name{label=value,...}` so one registry serves every actor without a schema.
 */
import type { MetricName } from '../io/metricName.js';

export type Labels = Record<string, string | number>;

export class Counters {
  private readonly values = new Map<string, number>();

  inc(name: MetricName, labels: Labels = {}, by = 1): void {
    const key = counterKey(name, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(name: MetricName, labels: Labels = {}): number {
    return this.values.get(counterKey(name, labels)) ?? 0;
  }

  /** Every counter whose name matches, for reports and metrics. */
  snapshot(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) if (k.startsWith(prefix)) out[k] = v;
    return out;
  }
}

export function counterKey(name: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}
