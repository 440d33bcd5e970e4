/**
 * Live counters for routes, services, upstreams and targets. The request path only increments
 * fields of a Counter it already holds (attached to the routing table at compile time) and
 * records one latency value; rates come from a timer that samples the totals, and snapshots are
 * built on demand, so no per-request work depends on who is watching.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type Kind = 'route' | 'service' | 'upstream' | 'target';

/** How often totals are sampled for rates and sparklines. */
export const SAMPLE_MS = 250;
/** Samples kept: one minute. */
const RING = 240;
/** Latency percentiles cover the last 10–20 s: two histograms, rotated every 10 s. */
const ROTATE_MS = 10_000;
/** Rates are averaged over this window. */
const RATE_WINDOW_SAMPLES = 8;

function newHistogram(): Histogram {
  return hdr.build({ useWebAssembly: false, numberOfSignificantValueDigits: 2, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, bitBucketSize: 32 });
}

export class Counter {
  requests = 0;
  inFlight = 0;
  s1xx = 0;
  s2xx = 0;
  s3xx = 0;
  s4xx = 0;
  s5xx = 0;
  /** Requests the proxy could not complete (connection failures, timeouts, no target). */
  errors = 0;
  /** Ring of sampled `requests` totals, one per SAMPLE_MS. */
  readonly samples = new Float64Array(RING);
  /** Latency in microseconds: current window and the one before. */
  hist: Histogram | null = null;
  prevHist: Histogram | null = null;

  constructor(
    readonly kind: Kind | 'total',
    readonly key: string,
  ) {}

  /** Called once a response is finished: status class and latency. */
  done(status: number, micros: number): void {
    this.inFlight--;
    if (status >= 500) this.s5xx++;
    else if (status >= 400) this.s4xx++;
    else if (status >= 300) this.s3xx++;
    else if (status >= 200) this.s2xx++;
    else this.s1xx++;
    (this.hist ??= newHistogram()).recordValue(micros < 1 ? 1 : micros);
  }
}

export interface CounterSnapshot {
  readonly requests: number;
  readonly inFlight: number;
  readonly status: { readonly '1xx': number; readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  readonly errors: number;
  /** Requests per second over the last two seconds. */
  readonly rate: number;
  /** Latency percentiles over the last 10–20 s, in milliseconds (null before any response). */
  readonly p50: number | null;
  readonly p99: number | null;
  /** Requests per second for each of the last 30 seconds, oldest first. */
  readonly series: readonly number[];
}

export interface StatsSnapshot {
  readonly at: number;
  readonly total: CounterSnapshot;
  readonly routes: Readonly<Record<string, CounterSnapshot>>;
  readonly services: Readonly<Record<string, CounterSnapshot>>;
  readonly upstreams: Readonly<Record<string, CounterSnapshot>>;
  readonly targets: Readonly<Record<string, CounterSnapshot>>;
}

export class Stats {
  readonly total = new Counter('total', 'total');
  private readonly counters: Record<Kind, Map<string, Counter>> = {
    route: new Map(),
    service: new Map(),
    upstream: new Map(),
    target: new Map(),
  };
  private sampleIndex = 0;
  private sampledAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private rotateTimer: NodeJS.Timeout | undefined;

  /** The counter for an entity, made on first use and kept across routing changes. */
  counter(kind: Kind, key: string): Counter {
    const map = this.counters[kind];
    let c = map.get(key);
    if (!c) {
      c = new Counter(kind, key);
      // A counter made mid-run starts its history at its current (zero) total.
      map.set(key, c);
    }
    return c;
  }

  /**
   * Forgets counters of entities that no longer exist, except those with requests still in
   * flight: a target that left the table is drained by watching exactly that counter (the
   * request decrements the object it started on), so it is kept until a later change finds it idle.
   */
  retain(kind: Kind, keys: ReadonlySet<string>): void {
    for (const [k, c] of this.counters[kind]) if (!keys.has(k) && c.inFlight <= 0) this.counters[kind].delete(k);
  }

  /**
   * Requests in flight to a target address (`host:port`), over every upstream that has (or had)
   * it: what a drain waits for. Reads the live counters, not a snapshot; not for the request path.
   */
  inFlightTo(address: string): number {
    const suffix = `/${address}`;
    let n = 0;
    for (const [k, c] of this.counters.target) if (k.endsWith(suffix)) n += c.inFlight;
    return n;
  }

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
    this.rotateTimer = setInterval(() => this.rotate(), ROTATE_MS);
    this.rotateTimer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.rotateTimer);
    this.timer = undefined;
    this.rotateTimer = undefined;
  }

  private each(fn: (c: Counter) => void): void {
    fn(this.total);
    for (const kind of Object.keys(this.counters) as Kind[]) for (const c of this.counters[kind].values()) fn(c);
  }

  /** Records every counter's total into its ring (the timer does this; tests may call it). */
  sample(): void {
    this.sampleIndex++;
    this.sampledAt = Date.now();
    const i = this.sampleIndex % RING;
    this.each((c) => {
      c.samples[i] = c.requests;
    });
  }

  private rotate(): void {
    this.each((c) => {
      const old = c.prevHist;
      c.prevHist = c.hist;
      c.hist = old;
      c.hist?.reset();
    });
  }

  snapshotOf(c: Counter): CounterSnapshot {
    const idx = this.sampleIndex;
    const back = Math.min(RATE_WINDOW_SAMPLES, idx);
    const elapsed = back * SAMPLE_MS + (Date.now() - this.sampledAt);
    const then = c.samples[(idx - back + RING) % RING] as number;
    const rate = back > 0 && elapsed > 0 ? ((c.requests - then) * 1000) / elapsed : 0;
    const perSecond = 1000 / SAMPLE_MS;
    const series: number[] = [];
    for (let s = 29; s >= 0; s--) {
      const hi = idx - s * perSecond;
      const lo = hi - perSecond;
      if (lo < 1) {
        series.push(0);
        continue;
      }
      series.push(Math.max(0, (c.samples[hi % RING] as number) - (c.samples[lo % RING] as number)));
    }
    let p50: number | null = null;
    let p99: number | null = null;
    const cur = c.hist;
    const prev = c.prevHist;
    const count = (cur?.totalCount ?? 0) + (prev?.totalCount ?? 0);
    if (count > 0) {
      let h: Histogram;
      if (cur && prev && prev.totalCount > 0 && cur.totalCount > 0) {
        h = newHistogram();
        h.add(cur);
        h.add(prev);
      } else h = (cur && cur.totalCount > 0 ? cur : prev) as Histogram;
      p50 = h.getValueAtPercentile(50) / 1000;
      p99 = h.getValueAtPercentile(99) / 1000;
    }
    return {
      requests: c.requests,
      inFlight: c.inFlight,
      status: { '1xx': c.s1xx, '2xx': c.s2xx, '3xx': c.s3xx, '4xx': c.s4xx, '5xx': c.s5xx },
      errors: c.errors,
      rate: Math.max(0, rate),
      p50,
      p99,
      series,
    };
  }

  snapshot(): StatsSnapshot {
    const of = (kind: Kind) => {
      const out: Record<string, CounterSnapshot> = {};
      for (const [k, c] of this.counters[kind]) out[k] = this.snapshotOf(c);
      return out;
    };
    return Object.freeze({
      at: Date.now(),
      total: this.snapshotOf(this.total),
      routes: of('route'),
      services: of('service'),
      upstreams: of('upstream'),
      targets: of('target'),
    });
  }
}
