/**
 * Live counters for routes, services, upstreams and targets. The request path counts once, at
 * the leaves it already holds (attached to the routing table at compile time): the route and the
 * target of each request, plus one leaf for requests no route took. Services, upstreams and the
 * total are sums of their leaves, made when a timer samples the totals or a reader asks for a
 * snapshot, so no per-request work depends on how many levels there are or who is watching.
 *
 * Over 400 lines by a few: the leaves, the groups and the snapshots readers take are one job,
 * what is counted and how it adds up (the latency buckets live apart, in latency.ts).
 */

import { BOUNDS_US, Window, bucketOf, percentile } from './latency.js';

export type Kind = 'route' | 'service' | 'upstream' | 'target';

/** How often totals are sampled for rates and sparklines. */
export const SAMPLE_MS = 250;
/** Samples kept: one minute. */
const RING = 240;
/** Latency percentiles cover the last 10–20 s: two windows, rotated every 10 s. */
const ROTATE_MS = 10_000;
/** Rates are averaged over this window. */
const RATE_WINDOW_SAMPLES = 8;

export { BOUNDS_MS, KONG_REQUEST_LATENCY_BUCKETS_MS, SECONDS_BUCKETS_MS } from './latency.js';

/** Status codes up to 999, and again for responses the proxy made itself (Kong's `source="kong"`). */
const CODES = 1000;
/** Status classes (`status / 100`, 0–9), and again (+10) for the proxy's own answers. */
const CLASSES = 10;

/** What a leaf counts, and what a group holds of leaves that left it (retired or moved away). */
class Tally {
  requests = 0;
  /** Target leaves: requests that came into the target's upstream through it (retries within an upstream do not). */
  entered = 0;
  /** Requests the proxy could not complete (connection failures, timeouts, no target); a target counts each failed attempt. */
  errors = 0;
  /** Target leaves: requests that failed with this target as their last (the upstream's errors). */
  failed = 0;
  inFlight = 0;
  /** Responses by status class (`status / 100`), then (+CLASSES) those the proxy answered itself. */
  readonly classes = new Float64Array(2 * CLASSES);
  /** Route leaves: responses by status code, then (+CODES) the proxy's own (for Kong's per-code counter). */
  codes: Float64Array | null = null;
  /** Latency in Prometheus buckets (BOUNDS_MS, then +Inf) since the start, and their sum in µs. */
  readonly buckets = new Float64Array(BOUNDS_US.length);
  sumUs = 0;
  /** Percentile windows (µs, log-linear): the current 10 s and the one before, made on first use. */
  win: Window | null = null;
  prevWin: Window | null = null;

  /** Adds (sign 1) or takes away (-1) another tally's cumulative counts: not in-flight requests. */
  add(o: Tally, sign: number): void {
    this.requests += sign * o.requests;
    this.entered += sign * o.entered;
    this.errors += sign * o.errors;
    this.failed += sign * o.failed;
    this.sumUs += sign * o.sumUs;
    addAll(this.classes, o.classes, sign);
    addAll(this.buckets, o.buckets, sign);
    if (o.codes) addAll((this.codes ??= new Float64Array(2 * CODES)), o.codes, sign);
    if (o.win) (this.win ??= new Window()).add(o.win, sign);
    if (o.prevWin) (this.prevWin ??= new Window()).add(o.prevWin, sign);
  }

  rotate(): void {
    const old = this.prevWin;
    this.prevWin = this.win;
    this.win = old;
    old?.reset();
  }
}

function addAll(into: Float64Array, from: Float64Array, sign: number): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] as number) + sign * (from[i] as number);
}

function bump(a: Float64Array | Int32Array, i: number): void {
  a[i] = (a[i] as number) + 1;
}

/** A leaf: a route, a target, or the requests no route took. The request path touches only these. */
export class Counter extends Tally {
  /** Ring of sampled `requests` totals, one per SAMPLE_MS. */
  readonly samples = new Float64Array(RING);
  /** The group it adds into (a route's service, a target's upstream); null for none. */
  group: Group | null = null;

  constructor(
    readonly kind: 'route' | 'target' | 'total',
    readonly key: string,
  ) {
    super();
    if (kind === 'route') this.codes = new Float64Array(2 * CODES);
  }

  /** A response finished: its status code and latency. */
  done(status: number, micros: number): void {
    this.inFlight--;
    const code = status < CODES ? status : CODES - 1;
    bump(this.classes, (code / 100) | 0);
    if (this.codes !== null) bump(this.codes, code);
    this.record(micros);
  }

  /** A response the proxy made itself (no target could answer) finished. */
  doneOwn(status: number, micros: number): void {
    this.inFlight--;
    const code = status < CODES ? status : CODES - 1;
    bump(this.classes, CLASSES + ((code / 100) | 0));
    if (this.codes !== null) bump(this.codes, CODES + code);
    this.record(micros);
  }

  /** A WebSocket handed over: counted as a request answered 101. */
  switched(): void {
    this.requests++;
    this.entered++;
    bump(this.classes, 1);
    if (this.codes !== null) bump(this.codes, 101);
  }

  private record(us: number): void {
    const w = (this.win ??= new Window());
    const b = bucketOf(us);
    bump(w.counts, b);
    w.n++;
    if (b < w.lo) w.lo = b;
    if (b > w.hi) w.hi = b;
    let j = 0;
    while (us > (BOUNDS_US[j] as number)) j++;
    bump(this.buckets, j);
    this.sumUs += us;
  }
}

/**
 * A service, an upstream or the total: what its leaves add up to, plus `base` (what leaves that
 * left it had counted, so its totals never go back). An upstream counts its targets' `entered`
 * as requests and their `failed` as errors.
 */
export class Group {
  readonly base = new Tally();
  readonly leaves = new Set<Counter>();
  readonly samples = new Float64Array(RING);

  constructor(
    readonly kind: 'service' | 'upstream' | 'total',
    readonly key: string,
  ) {}

  get requests(): number {
    const up = this.kind === 'upstream';
    let n = up ? this.base.entered : this.base.requests;
    for (const c of this.leaves) n += up ? c.entered : c.requests;
    return n;
  }

  get errors(): number {
    const up = this.kind === 'upstream';
    let n = up ? this.base.failed : this.base.errors;
    for (const c of this.leaves) n += up ? c.failed : c.errors;
    return n;
  }

  get inFlight(): number {
    let n = 0;
    for (const c of this.leaves) n += c.inFlight;
    return n;
  }
}

export interface CounterSnapshot {
  readonly requests: number;
  readonly inFlight: number;
  readonly status: {
    readonly '1xx': number;
    readonly '2xx': number;
    readonly '3xx': number;
    readonly '4xx': number;
    readonly '5xx': number;
  };
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

function startedRing(): Float64Array {
  const ring = new Float64Array(RING);
  ring[0] = Date.now();
  return ring;
}

export class Stats {
  /** Requests no route took (refused, redirected to HTTPS, no match): the total's own leaf. */
  readonly unrouted = new Counter('total', 'total');
  readonly total = new Group('total', 'total');
  private readonly routes = new Map<string, Counter>();
  private readonly targets = new Map<string, Counter>();
  private readonly groups: Record<'service' | 'upstream', Map<string, Group>> = {
    service: new Map(),
    upstream: new Map(),
  };
  private sampleIndex = 0;
  /**
   * When each ring slot was sampled (Date.now()): a timer that fires late makes a slot longer
   * than SAMPLE_MS. Slot 0 holds the zero counts from before the first sample: made now.
   */
  private readonly sampledAt = startedRing();
  private timer: NodeJS.Timeout | undefined;
  private rotateTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.total.leaves.add(this.unrouted);
  }

  /** The leaf for a route or target, made on first use and kept across routing changes. */
  leaf(kind: 'route' | 'target', key: string): Counter {
    const map = kind === 'route' ? this.routes : this.targets;
    let c = map.get(key);
    if (!c) {
      c = new Counter(kind, key);
      map.set(key, c);
      if (kind === 'route') this.total.leaves.add(c);
    }
    return c;
  }

  /** The group for a service or upstream, made on first use and kept across routing changes. */
  group(kind: 'service' | 'upstream', key: string): Group {
    const map = this.groups[kind];
    let g = map.get(key);
    if (!g) {
      g = new Group(kind, key);
      map.set(key, g);
    }
    return g;
  }

  /**
   * Puts a leaf under a group (a route under its service, a target under its upstream). A leaf
   * that moves takes its counts along without changing either group's totals: the old group
   * keeps what it had counted, the new one starts from its own.
   */
  link(c: Counter, g: Group | null): void {
    const old = c.group;
    if (old === g) return;
    if (old) {
      old.leaves.delete(c);
      old.base.add(c, 1);
    }
    if (g) {
      g.leaves.add(c);
      g.base.add(c, -1);
    }
    c.group = g;
  }

  /**
   * Forgets counters of entities that no longer exist. A leaf with requests still in flight is
   * kept (a target that left the table is drained by watching exactly that counter: the request
   * decrements the object it started on) until a later change finds it idle; what a forgotten
   * leaf counted stays in its groups' totals.
   */
  retain(kind: Kind, keys: ReadonlySet<string>): void {
    if (kind === 'service' || kind === 'upstream') {
      for (const k of this.groups[kind].keys()) if (!keys.has(k)) this.groups[kind].delete(k);
      return;
    }
    const map = kind === 'route' ? this.routes : this.targets;
    for (const [k, c] of map) {
      if (keys.has(k) || c.inFlight > 0) continue;
      map.delete(k);
      this.link(c, null);
      if (kind === 'route') {
        this.total.leaves.delete(c);
        this.total.base.add(c, 1);
      }
    }
  }

  /**
   * Requests in flight to a target address (`host:port`), over every upstream that has (or had)
   * it: what a drain waits for. Reads the live counters, not a snapshot; not for the request path.
   */
  inFlightTo(address: string): number {
    const suffix = `/${address}`;
    let n = 0;
    for (const [k, c] of this.targets) if (k.endsWith(suffix)) n += c.inFlight;
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

  private *all(): Generator<Counter | Group> {
    yield this.total;
    yield this.unrouted;
    yield* this.routes.values();
    yield* this.targets.values();
    yield* this.groups.service.values();
    yield* this.groups.upstream.values();
  }

  /** Records every counter's total into its ring (the timer does this; tests may call it). */
  sample(): void {
    this.sampleIndex++;
    const i = this.sampleIndex % RING;
    this.sampledAt[i] = Date.now();
    for (const c of this.all()) c.samples[i] = c.requests;
  }

  private rotate(): void {
    this.unrouted.rotate();
    this.total.base.rotate();
    for (const c of this.routes.values()) c.rotate();
    for (const c of this.targets.values()) c.rotate();
    for (const g of this.groups.service.values()) g.base.rotate();
    for (const g of this.groups.upstream.values()) g.base.rotate();
  }

  /** The route and target leaves, by key, for /metrics. */
  leaves(kind: 'route' | 'target'): ReadonlyMap<string, Counter> {
    return kind === 'route' ? this.routes : this.targets;
  }

  /** One scratch window for adding a group's windows up at sampling time. */
  private readonly scratch = new Window();

  snapshotOf(c: Counter | Group): CounterSnapshot {
    const tallies: readonly Tally[] = c instanceof Counter ? [c] : [c.base, ...c.leaves];
    const requests = c.requests;
    const idx = this.sampleIndex;
    const back = Math.min(RATE_WINDOW_SAMPLES, idx);
    // Over the time that really passed since the slot `back` samples ago: the sampling timer
    // fires late when the event loop is busy (a frame, a burst), and counting each slot as
    // SAMPLE_MS then overstated the rate (the demo's 50 req/s read 68 after a key press).
    const elapsed = Date.now() - (this.sampledAt[(idx - back + RING) % RING] as number);
    const then = c.samples[(idx - back + RING) % RING] as number;
    const rate = back > 0 && elapsed > 0 ? ((requests - then) * 1000) / elapsed : 0;
    const perSecond = 1000 / SAMPLE_MS;
    const series: number[] = [];
    for (let k = 29; k >= 0; k--) {
      const hi = idx - k * perSecond;
      const lo = hi - perSecond;
      if (lo < 1) {
        series.push(0);
        continue;
      }
      // Per second of the time that really passed between the two samples (see `elapsed`).
      const span = (this.sampledAt[hi % RING] as number) - (this.sampledAt[lo % RING] as number);
      const count = Math.max(0, (c.samples[hi % RING] as number) - (c.samples[lo % RING] as number));
      series.push(span > 0 ? (count * 1000) / span : count);
    }
    const cls = new Float64Array(2 * CLASSES);
    const w = this.scratch;
    w.reset();
    for (const t of tallies) {
      addAll(cls, t.classes, 1);
      if (t.win && t.win.hi >= t.win.lo) w.add(t.win, 1);
      if (t.prevWin && t.prevWin.hi >= t.prevWin.lo) w.add(t.prevWin, 1);
    }
    const of = (k: number) => (cls[k] as number) + (cls[CLASSES + k] as number);
    let fives = 0;
    for (let k = 5; k < CLASSES; k++) fives += of(k);
    return {
      requests,
      inFlight: c.inFlight,
      status: { '1xx': of(0) + of(1), '2xx': of(2), '3xx': of(3), '4xx': of(4), '5xx': fives },
      errors: c.errors,
      rate: Math.max(0, rate),
      p50: w.n > 0 ? percentile(w, 50) / 1000 : null,
      p99: w.n > 0 ? percentile(w, 99) / 1000 : null,
      series,
    };
  }

  snapshot(): StatsSnapshot {
    const of = (m: ReadonlyMap<string, Counter | Group>) => {
      const out: Record<string, CounterSnapshot> = {};
      for (const [k, c] of m) out[k] = this.snapshotOf(c);
      return out;
    };
    return Object.freeze({
      at: Date.now(),
      total: this.snapshotOf(this.total),
      routes: of(this.routes),
      services: of(this.groups.service),
      upstreams: of(this.groups.upstream),
      targets: of(this.targets),
    });
  }
}
