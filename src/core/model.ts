/**
 * The model: Route ──▶ Service ──▶ [(Upstream, weight)…] ──▶ Upstream ──▶ [(Target, weight)…].
 * Field names are Kong's, so the admin API and the declarative YAML are the model itself.
 * State is immutable: every command returns a new State and never touches the old one.
 */
import type { Algorithm, Hashing } from './schema.js';

export interface Target {
  readonly id: string;
  /** `host:port` */
  readonly target: string;
  /** 0..65535; 0 receives nothing. */
  readonly weight: number;
  readonly created_at: number;
  readonly tags: readonly string[] | null;
  /**
   * The operator's last verdict on the target's health (Kong's `POST …/targets/{t}/healthy` and
   * `/unhealthy`), a switchyard extension kept in the state so that it is saved, undone and seen
   * by every surface as a change. `seq` counts the marks, so that marking a target healthy again
   * (after the health checks took it out) is a change too. Absent: never marked.
   */
  readonly manual_health?: ManualHealth;
}

export interface ManualHealth {
  readonly verdict: 'healthy' | 'unhealthy';
  readonly seq: number;
}

/** Kong's health checks of an upstream's targets; counters and intervals of 0 are off. */
export interface Healthchecks {
  readonly active: {
    readonly type: 'http' | 'https' | 'tcp';
    readonly http_path: string;
    /** With `type: https`: the SNI to send; null: the host the proxy would use (host_header, else the target's host). */
    readonly https_sni: string | null;
    readonly https_verify_certificate: boolean;
    /** Headers sent with each probe (Kong's `headers`: name → values). */
    readonly headers: Readonly<Record<string, readonly string[]>> | null;
    /** Seconds. */
    readonly timeout: number;
    readonly concurrency: number;
    readonly healthy: { readonly interval: number; readonly http_statuses: readonly number[]; readonly successes: number };
    readonly unhealthy: { readonly interval: number; readonly http_statuses: readonly number[]; readonly tcp_failures: number; readonly timeouts: number; readonly http_failures: number };
  };
  readonly passive: {
    readonly type: 'http' | 'https' | 'tcp';
    readonly healthy: { readonly http_statuses: readonly number[]; readonly successes: number };
    readonly unhealthy: { readonly http_statuses: readonly number[]; readonly tcp_failures: number; readonly timeouts: number; readonly http_failures: number };
  };
  readonly threshold: number;
}

/** Kong's upstream: its algorithm and (for `consistent-hashing`) what the hash key is read from. */
export interface Upstream extends Hashing {
  readonly id: string;
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly slots: number;
  readonly host_header: string | null;
  readonly healthchecks: Healthchecks;
  readonly targets: readonly Target[];
  readonly created_at: number;
  readonly updated_at: number;
  readonly tags: readonly string[] | null;
}

/** One upstream's part in a service's split; weights split traffic in proportion to their sum. */
export interface SplitEntry {
  readonly name: string;
  readonly weight: number;
}

/** With Kong's hashing fields (switchyard's extension): `hash_on` other than none makes the split sticky. */
export interface Service extends Hashing {
  readonly id: string;
  readonly name: string | null;
  /** How the proxy reaches the service's targets (every upstream of its split): the service decides, as in Kong. */
  readonly protocol: 'http' | 'https' | 'ws' | 'wss';
  /** An upstream name or a literal hostname/IP (then `port` applies). */
  readonly host: string;
  readonly port: number;
  readonly path: string | null;
  readonly retries: number;
  readonly connect_timeout: number;
  readonly write_timeout: number;
  readonly read_timeout: number;
  readonly enabled: boolean;
  /** https only: verify the target's certificate; null is Kong's default (`proxy_ssl_verify off`): not verified. */
  readonly tls_verify: boolean | null;
  /** https only: the longest certificate chain accepted when verifying; null: OpenSSL's default. */
  readonly tls_verify_depth: number | null;
  /** switchyard's extension: the weighted split over upstreams. Empty = all to `host`. */
  readonly upstreams: readonly SplitEntry[];
  readonly created_at: number;
  readonly updated_at: number;
  readonly tags: readonly string[] | null;
}

export interface Route {
  readonly id: string;
  readonly name: string | null;
  readonly protocols: readonly string[];
  readonly methods: readonly string[] | null;
  readonly hosts: readonly string[] | null;
  readonly paths: readonly string[] | null;
  /**
   * Kong's header matching (name → values, any of which matches; `~*…` a regex), its regex
   * priority, path handling and plain-HTTP answer. Absent in a state saved before they existed:
   * Kong's defaults (null, 0, 'v0', 426).
   */
  readonly headers?: Readonly<Record<string, readonly string[]>> | null;
  readonly regex_priority?: number;
  readonly path_handling?: 'v0' | 'v1';
  readonly https_redirect_status_code?: number;
  readonly strip_path: boolean;
  readonly preserve_host: boolean;
  readonly service: { readonly id: string } | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly tags: readonly string[] | null;
}

/**
 * An app (Kf, SAP): an upstream of the same name with a lifecycle. Its instances are the
 * addresses in `targets`, or local processes started from `command` by the supervisor, which
 * keeps the upstream's targets equal to the instances that answer.
 */
export interface App {
  readonly id: string;
  readonly name: string;
  readonly state: 'started' | 'stopped';
  readonly command: string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly instances: number;
  /** Addresses given by the user (`push --target`); null for a process app. */
  readonly targets: readonly string[] | null;
  readonly health_path: string | null;
  readonly cwd: string | null;
  /** Bumped by every push and restart: instances of older generations are replaced, rolling. */
  readonly generation: number;
  readonly created_at: number;
  readonly updated_at: number;
  readonly tags: readonly string[] | null;
}

export type DeploymentState = 'deploying' | 'pending' | 'resuming' | 'resumed' | 'aborted' | 'failed';

/** One module of a blue-green deployment: the live app, the new one, their routes. */
export interface DeploymentModule {
  readonly name: string;
  /** The app serving the productive routes before this deployment (null on a first deploy). */
  readonly old_app: string | null;
  readonly new_app: string;
  /** Productive routes, `HOST.DOMAIN[/PATH]`. */
  readonly routes: readonly string[];
  /** Where the new version answers while pending: `HOST-idle.DOMAIN[/PATH]`. */
  readonly temp_routes: readonly string[];
}

/** SAP's `bg-deploy`: deploying → pending (resume | abort) → resumed | aborted, or failed. */
export interface Deployment {
  readonly id: string;
  readonly mta: string;
  readonly version: string | null;
  readonly state: DeploymentState;
  readonly modules: readonly DeploymentModule[];
  /** Gradual resume: percentages of traffic for the new version, one step per interval. */
  readonly steps: readonly number[] | null;
  readonly interval_ms: number | null;
  readonly max_error_rate: number | null;
  readonly max_p99_ms: number | null;
  /** Index into `steps` while resuming gradually. */
  readonly step: number | null;
  readonly step_started_at: number | null;
  readonly message: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface State {
  readonly upstreams: readonly Upstream[];
  readonly services: readonly Service[];
  readonly routes: readonly Route[];
  readonly apps: readonly App[];
  readonly deployments: readonly Deployment[];
}

export const emptyState: State = Object.freeze({ upstreams: [], services: [], routes: [], apps: [], deployments: [] });

/** What a command needs from the outside world, passed in so commands stay pure. */
export interface Context {
  /** Seconds since the epoch. */
  readonly now: number;
  readonly newId: () => string;
}

export function byNameOrId<T extends { id: string; name: string | null }>(list: readonly T[], key: string): T | undefined {
  return list.find((e) => e.id === key) ?? list.find((e) => e.name === key);
}

export function serviceLabel(s: Service): string {
  return s.name ?? s.id;
}

export function routeLabel(r: Route): string {
  return r.name ?? r.hosts?.[0] ?? r.paths?.[0] ?? r.id;
}

/**
 * The split a service actually routes by: its `upstreams` entries, or all to `host` when that
 * names an upstream. `undefined` means `host` is a literal address.
 */
export function effectiveSplit(state: State, s: Service): readonly SplitEntry[] | undefined {
  if (s.upstreams.length > 0) return s.upstreams;
  if (state.upstreams.some((u) => u.name === s.host)) return [{ name: s.host, weight: 100 }];
  return undefined;
}
