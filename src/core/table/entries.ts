/**
 * The shape of the compiled routing table: an immutable snapshot of the state shaped for the
 * request path (targets, upstreams, services, route matchers, the per-host candidate lists).
 *
 * Core knows nothing of http-proxy: `slot` fields are for the data plane to hang its own
 * per-target objects on, once, so the request path never looks anything up by key.
 */
import type { Balancer, TargetLoad } from '../balancer.js';
import type { KeyPlan } from '../sticky.js';
import type { Healthchecks, Route, Service } from '../model.js';
import type { PathHandling, Priority } from '../router.js';
import type { Algorithm, Hashing } from '../schema.js';

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
