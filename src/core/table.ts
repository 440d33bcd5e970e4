/**
 * The compiled routing table: an immutable snapshot of the state shaped for the request path.
 * The store builds one after every change and swaps a single reference; a data plane (the
 * in-process proxy today, HAProxy later) reads that reference once per request.
 *
 * Core knows nothing of http-proxy: `slot` fields are for the data plane to hang its own
 * per-target objects on, once, so the request path never looks anything up by key.
 */
import { Balancer } from './balancer.js';
import { effectiveSplit, serviceLabel, type Healthchecks, type ManualHealth, type Route, type Service, type State, type Upstream } from './model.js';
import { parseHostPort } from './schema.js';
import { stoppedApps, takesTraffic, targetKey, weightInForce, type HealthOf } from './traffic.js';

export interface TargetEntry {
  /** Stable key across compiles: `upstreamId/host:port` (or `serviceId/host:port` for a literal host). */
  readonly key: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Data-plane objects (a proxy instance, stats counters). */
  slot: unknown;
  /** Health, shared across compiles for the same key: unhealthy targets are skipped. */
  health: TargetHealth;
}

/** A target's health and the counters Kong's thresholds are judged on. */
export interface TargetHealth {
  healthy: boolean;
  successes: number;
  tcpFailures: number;
  httpFailures: number;
  timeouts: number;
  /** The `seq` of the operator's mark this health last took (0: never marked, Kong's POST …/healthy|unhealthy). */
  markSeq: number;
}

export function newHealth(): TargetHealth {
  return { healthy: true, successes: 0, tcpFailures: 0, httpFailures: 0, timeouts: 0, markSeq: 0 };
}

export interface UpstreamEntry {
  readonly key: string;
  readonly name: string;
  /** Kong's health checks; null for a service's literal host:port. */
  readonly healthchecks: Healthchecks | null;
  /** Kong's upstream `host_header`: the Host (and so the TLS SNI) sent to its targets; null: the target's host. */
  readonly hostHeader: string | null;
  readonly targets: readonly TargetEntry[];
  readonly balancer: Balancer<TargetEntry>;
  slot: unknown;
}

export interface ServiceEntry {
  readonly key: string;
  readonly name: string;
  readonly service: Service;
  readonly upstreams: readonly UpstreamEntry[];
  readonly balancer: Balancer<UpstreamEntry>;
  readonly path: string | null;
  readonly retries: number;
  slot: unknown;
}

export interface RouteEntry {
  readonly key: string;
  readonly route: Route;
  readonly name: string;
  /** Prefix matched (longest first); '' for a route without paths. */
  readonly prefix: string;
  readonly methods: readonly string[] | null;
  readonly service: ServiceEntry | null;
  slot: unknown;
}

export interface RoutingTable {
  readonly version: number;
  /** Exact host (lower-case, no port) → candidates, longest prefix first (host-less routes merged in). */
  readonly byHost: ReadonlyMap<string, Candidates>;
  readonly wildcard: readonly { readonly suffix: string; readonly prefix: string; readonly entries: Candidates }[];
  readonly anyHost: Candidates;
  readonly routes: readonly RouteEntry[];
  readonly services: readonly ServiceEntry[];
  readonly upstreams: readonly UpstreamEntry[];
}

/** Among routes for one host: the longest prefix first; on a tie, one that names methods. */
const byPrefixLength = (a: RouteEntry, b: RouteEntry) => b.prefix.length - a.prefix.length || Number(b.methods !== null) - Number(a.methods !== null);

/**
 * The routes one host can match, longest prefix first. Past a handful, they are also indexed by
 * prefix: one map lookup per distinct prefix length instead of a scan over every route, so a
 * thousand paths on one host cost what a few do.
 */
export interface Candidates {
  readonly entries: readonly RouteEntry[];
  readonly index: { readonly lengths: readonly number[]; readonly byPrefix: ReadonlyMap<string, readonly RouteEntry[]>; readonly rest: readonly RouteEntry[] } | null;
}

const INDEX_FROM = 16;

function candidates(list: readonly RouteEntry[]): Candidates {
  const entries = [...list].sort(byPrefixLength);
  if (entries.length < INDEX_FROM) return { entries, index: null };
  const byPrefix = new Map<string, RouteEntry[]>();
  const rest: RouteEntry[] = [];
  for (const e of entries) {
    if (e.prefix === '') rest.push(e);
    else byPrefix.set(e.prefix, [...(byPrefix.get(e.prefix) ?? []), e]);
  }
  const lengths = [...new Set([...byPrefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
  return { entries, index: { lengths, byPrefix, rest } };
}

interface Carry {
  health: Map<string, TargetHealth>;
  balancers: Map<string, { sig: string; balancer: Balancer<unknown> }>;
}

function carryFrom(prev: RoutingTable | undefined): Carry {
  const health = new Map<string, TargetHealth>();
  const balancers = new Map<string, { sig: string; balancer: Balancer<unknown> }>();
  for (const u of prev?.upstreams ?? []) {
    for (const t of u.targets) health.set(t.key, t.health);
    balancers.set(u.key, { sig: sigOf(u.targets.map((t) => [t.address, t.weight])), balancer: u.balancer as Balancer<unknown> });
  }
  for (const s of prev?.services ?? []) {
    balancers.set(s.key, { sig: sigOf(s.balancer.peers.map((u, i) => [u.key, s.balancer.weights[i] as number])), balancer: s.balancer as Balancer<unknown> });
  }
  return { health, balancers };
}

function sigOf(pairs: readonly (readonly [string, number])[]): string {
  return pairs.map(([k, w]) => `${k}=${w}`).join(',');
}

/**
 * Balancers whose peers and weights did not change keep their position, so an unrelated change
 * (another service, a new route) does not disturb an exact rotation in progress.
 */
function balancerFor<T>(carry: Carry, key: string, peers: readonly T[], pairs: readonly (readonly [string, number])[]): Balancer<T> {
  const sig = sigOf(pairs);
  const old = carry.balancers.get(key);
  return new Balancer(peers, pairs.map((p) => p[1]), old && old.sig === sig ? old.balancer : undefined);
}

export function compile(state: State, version: number, prev?: RoutingTable): RoutingTable {
  const carry = carryFrom(prev);
  const upstreamEntries = new Map<string, UpstreamEntry>();
  const targetEntry = (key: string, address: string, weight: number, mark?: ManualHealth): TargetEntry => {
    const hp = parseHostPort(address);
    const { host, port } = typeof hp === 'string' ? { host: address, port: 80 } : hp;
    const health = carry.health.get(key) ?? newHealth();
    // An operator's new mark (or its undoing) takes effect now; the health checks go on from there.
    if ((mark?.seq ?? 0) !== health.markSeq) {
      Object.assign(health, { healthy: mark?.verdict !== 'unhealthy', markSeq: mark?.seq ?? 0, successes: 0, tcpFailures: 0, httpFailures: 0, timeouts: 0 });
    }
    return { key, address, host, port, weight, slot: undefined, health };
  };
  // A stopped app takes no traffic; its routes go on serving their other apps.
  const stopped = stoppedApps(state);
  const upstreamEntry = (u: Upstream): UpstreamEntry => {
    const off = stopped.has(u.name);
    const targets = u.targets.map((t) => targetEntry(targetKey(u.id, t.target), t.target, weightInForce(t.weight, off), t.manual_health));
    return {
      key: u.id,
      name: u.name,
      healthchecks: u.healthchecks,
      hostHeader: u.host_header,
      targets,
      balancer: balancerFor(carry, u.id, targets, targets.map((t) => [t.address, t.weight])),
      slot: undefined,
    };
  };
  for (const u of state.upstreams) upstreamEntries.set(u.name, upstreamEntry(u));

  const serviceEntries = new Map<string, ServiceEntry>();
  for (const s of state.services) {
    const split = s.enabled ? effectiveSplit(state, s) : [];
    let ups: UpstreamEntry[];
    let weights: number[];
    if (split === undefined) {
      // A literal host:port: one anonymous upstream with one target.
      const address = `${s.host}:${s.port}`;
      const t = targetEntry(targetKey(s.id, address), address, 100);
      ups = [{ key: `${s.id}/literal`, name: address, healthchecks: null, hostHeader: null, targets: [t], balancer: balancerFor(carry, `${s.id}/literal`, [t], [[address, 100]]), slot: undefined }];
      weights = [100];
    } else {
      ups = [];
      weights = [];
      for (const e of split) {
        const u = upstreamEntries.get(e.name);
        if (!u) continue;
        ups.push(u);
        weights.push(e.weight);
      }
    }
    serviceEntries.set(s.id, {
      key: s.id,
      name: serviceLabel(s),
      service: s,
      upstreams: ups,
      balancer: balancerFor(carry, s.id, ups, ups.map((u, i) => [u.key, weights[i] as number])),
      path: s.path,
      retries: s.retries,
      slot: undefined,
    });
  }

  const routes: RouteEntry[] = [];
  const byHost = new Map<string, RouteEntry[]>();
  const wildcard = new Map<string, { suffix: string; prefix: string; entries: RouteEntry[] }>();
  const anyHost: RouteEntry[] = [];
  for (const r of state.routes) {
    const service = r.service ? (serviceEntries.get(r.service.id) ?? null) : null;
    const prefixes = r.paths && r.paths.length ? r.paths : [''];
    const name = r.name ?? r.id;
    const perRoute: RouteEntry[] = prefixes.map((prefix) => ({ key: r.id, route: r, name, prefix, methods: r.methods && r.methods.length ? r.methods : null, service, slot: undefined }));
    routes.push(...perRoute);
    if (!r.hosts || r.hosts.length === 0) {
      anyHost.push(...perRoute);
      continue;
    }
    for (const h of r.hosts) {
      const host = h.toLowerCase().replace(/:\d+$/, '');
      if (host.startsWith('*.') || host.endsWith('.*')) {
        const w = wildcard.get(host) ?? { suffix: host.startsWith('*.') ? host.slice(1) : '', prefix: host.endsWith('.*') ? host.slice(0, -1) : '', entries: [] };
        w.entries.push(...perRoute);
        wildcard.set(host, w);
      } else {
        const list = byHost.get(host) ?? [];
        list.push(...perRoute);
        byHost.set(host, list);
      }
    }
  }
  // A route that names the host wins over any route that does not (matching falls through:
  // exact host, then wildcard hosts, then host-less routes), as a host is the more specific.
  const hosts = new Map<string, Candidates>();
  for (const [h, list] of byHost) hosts.set(h, candidates(list));
  const wild = [...wildcard.values()].map((w) => ({ suffix: w.suffix, prefix: w.prefix, entries: candidates(w.entries) }));

  return {
    version,
    byHost: hosts,
    wildcard: wild,
    anyHost: candidates(anyHost),
    routes,
    services: [...serviceEntries.values()],
    upstreams: [...upstreamEntries.values()],
  };
}

function firstMatch(c: Candidates, path: string, method: string): RouteEntry | undefined {
  const index = c.index;
  if (index === null) return scan(c.entries, path, method);
  for (let i = 0; i < index.lengths.length; i++) {
    const len = index.lengths[i] as number;
    if (path.length < len) continue;
    const list = index.byPrefix.get(path.slice(0, len));
    if (list === undefined) continue;
    const m = scan(list, path, method);
    if (m !== undefined) return m;
  }
  return scan(index.rest, path, method);
}

function scan(list: readonly RouteEntry[], path: string, method: string): RouteEntry | undefined {
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as RouteEntry;
    if (e.prefix.length > 0 && !path.startsWith(e.prefix)) continue;
    if (e.methods !== null && !e.methods.includes(method)) continue;
    return e;
  }
  return undefined;
}

/** Each target's health as the request path sees it, by key (a key the table does not hold: healthy). */
export function tableHealth(table: RoutingTable): HealthOf {
  const down = new Set<string>();
  for (const u of table.upstreams) for (const t of u.targets) if (!t.health.healthy) down.add(t.key);
  return (key) => !down.has(key);
}

/** Host header (any case, with or without port) + path → the route entry, Kong-style. */
export function match(table: RoutingTable, hostHeader: string | undefined, path: string, method: string): RouteEntry | undefined {
  let host = hostHeader ?? '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') < colon) host = host.slice(0, colon);
  host = host.toLowerCase();
  const exact = table.byHost.get(host);
  if (exact !== undefined) {
    const m = firstMatch(exact, path, method);
    if (m !== undefined) return m;
  }
  for (let i = 0; i < table.wildcard.length; i++) {
    const w = table.wildcard[i]!;
    if ((w.suffix && host.endsWith(w.suffix)) || (w.prefix && host.startsWith(w.prefix))) {
      const m = firstMatch(w.entries, path, method);
      if (m !== undefined) return m;
    }
  }
  return firstMatch(table.anyHost, path, method);
}

/** The path the upstream sees: Kong's strip_path, then the service's path prepended. */
export function upstreamPath(entry: RouteEntry, url: string): string {
  let rest = url;
  if (entry.route.strip_path && entry.prefix.length > 0) {
    rest = url.slice(entry.prefix.length);
    if (rest[0] !== '/') rest = '/' + rest;
  }
  const base = entry.service?.path;
  if (!base) return rest[0] === '/' ? rest : '/' + rest;
  if (rest === '/') return base;
  if (rest[0] === '?' || rest.startsWith('/?')) return base + rest.slice(rest.indexOf('?'));
  return base.endsWith('/') ? base + rest.slice(1) : base + rest;
}

/*
 * The picks the request path makes. Each is ONE smooth-weighted-round-robin pass with
 * availability checked inline (nginx's ngx_http_upstream_get_peer): a target that is down, or an
 * upstream with no target that can take traffic, is skipped inside the pass and left out of its
 * total, so what is left splits exactly by its own weights. Picking first and picking again when
 * the first was down would advance the rotation twice and skew the split (5/3/2 with the 3 down
 * gave 490/210 instead of 500/200). The predicates are made once here; what a retry already tried
 * is handed to them as the balancer's context, so a pick allocates nothing.
 */

const NOTHING_TRIED: readonly TargetEntry[] = [];

function untried(t: TargetEntry, tried: readonly TargetEntry[]): boolean {
  return tried.length === 0 || !tried.includes(t);
}

/** For the target pick: the balancer itself passes over weight 0, so `takesTraffic` comes down to health here. */
function targetUp(t: TargetEntry, tried: readonly TargetEntry[]): boolean {
  return t.health.healthy && untried(t, tried);
}

function upstreamUp(u: UpstreamEntry, tried: readonly TargetEntry[]): boolean {
  const targets = u.targets;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as TargetEntry;
    if (takesTraffic(t.weight, t.health.healthy) && untried(t, tried)) return true;
  }
  return false;
}

/** The service's next upstream among those with a target that can take traffic (and was not tried). */
export function pickUpstream(service: ServiceEntry, tried: readonly TargetEntry[] | null = null): UpstreamEntry | undefined {
  return service.balancer.pick(upstreamUp, tried ?? NOTHING_TRIED);
}

/** The upstream's next healthy target (not among `tried`), or undefined when there is none. */
export function pickTarget(u: UpstreamEntry, tried: readonly TargetEntry[] | null = null): TargetEntry | undefined {
  return u.balancer.pick(targetUp, tried ?? NOTHING_TRIED);
}
