/**
 * `/metrics`: Prometheus text read from the stats' leaves and the state at scrape time (nothing
 * runs per request for it). Two families side by side:
 *
 * - switchyard's own, each request counted once per family: by route (`route`, `service`; the
 *   requests no route took under `route=""`) and by target (`upstream`, `target`, the same labels
 *   and values as the weight and health gauges, so they join); services and upstreams are sums
 *   over those labels. Latency is a histogram in seconds.
 * - Kong's names, labels and buckets (kong/plugins/prometheus/exporter.lua), so Kong's Grafana
 *   dashboard reads switchyard unchanged.
 */
import { Counter as PromCounter, Gauge, type Registry } from 'prom-client';
import { effectiveSplit, type State } from '../core/model.js';
import type { RoutingTable, UpstreamEntry } from '../core/table.js';
import {
  BOUNDS_MS,
  KONG_REQUEST_LATENCY_BUCKETS_MS,
  SECONDS_BUCKETS_MS,
  type Counter,
  type Stats,
} from '../proxy/stats.js';

/** What the collectors read, made once per scrape. */
interface Scrape {
  /** Route rows: the leaf with its labels (switchyard's and Kong's service label). */
  readonly routes: readonly {
    readonly leaf: Counter;
    readonly route: string;
    readonly service: string;
    readonly kongService: string;
  }[];
  readonly targets: readonly { readonly leaf: Counter; readonly upstream: string; readonly target: string }[];
}

export interface MetricsSource {
  readonly stats: Stats;
  state(): State;
  table(): RoutingTable;
  nodeId: string;
  version: string;
}

/** The anonymous upstreams of services with a literal host:port (named by it), which only the table knows. */
function literals(table: RoutingTable): UpstreamEntry[] {
  const named = new Set(table.upstreams);
  return table.services.flatMap((s) => s.upstreams.filter((u) => !named.has(u)));
}

const CLASS_NAMES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** A leaf's responses by class (1xx … 5xx; 5xx takes every code from 500 up), its own and its targets' answers together. */
function classes(leaf: Counter): number[] {
  const c = leaf.classes;
  const half = c.length / 2;
  const of = (k: number) => (c[k] as number) + (c[half + k] as number);
  let fives = 0;
  for (let k = 5; k < half; k++) fives += of(k);
  return [of(0) + of(1), of(2), of(3), of(4), fives];
}

interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram whose buckets are already counted (by the stats' leaves): prom-client's Histogram
 * only observes, so this renders `_bucket`/`_sum`/`_count` itself. `bounds` is a subset of the
 * leaves' BOUNDS_MS, so every bucket is an exact sum; `scale` turns milliseconds into the unit.
 */
class BucketedHistogram {
  readonly type = 'histogram';
  private readonly index: number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    private readonly scale: number,
    private readonly rows: () => Iterable<readonly [Record<string, string>, Counter]>,
  ) {
    this.index = bounds.map((b) => {
      const i = BOUNDS_MS.indexOf(b);
      if (i < 0) throw new Error(`bucket ${b} ms is not among the stats' bounds`);
      return i;
    });
  }

  get(): Promise<{ name: string; help: string; type: string; values: HistogramValue[]; aggregator: 'sum' }> {
    const values: HistogramValue[] = [];
    for (const [labels, leaf] of this.rows()) {
      const b = leaf.buckets;
      let acc = 0;
      let from = 0;
      for (let k = 0; k < this.bounds.length; k++) {
        const upto = this.index[k] as number;
        for (; from <= upto; from++) acc += b[from] as number;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: (this.bounds[k] as number) * this.scale },
          value: acc,
        });
      }
      for (; from < b.length; from++) acc += b[from] as number;
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: acc });
      values.push({ metricName: `${this.name}_sum`, labels, value: (leaf.sumUs / 1000) * this.scale });
      values.push({ metricName: `${this.name}_count`, labels, value: acc });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' });
  }
}

export function defineMetrics(registry: Registry, src: MetricsSource): { scrape: () => Promise<string> } {
  let current: Scrape | undefined;
  const make = (): Scrape => {
    const state = src.state();
    const table = src.table();
    const routeName = new Map(state.routes.map((r) => [r.id, r.name ?? r.id]));
    const serviceName = new Map(state.services.map((s) => [s.id, s.name ?? s.id]));
    // Kong labels a service by its name, else its host (exporter.lua's `log`).
    const kongName = new Map(state.services.map((s) => [s.id, s.name ?? s.host]));
    const routes: Scrape['routes'][number][] = [
      { leaf: src.stats.unrouted, route: '', service: '', kongService: '' },
    ];
    for (const [key, leaf] of src.stats.leaves('route')) {
      const sk = leaf.group?.key;
      routes.push({
        leaf,
        route: routeName.get(key) ?? key,
        service: sk === undefined ? '' : (serviceName.get(sk) ?? sk),
        kongService: sk === undefined ? '' : (kongName.get(sk) ?? sk),
      });
    }
    const targetNames = new Map<string, readonly [string, string]>();
    for (const u of [...table.upstreams, ...table.services.flatMap((s) => s.upstreams)])
      for (const t of u.targets) targetNames.set(t.key, [u.name, t.address]);
    const targets: Scrape['targets'][number][] = [];
    for (const [key, leaf] of src.stats.leaves('target')) {
      const [upstream, target] = targetNames.get(key) ?? [leaf.group?.key ?? '', key];
      targets.push({ leaf, upstream, target });
    }
    return { routes, targets };
  };
  const scrape = (): Scrape => current ?? make();
  const registers = [registry];
  const routeLabels = ['route', 'service'] as const;
  const targetLabels = ['upstream', 'target'] as const;

  // switchyard's own, by route.
  new PromCounter({
    name: 'switchyard_requests_total',
    help: 'Requests received, by route (route="" for those no route took: refused, redirected, unmatched).',
    labelNames: routeLabels,
    registers,
    collect() {
      this.reset();
      for (const r of scrape().routes) this.inc({ route: r.route, service: r.service }, r.leaf.requests);
    },
  });
  new PromCounter({
    name: 'switchyard_responses_total',
    help: 'Responses sent, by route and status class.',
    labelNames: [...routeLabels, 'class'],
    registers,
    collect() {
      this.reset();
      for (const r of scrape().routes)
        classes(r.leaf).forEach((n, k) =>
          this.inc({ route: r.route, service: r.service, class: CLASS_NAMES[k] as string }, n),
        );
    },
  });
  new PromCounter({
    name: 'switchyard_errors_total',
    help: 'Requests the proxy could not complete (connection failures, timeouts, no target), by route.',
    labelNames: routeLabels,
    registers,
    collect() {
      this.reset();
      for (const r of scrape().routes) this.inc({ route: r.route, service: r.service }, r.leaf.errors);
    },
  });
  new Gauge({
    name: 'switchyard_in_flight',
    help: 'Requests in flight, by route.',
    labelNames: routeLabels,
    registers,
    collect() {
      this.reset();
      for (const r of scrape().routes) this.set({ route: r.route, service: r.service }, r.leaf.inFlight);
    },
  });
  registry.registerMetric(
    new BucketedHistogram(
      'switchyard_request_duration_seconds',
      'Time from a request to the end of its response, by route.',
      SECONDS_BUCKETS_MS,
      1 / 1000,
      function* () {
        for (const r of scrape().routes) yield [{ route: r.route, service: r.service }, r.leaf] as const;
      },
    ) as unknown as Parameters<Registry['registerMetric']>[0],
  );

  // switchyard's own, by target.
  new PromCounter({
    name: 'switchyard_target_requests_total',
    help: 'Attempts sent to each target (a retry is another attempt, on another target).',
    labelNames: targetLabels,
    registers,
    collect() {
      this.reset();
      for (const t of scrape().targets) this.inc({ upstream: t.upstream, target: t.target }, t.leaf.requests);
    },
  });
  new PromCounter({
    name: 'switchyard_target_responses_total',
    help: 'Responses sent for requests whose last attempt went to each target, by status class.',
    labelNames: [...targetLabels, 'class'],
    registers,
    collect() {
      this.reset();
      for (const t of scrape().targets)
        classes(t.leaf).forEach((n, k) =>
          this.inc({ upstream: t.upstream, target: t.target, class: CLASS_NAMES[k] as string }, n),
        );
    },
  });
  new PromCounter({
    name: 'switchyard_target_errors_total',
    help: 'Attempts on each target that failed (connection refused or reset, timeout, TLS).',
    labelNames: targetLabels,
    registers,
    collect() {
      this.reset();
      for (const t of scrape().targets) this.inc({ upstream: t.upstream, target: t.target }, t.leaf.errors);
    },
  });
  new Gauge({
    name: 'switchyard_target_in_flight',
    help: 'Requests in flight on each target.',
    labelNames: targetLabels,
    registers,
    collect() {
      this.reset();
      for (const t of scrape().targets) this.set({ upstream: t.upstream, target: t.target }, t.leaf.inFlight);
    },
  });
  registry.registerMetric(
    new BucketedHistogram(
      'switchyard_target_request_duration_seconds',
      'Time from a request to the end of its response, by the target of its last attempt.',
      SECONDS_BUCKETS_MS,
      1 / 1000,
      function* () {
        for (const t of scrape().targets) yield [{ upstream: t.upstream, target: t.target }, t.leaf] as const;
      },
    ) as unknown as Parameters<Registry['registerMetric']>[0],
  );

  // Configuration and health, with the target labels above.
  new Gauge({
    name: 'switchyard_target_weight',
    help: 'Configured weight of each target in its upstream.',
    labelNames: targetLabels,
    registers,
    collect() {
      this.reset();
      for (const u of src.state().upstreams)
        for (const t of u.targets) this.set({ upstream: u.name, target: t.target }, t.weight);
      for (const u of literals(src.table()))
        for (const t of u.targets) this.set({ upstream: u.name, target: t.address }, t.weight);
    },
  });
  new Gauge({
    name: 'switchyard_target_healthy',
    help: '1 while health checks consider the target healthy.',
    labelNames: targetLabels,
    registers,
    collect() {
      this.reset();
      const table = src.table();
      for (const u of [...table.upstreams, ...literals(table)])
        for (const t of u.targets)
          this.set({ upstream: u.name, target: t.address }, t.health.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_upstream_weight',
    help: "Weight of each upstream in its service's split.",
    labelNames: ['service', 'upstream'],
    registers,
    collect() {
      this.reset();
      const st = src.state();
      for (const s of st.services)
        for (const e of effectiveSplit(st, s) ?? [])
          this.set({ service: s.name ?? s.id, upstream: e.name }, e.weight);
    },
  });

  // Kong's names (exporter.lua). Like Kong, only requests a route took; workspace is Kong's default.
  new PromCounter({
    name: 'kong_http_requests_total',
    help: 'HTTP status codes per consumer/service/route in Kong',
    labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
    registers,
    collect() {
      this.reset();
      for (const r of scrape().routes) {
        const codes = r.leaf.codes;
        if (r.route === '' || codes === null) continue;
        const half = codes.length / 2;
        for (let i = 0; i < codes.length; i++) {
          const n = codes[i] as number;
          if (n === 0) continue;
          const source = i < half ? 'service' : 'kong';
          this.inc(
            {
              service: r.kongService,
              route: r.route,
              code: String(i % half),
              source,
              workspace: 'default',
              consumer: '',
            },
            n,
          );
        }
      }
    },
  });
  registry.registerMetric(
    new BucketedHistogram(
      'kong_request_latency_ms',
      'Total latency incurred during requests for each service/route in Kong',
      KONG_REQUEST_LATENCY_BUCKETS_MS,
      1,
      function* () {
        for (const r of scrape().routes)
          if (r.route !== '')
            yield [{ service: r.kongService, route: r.route, workspace: 'default' }, r.leaf] as const;
      },
    ) as unknown as Parameters<Registry['registerMetric']>[0],
  );
  new Gauge({
    name: 'kong_upstream_target_health',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
    registers,
    collect() {
      this.reset();
      for (const u of src.table().upstreams)
        for (const t of u.targets) {
          // As GET /upstreams/{u}/health answers: healthy or unhealthy (targets are not resolved, so never dns_error).
          const state = t.health.healthy ? 'healthy' : 'unhealthy';
          for (const s of ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'])
            this.set(
              { upstream: u.name, target: t.address, address: t.address, state: s, subsystem: 'http' },
              s === state ? 1 : 0,
            );
        }
    },
  });
  new Gauge({
    name: 'kong_datastore_reachable',
    help: 'Datastore reachable from Kong, 0 is unreachable',
    registers,
    collect() {
      this.set(1);
    },
  });
  new Gauge({
    name: 'kong_node_info',
    help: 'Kong Node metadata information',
    labelNames: ['node_id', 'version'],
    registers,
    collect() {
      this.reset();
      this.set({ node_id: src.nodeId, version: src.version }, 1);
    },
  });

  return {
    scrape: async () => {
      current = make();
      try {
        return await registry.metrics();
      } finally {
        current = undefined;
      }
    },
  };
}
