/**
 * Compiling the state into a routing table: every route split into Kong's matchers and ranked in
 * Kong's order, per-host candidate lists (indexed by prefix past a handful), balancers, and what
 * carries over from the previous table (health, loads, balancers whose weights did not change).
 * Everything a request needs is made here, once, so the request path allocates nothing.
 */
import { Balancer, hashString, newLoad, type TargetLoad } from '../balancer.js';
import { keyPlan } from '../sticky.js';
import { effectiveSplit, serviceLabel, type ManualHealth, type State, type Upstream } from '../model.js';
import {
  comparePriority,
  compilePathRegex,
  groupPaths,
  isRegexPath,
  parseRouteHost,
  priorityOf,
  splitRouteId,
} from '../router.js';
import { formatHostPort, hashingOf, NO_HASHING, parseHostPort } from '../schema.js';
import { stoppedApps, targetKey, weightInForce } from '../traffic.js';
import {
  newHealth,
  type Candidate,
  type Candidates,
  type HeaderRule,
  type RouteEntry,
  type RoutingTable,
  type ServiceEntry,
  type TargetEntry,
  type TargetHealth,
  type UpstreamEntry,
  type WildcardCandidate,
} from './entries.js';

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
    balancers.set(u.key, {
      sig: sigOf(u.targets.map((t) => [t.address, t.weight])),
      balancer: u.balancer as Balancer<unknown>,
    });
  }
  for (const s of prev?.services ?? []) {
    balancers.set(s.key, {
      sig: sigOf(s.balancer.peers.map((u, i) => [u.key, s.balancer.weights[i] as number])),
      balancer: s.balancer as Balancer<unknown>,
    });
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
function balancerFor<T>(
  carry: Carry,
  key: string,
  peers: readonly T[],
  pairs: readonly (readonly [string, number])[],
): Balancer<T> {
  const sig = sigOf(pairs);
  const old = carry.balancers.get(key);
  return new Balancer(
    peers,
    pairs.map((p) => p[1]),
    old && old.sig === sig ? old.balancer : undefined,
  );
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
      Object.assign(health, {
        healthy: mark?.verdict !== 'unhealthy',
        markSeq: mark?.seq ?? 0,
        successes: 0,
        tcpFailures: 0,
        httpFailures: 0,
        timeouts: 0,
      });
    }
    return {
      key,
      address,
      host,
      port,
      weight,
      slot: undefined,
      health,
      load: carry.loads.get(key) ?? newLoad(),
    };
  };
  // A stopped app takes no traffic; its routes go on serving their other apps.
  const stopped = stoppedApps(state);
  const upstreamEntry = (u: Upstream): UpstreamEntry => {
    const off = stopped.has(u.name);
    const targets = u.targets.map((t) =>
      targetEntry(targetKey(u.id, t.target), t.target, weightInForce(t.weight, off), t.manual_health),
    );
    if (u.algorithm === 'latency') slowStart(targets, (k) => carry.loads.has(k));
    return {
      key: u.id,
      name: u.name,
      healthchecks: u.healthchecks,
      hostHeader: u.host_header,
      targets,
      balancer: balancerFor(
        carry,
        u.id,
        targets,
        targets.map((t) => [t.address, t.weight]),
      ),
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
      balancer: balancerFor(
        carry,
        s.id,
        ups,
        ups.map((u, i) => [u.key, weights[i] as number]),
      ),
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
