/**
 * halo's own metrics are all `halo_*` (Prometheus' one-prefix-per-exporter convention); the
 * haproxy- and keepalived-compatible exporter names are mapped from these where they are served.
 * The counters live in src/actors; the data path in io counts through the same names.
 */
export type MetricName = `halo_${string}`;
