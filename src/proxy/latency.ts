/**
 * Latency buckets: the Prometheus bounds both histograms are cut from, and the log-linear
 * percentile windows (HdrHistogram's layout) a leaf records into and groups add up.
 */

/**
 * Prometheus bucket bounds, in milliseconds: switchyard's own seconds histogram and Kong's
 * `kong_request_latency_ms` (Kong's UPSTREAM_LATENCY_BUCKETS, kong/plugins/prometheus/exporter.lua).
 * The leaves count into the union of both, so each histogram's buckets are exact sums of it.
 */
export const SECONDS_BUCKETS_MS: readonly number[] = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
];
export const KONG_REQUEST_LATENCY_BUCKETS_MS: readonly number[] = [
  25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10_000, 30_000, 60_000,
];
/** The union, in ascending order (ms); a value lands in the first bound it does not exceed, or past the last. */
export const BOUNDS_MS: readonly number[] = [
  ...new Set([...SECONDS_BUCKETS_MS, ...KONG_REQUEST_LATENCY_BUCKETS_MS]),
].sort((a, b) => a - b);
export const BOUNDS_US = Float64Array.from([...BOUNDS_MS.map((ms) => ms * 1000), Infinity]);

/**
 * Percentile windows: log-linear buckets over microseconds (HdrHistogram's layout, 128 linear
 * sub-buckets per power of two: under 0.8% error), so a record is one index computation and one
 * increment, and windows of any number of leaves add up bucket by bucket.
 */
export const WINDOW_SIZE = 3328;
export function bucketOf(us: number): number {
  if (us < 256) return us < 1 ? 1 : us | 0;
  const v = us >= 4294967295 ? 4294967295 : us >>> 0;
  const shift = 24 - Math.clz32(v); // the bit length past 8
  return (shift << 7) + (v >>> shift);
}
/** The highest value (µs) a window bucket holds: what HdrHistogram reports for a percentile. */
function valueOf(i: number): number {
  if (i < 256) return i;
  const shift = (i >> 7) - 1;
  const sub = i - (shift << 7);
  return (sub + 1) * 2 ** shift - 1;
}

/** One percentile window: counts per log-linear bucket, and the range of buckets in use. */
export class Window {
  readonly counts = new Int32Array(WINDOW_SIZE);
  n = 0;
  lo = WINDOW_SIZE;
  hi = -1;

  /** Adds (sign 1) or takes away (-1) another window's counts. */
  add(o: Window, sign: number): void {
    for (let i = o.lo; i <= o.hi; i++) {
      const v = o.counts[i] as number;
      if (v !== 0) this.counts[i] = (this.counts[i] as number) + sign * v;
    }
    this.n += sign * o.n;
    if (o.lo < this.lo) this.lo = o.lo;
    if (o.hi > this.hi) this.hi = o.hi;
  }

  reset(): void {
    if (this.hi >= this.lo) this.counts.fill(0, this.lo, this.hi + 1);
    this.n = 0;
    this.lo = WINDOW_SIZE;
    this.hi = -1;
  }
}

/** HdrHistogram's reading: the highest value of the bucket where the count reaches the rank. */
export function percentile(w: Window, p: number): number {
  const rank = Math.max(1, Math.round((p / 100) * w.n));
  let seen = 0;
  for (let i = w.lo; i <= w.hi; i++) {
    seen += w.counts[i] as number;
    if (seen >= rank) return Math.max(1, valueOf(i));
  }
  return Math.max(1, valueOf(Math.max(0, w.hi)));
}
