/**
 * The compiled routing table: an immutable snapshot of the state shaped for the request path.
 * The store builds one after every change and swaps a single reference; a data plane (the
 * in-process proxy today, HAProxy later) reads that reference once per request.
 *
 * Core knows nothing of http-proxy: `slot` fields are for the data plane to hang its own
 * per-target objects on, once, so the request path never looks anything up by key.
 */
import { Balancer, fastest, hashString, leastLoaded, newLoad, observe, rendezvous, type TargetLoad } from './balancer.js';
import { keyPlan, type KeyPlan } from './sticky.js';
import {
  effectiveSplit,
  serviceLabel,
  type Healthchecks,
  type ManualHealth,
  type Route,
  type Service,
  type State,
  type Upstream,
} from './model.js';
import {
  comparePriority,
  compilePathRegex,
  escapePath,
  groupPaths,
  isRegexPath,
  joinUpstreamPath,
  normalizePath,
  parseRouteHost,
  priorityOf,
  splitRouteId,
  type PathHandling,
  type Priority,
} from './router.js';
import { formatHostPort, hashingOf, NO_HASHING, parseHostPort, type Algorithm, type Hashing } from './schema.js';
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
  /** In-flight requests and response times (least-connections, latency), shared across compiles as health is. */
  load: TargetLoad;
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
  readonly algorithm: Algorithm;
  /** With consistent-hashing: where the key is read; null: no key is read (round-robin). */
  readonly hash: KeyPlan | null;
  /** Kong's hashing fields it was compiled from (a data plane that writes its own config reads them). */
  readonly hashing: Hashing;
  /** Each target's rendezvous seed (the hash of its address). */
  readonly seeds: Uint32Array;
  /** The targets' loads, by index (least-connections, latency). */
  readonly loads: readonly TargetLoad[];
  /** least-connections or latency: the proxy reports each attempt's start and end. */
  readonly tracksLoad: boolean;
  /** Where a least-connections or latency scan starts, turned per pick so equals take turns. */
  readonly turn: { n: number };
  slot: unknown;
}

export interface ServiceEntry {
  readonly key: string;
  readonly name: string;
  readonly service: Service;
  readonly upstreams: readonly UpstreamEntry[];
  readonly balancer: Balancer<UpstreamEntry>;
  /** With hash_on: where the key for a sticky split is read; null: smooth WRR. */
  readonly hash: KeyPlan | null;
  /** Each upstream's rendezvous seed (the hash of its name, which survives an export and a load). */
  readonly seeds: Uint32Array;
  /** An upstream of the split is least-connections or latency: the proxy reports each attempt. */
  readonly tracksLoad: boolean;
  readonly path: string | null;
  readonly retries: number;
  slot: unknown;
}

export interface RouteEntry {
  /** The route's id: what the stats count by (a split route's groups share it). */
  readonly key: string;
  readonly route: Route;
  readonly name: string;
  /**
   * One of Kong's matchers: a route with paths of several lengths is split into groups (all
   * regexes; prefixes of one length), each with its own priority. `prefixes` and `regexes` are
   * the group's paths (both empty: the route has no paths).
   */
  readonly prefixes: readonly string[];
  readonly regexes: readonly RegExp[];
  /** The prefixes' length (the matched length for a prefix group), 0 otherwise. */
  readonly prefixLength: number;
  readonly methods: readonly string[] | null;
  readonly headers: readonly HeaderRule[] | null;
  /** Routes without `http` in protocols answer plain HTTP with `httpsRedirect` (426 or a redirect). */
  readonly httpAllowed: boolean;
  readonly httpsRedirect: number;
  readonly pathHandling: PathHandling;
  readonly priority: Priority;
  /** Position in Kong's order over the whole table (0 first). */
  readonly rank: number;
  readonly service: ServiceEntry | null;
  slot: unknown;
}

/** One `headers` entry of a route: lower-case name, lower-cased values, `~*` regexes compiled. */
export interface HeaderRule {
  readonly name: string;
  readonly values: readonly string[];
  readonly regexes: readonly RegExp[];
}

/** A route entry under one host, with the port that host named (0: any port). */
export interface Candidate {
  readonly entry: RouteEntry;
  readonly port: number;
}

export interface WildcardCandidate extends Candidate {
  /** `.example.com` for `*.example.com`, '' otherwise. */
  readonly suffix: string;
  /** `example.` for `example.*`, '' otherwise. */
  readonly prefix: string;
}

export interface RoutingTable {
  readonly version: number;
  /** Exact host (lower-case, no port) → its routes in Kong's order. */
  readonly byHost: ReadonlyMap<string, Candidates>;
  /** Routes with a wildcard host, in Kong's order (one candidate per wildcard host). */
  readonly wildcard: readonly WildcardCandidate[];
  /** Routes without hosts, in Kong's order. */
  readonly anyHost: Candidates;
  /** Every entry in Kong's order. */
  readonly routes: readonly RouteEntry[];
  readonly services: readonly ServiceEntry[];
  readonly upstreams: readonly UpstreamEntry[];
}

/**
 * The routes one host can match, in Kong's order. Past a handful they are also indexed by
 * prefix: one map lookup per distinct prefix length finds the prefix routes that can match, so a
 * thousand paths on one host cost what a few do; `rest` holds the regex and path-less ones.
 */
export interface Candidates {
  readonly entries: readonly Candidate[];
  readonly index: {
    readonly lengths: readonly number[];
    readonly byPrefix: ReadonlyMap<string, readonly Candidate[]>;
    readonly rest: readonly Candidate[];
  } | null;
}

const INDEX_FROM = 16;

const byRank = (a: Candidate, b: Candidate) => a.entry.rank - b.entry.rank;

function candidates(list: readonly Candidate[]): Candidates {
  const entries = [...list].sort(byRank);
  if (entries.length < INDEX_FROM) return { entries, index: null };
  const byPrefix = new Map<string, Candidate[]>();
  const rest: Candidate[] = [];
  for (const c of entries) {
    if (c.entry.prefixes.length === 0) rest.push(c);
    for (const p of c.entry.prefixes) {
      const l = byPrefix.get(p);
      if (l === undefined) byPrefix.set(p, [c]);
      else if (l[l.length - 1] !== c) l.push(c);
    }
  }
  const lengths = [...new Set([...byPrefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
  return { entries, index: { lengths, byPrefix, rest } };
}

interface Carry {
  health: Map<string, TargetHealth>;
  loads: Map<string, TargetLoad>;
  balancers: Map<string, { sig: string; balancer: Balancer<unknown> }>;
}

function carryFrom(prev: RoutingTable | undefined): Carry {
  const health = new Map<string, TargetHealth>();
  const loads = new Map<string, TargetLoad>();
  const balancers = new Map<string, { sig: string; balancer: Balancer<unknown> }>();
  for (const u of prev?.upstreams ?? []) {
    for (const t of u.targets) {
      health.set(t.key, t.health);
      loads.set(t.key, t.load);
    }
    balancers.set(u.key, { sig: sigOf(u.targets.map((t) => [t.address, t.weight])), balancer: u.balancer as Balancer<unknown> });
  }
  for (const s of prev?.services ?? []) {
    balancers.set(s.key, { sig: sigOf(s.balancer.peers.map((u, i) => [u.key, s.balancer.weights[i] as number])), balancer: s.balancer as Balancer<unknown> });
  }
  return { health, loads, balancers };
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

/**
 * Kong's slow start for the latency balancer (latency.lua `afterHostUpdate`): a target it has
 * not measured starts at the mean of those it has, rather than at 0, which would send it every
 * request until its first answer.
 */
function slowStart(targets: readonly TargetEntry[], known: (key: string) => boolean): void {
  const measured = targets.filter((t) => known(t.key) && t.load.touched > -Infinity);
  if (measured.length === 0) return;
  const ewma = measured.reduce((a, t) => a + t.load.ewma, 0) / measured.length;
  const touched = Math.max(...measured.map((t) => t.load.touched));
  for (const t of targets) if (!known(t.key)) Object.assign(t.load, { ewma, touched });
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
    return { key, address, host, port, weight, slot: undefined, health, load: carry.loads.get(key) ?? newLoad() };
  };
  // A stopped app takes no traffic; its routes go on serving their other apps.
  const stopped = stoppedApps(state);
  const upstreamEntry = (u: Upstream): UpstreamEntry => {
    const off = stopped.has(u.name);
    const targets = u.targets.map((t) => targetEntry(targetKey(u.id, t.target), t.target, weightInForce(t.weight, off), t.manual_health));
    if (u.algorithm === 'latency') slowStart(targets, (k) => carry.loads.has(k));
    return {
      key: u.id,
      name: u.name,
      healthchecks: u.healthchecks,
      hostHeader: u.host_header,
      targets,
      balancer: balancerFor(carry, u.id, targets, targets.map((t) => [t.address, t.weight])),
      algorithm: u.algorithm,
      hash: u.algorithm === 'consistent-hashing' ? keyPlan(u) : null,
      hashing: hashingOf(u),
      seeds: Uint32Array.from(targets, (t) => hashString(t.address)),
      loads: targets.map((t) => t.load),
      tracksLoad: u.algorithm === 'least-connections' || u.algorithm === 'latency',
      turn: { n: 0 },
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
      const address = formatHostPort(s.host, s.port);
      const t = targetEntry(targetKey(s.id, address), address, 100);
      ups = [
        {
          key: `${s.id}/literal`,
          name: address,
          healthchecks: null,
          hostHeader: null,
          targets: [t],
          balancer: balancerFor(carry, `${s.id}/literal`, [t], [[address, 100]]),
          algorithm: 'round-robin',
          hash: null,
          hashing: NO_HASHING,
          seeds: Uint32Array.of(hashString(address)),
          loads: [t.load],
          tracksLoad: false,
          turn: { n: 0 },
          slot: undefined,
        },
      ];
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
      hash: ups.length > 1 ? keyPlan(s) : null,
      seeds: Uint32Array.from(ups, (u) => hashString(u.name)),
      tracksLoad: ups.some((u) => u.tracksLoad),
      path: s.path,
      retries: s.retries,
      slot: undefined,
    });
  }

  const routes = routeEntries(state, serviceEntries);
  const byHost = new Map<string, Candidate[]>();
  const wildcard: WildcardCandidate[] = [];
  const anyHost: Candidate[] = [];
  for (const entry of routes) {
    const hosts = entry.route.hosts;
    if (!hosts || hosts.length === 0) {
      anyHost.push({ entry, port: 0 });
      continue;
    }
    for (const h of hosts) {
      const p = parseRouteHost(h);
      if (p.suffix || p.prefix) wildcard.push({ entry, port: p.port, suffix: p.suffix, prefix: p.prefix });
      else {
        const list = byHost.get(p.host) ?? [];
        list.push({ entry, port: p.port });
        byHost.set(p.host, list);
      }
    }
  }
  const hosts = new Map<string, Candidates>();
  for (const [h, list] of byHost) hosts.set(h, candidates(list));

  return {
    version,
    byHost: hosts,
    wildcard: wildcard.sort(byRank),
    anyHost: candidates(anyHost),
    routes,
    services: [...serviceEntries.values()],
    upstreams: [...upstreamEntries.values()],
  };
}

/**
 * Kong's matchers, in Kong's order: each route split by path group, each group with its
 * priority, everything a request needs precompiled (regexes, lower-cased header values).
 */
function routeEntries(state: State, serviceEntries: ReadonlyMap<string, ServiceEntry>): RouteEntry[] {
  const out: Omit<RouteEntry, 'rank'>[] = [];
  for (const r of state.routes) {
    const service = r.service ? (serviceEntries.get(r.service.id) ?? null) : null;
    const name = r.name ?? r.id;
    const methods = r.methods && r.methods.length ? r.methods : null;
    const headers = r.headers && Object.keys(r.headers).length ? r.headers : null;
    const headerRules = headers === null ? null : Object.entries(headers).map(([k, vs]) => headerRule(k, vs));
    const groups = r.paths && r.paths.length ? groupPaths(r.paths) : [null];
    groups.forEach((paths, i) => {
      const regex = paths !== null && isRegexPath(paths[0] as string);
      const id = groups.length > 1 ? splitRouteId(r.id, i + 1) : r.id;
      // Compared with the normalised request path, where a byte above 0x7F is `%XX`.
      const prefixes = paths === null || regex ? [] : paths.map(encodeNonAscii);
      out.push({
        key: r.id,
        route: r,
        name,
        prefixes,
        regexes: regex ? paths.map(compilePathRegex) : [],
        prefixLength: prefixes[0]?.length ?? 0,
        methods,
        headers: headerRules,
        httpAllowed: r.protocols.includes('http'),
        httpsRedirect: r.https_redirect_status_code ?? 426,
        pathHandling: r.path_handling ?? 'v0',
        priority: priorityOf({
          id,
          methods,
          hosts: r.hosts,
          headers,
          paths,
          regex_priority: r.regex_priority ?? 0,
        }),
        service,
        slot: undefined,
      });
    });
  }
  out.sort((a, b) => comparePriority(a.priority, b.priority));
  return out.map((e, rank) => ({ ...e, rank }));
}

function headerRule(name: string, values: readonly string[]): HeaderRule {
  const plain: string[] = [];
  const regexes: RegExp[] = [];
  // As Kong: the header's values and the route's (regexes too) are compared lower-cased.
  for (const v of values) {
    if (v.startsWith('~*')) regexes.push(new RegExp(v.slice(2).toLowerCase()));
    else plain.push(v.toLowerCase());
  }
  // Kong reads `x_foo` and `x-foo` as the same header (nginx's $http_x_foo).
  return { name: name.toLowerCase().replace(/_/g, '-'), values: plain, regexes };
}

function encodeNonAscii(p: string): string {
  return /[^ -~]/.test(p) ? p.replace(/[\u0080-\uffff]+/g, (c) => encodeURIComponent(c)) : p;
}

/** What a request brings to matching besides host, path and method. */
export interface HeaderSource {
  /** Each header's values, one per header line (Node's `IncomingMessage.headersDistinct`). */
  readonly headersDistinct: Readonly<Record<string, readonly string[] | undefined>>;
}

const NO_HEADERS: HeaderSource = { headersDistinct: {} };

/** Where `match` leaves how much of the path the route matched (0: none, for a route without paths). */
export interface MatchOut {
  matched: number;
}

/** Each target's health as the request path sees it, by key (a key the table does not hold: healthy). */
export function tableHealth(table: RoutingTable): HealthOf {
  const down = new Set<string>();
  for (const u of table.upstreams) for (const t of u.targets) if (!t.health.healthy) down.add(t.key);
  return (key) => !down.has(key);
}

/**
 * Host header (any case, with or without port), normalised path (no query) and method → the
 * route entry Kong would pick: the highest priority among every route that matches. A host's
 * port, when the Host header has none, is the port the request arrived on (`localPort`).
 */
export function match(
  table: RoutingTable,
  hostHeader: string | undefined,
  path: string,
  method: string,
  localPort = 0,
  headers: HeaderSource = NO_HEADERS,
  out: MatchOut | null = null,
): RouteEntry | undefined {
  let host = hostHeader ?? '';
  let port = localPort;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') < colon) {
    const p = Number(host.slice(colon + 1));
    if (p > 0) port = p;
    host = host.slice(0, colon);
  }
  return matchHost(table, host.toLowerCase(), port, path, method, headers, out);
}

/** `match` for a host already lower-cased and split from its port. */
export function matchHost(
  table: RoutingTable,
  host: string,
  port: number,
  path: string,
  method: string,
  headers: HeaderSource,
  out: MatchOut | null,
): RouteEntry | undefined {
  const sink = out ?? SCRATCH;
  let best: RouteEntry | undefined;
  let matched = 0;
  const exact = table.byHost.get(host);
  if (
    exact !== undefined &&
    (best = firstIn(exact, Infinity, port, path, method, headers, sink)) !== undefined
  )
    matched = sink.matched;
  const wild = table.wildcard;
  for (let i = 0; i < wild.length; i++) {
    const w = wild[i] as WildcardCandidate;
    if (best !== undefined && w.entry.rank >= best.rank) break;
    if (w.suffix ? !host.endsWith(w.suffix) : !host.startsWith(w.prefix)) continue;
    if (fits(w, port, path, method, headers, sink)) {
      best = w.entry;
      matched = sink.matched;
      break;
    }
  }
  const any = firstIn(
    table.anyHost,
    best === undefined ? Infinity : best.rank,
    port,
    path,
    method,
    headers,
    sink,
  );
  if (any !== undefined) return any;
  sink.matched = matched;
  return best;
}

const SCRATCH: MatchOut = { matched: 0 };

/** The first candidate (in Kong's order, ranked below `bound`) that matches. */
function firstIn(
  c: Candidates,
  bound: number,
  port: number,
  path: string,
  method: string,
  headers: HeaderSource,
  out: MatchOut,
): RouteEntry | undefined {
  const index = c.index;
  if (index === null) return scan(c.entries, bound, port, path, method, headers, out);
  let best: RouteEntry | undefined;
  let matched = 0;
  for (let i = 0; i < index.lengths.length; i++) {
    const len = index.lengths[i] as number;
    if (path.length < len) continue;
    const list = index.byPrefix.get(path.slice(0, len));
    if (list === undefined) continue;
    const m = scan(list, bound, port, path, method, headers, out);
    if (m !== undefined) {
      best = m;
      bound = m.rank;
      matched = out.matched;
    }
  }
  const m = scan(index.rest, bound, port, path, method, headers, out);
  if (m !== undefined) return m;
  out.matched = matched;
  return best;
}

function scan(
  list: readonly Candidate[],
  bound: number,
  port: number,
  path: string,
  method: string,
  headers: HeaderSource,
  out: MatchOut,
): RouteEntry | undefined {
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as Candidate;
    if (c.entry.rank >= bound) return undefined;
    if (fits(c, port, path, method, headers, out)) return c.entry;
  }
  return undefined;
}

/** Does the request match this candidate (port, method, path, headers)? Sets `out.matched`. */
function fits(
  c: Candidate,
  port: number,
  path: string,
  method: string,
  headers: HeaderSource,
  out: MatchOut,
): boolean {
  if (c.port !== 0 && c.port !== port) return false;
  const e = c.entry;
  if (e.methods !== null && !e.methods.includes(method)) return false;
  let matched = 0;
  if (e.prefixes.length > 0) {
    if (path.length < e.prefixLength) return false;
    let hit = false;
    for (let i = 0; i < e.prefixes.length && !hit; i++) hit = path.startsWith(e.prefixes[i] as string);
    if (!hit) return false;
    matched = e.prefixLength;
  } else if (e.regexes.length > 0) {
    let m: RegExpExecArray | null = null;
    for (let i = 0; i < e.regexes.length && m === null; i++) m = (e.regexes[i] as RegExp).exec(path);
    if (m === null) return false;
    matched = m[0].length;
  }
  if (e.headers !== null && !headersMatch(e.headers, headers)) return false;
  out.matched = matched;
  return true;
}

function headersMatch(rules: readonly HeaderRule[], headers: HeaderSource): boolean {
  const all = headers.headersDistinct;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as HeaderRule;
    const got = all[rule.name];
    if (got === undefined) return false;
    let any = false;
    for (let j = 0; j < got.length && !any; j++) {
      const v = (got[j] as string).toLowerCase();
      any = rule.values.includes(v) || rule.regexes.some((re) => re.test(v));
    }
    if (!any) return false;
  }
  return true;
}

/**
 * The URL the upstream is asked for: the normalised path joined with the service's path as the
 * route's path_handling says, escaped as Kong escapes it, then the query as the client sent it.
 */
export function upstreamUrl(entry: RouteEntry, path: string, matched: number, rawUrl: string): string {
  const joined = joinUpstreamPath(
    entry.pathHandling,
    entry.route.strip_path,
    entry.service?.path ?? null,
    path,
    matched,
  );
  const q = rawUrl.indexOf('?');
  return q === -1 ? escapePath(joined) : escapePath(joined) + rawUrl.slice(q);
}

/** `upstreamUrl` from a raw URL alone (tests, and callers that did not match themselves). */
export function upstreamPath(entry: RouteEntry, rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const path = normalizePath(q === -1 ? rawUrl : rawUrl.slice(0, q));
  let matched = 0;
  if (entry.prefixes.length > 0) matched = entry.prefixLength;
  else
    for (const re of entry.regexes) {
      const m = re.exec(path);
      if (m) {
        matched = m[0].length;
        break;
      }
    }
  return upstreamUrl(entry, path, matched, rawUrl);
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

/**
 * The service's next upstream among those with a target that can take traffic (and was not
 * tried). With a `key` (`requestKey` of the service's `hash`), the sticky one: the key's
 * rendezvous pick by the split's weights; without (-1), smooth WRR.
 */
export function pickUpstream(service: ServiceEntry, tried: readonly TargetEntry[] | null = null, key = -1): UpstreamEntry | undefined {
  const b = service.balancer;
  if (key === -1 || service.hash === null) return b.pick(upstreamUp, tried ?? NOTHING_TRIED);
  const i = rendezvous(b.peers, b.weights, service.seeds, key, upstreamUp, tried ?? NOTHING_TRIED);
  return i === -1 ? undefined : b.peers[i];
}

/**
 * The upstream's next healthy target (not among `tried`) by its algorithm, or undefined when
 * there is none. `key`: the request's (`requestKey` of the upstream's `hash`; -1 without one,
 * which round-robin takes); `now` (ms): the clock the latency EWMAs are kept on.
 */
export function pickTarget(u: UpstreamEntry, tried: readonly TargetEntry[] | null = null, key = -1, now = 0): TargetEntry | undefined {
  const b = u.balancer;
  const ctx = tried ?? NOTHING_TRIED;
  let i: number;
  switch (u.algorithm) {
    case 'round-robin':
      return b.pick(targetUp, ctx);
    case 'consistent-hashing':
      if (key === -1) return b.pick(targetUp, ctx);
      i = rendezvous(b.peers, b.weights, u.seeds, key, targetUp, ctx);
      break;
    case 'least-connections':
      i = leastLoaded(b.peers, b.weights, u.loads, u.turn.n++ % b.peers.length, targetUp, ctx);
      break;
    case 'latency':
      i = fastest(b.peers, b.weights, u.loads, u.turn.n++ % b.peers.length, now, targetUp, ctx);
      break;
  }
  return i === -1 ? undefined : b.peers[i];
}

/** An attempt went to `t` (least-connections and latency count it; the others pay nothing). */
export function attemptStarted(u: UpstreamEntry, t: TargetEntry): void {
  if (u.tracksLoad) t.load.active++;
}

/** The attempt on `t` ended after `ms` (at `now`, on pickTarget's clock): Kong's afterBalance. */
export function attemptEnded(u: UpstreamEntry, t: TargetEntry, ms: number, now: number): void {
  if (!u.tracksLoad) return;
  if (t.load.active > 0) t.load.active--;
  if (u.algorithm === 'latency') observe(t.load, ms, now);
}
