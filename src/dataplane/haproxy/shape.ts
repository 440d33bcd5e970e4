/**
 * The desired state's shape (backends, servers, route maps) and the names it shares with a
 * running HAProxy: map files, the pin header, spare backends, the variable holding each
 * backend's static signature, and the limits of the generated rules.
 */
import { createHash } from 'node:crypto';
import { serviceSchema } from '../../core/schema.js';

export const HAPROXY_MAX_WEIGHT = 256;
/** The backend a route without a usable service goes to (and HAProxy's default backend): 503. */
export const UNAVAILABLE_BACKEND = 'switchyard_unavailable';
/** Map files, found again at runtime by these names in `show map`. */
export const HOSTS_MAP = 'switchyard-hosts.map';
export const PATHS_MAP = 'switchyard-paths.map';
/** Wildcard hosts (`*.example.com`, `example.*`): regular expressions on host + path, in matching order. */
export const WILDCARDS_MAP = 'switchyard-wildcards.map';
/**
 * Routes with `methods`: the same three tiers keyed `METHOD@key`, for each method some route names.
 * For such a method they hold every route that takes it (with methods or without), so the
 * longest prefix still wins across both kinds; other methods fall through to the plain maps,
 * which hold only the routes without methods.
 */
export const HOST_METHODS_MAP = 'switchyard-host-methods.map';
export const WILDCARD_METHODS_MAP = 'switchyard-wildcard-methods.map';
export const PATH_METHODS_MAP = 'switchyard-path-methods.map';
/**
 * The `X-Switchyard-Upstream` pin: `backend/upstream` → how many targets it has to pick from
 * (PIN_COUNTS_MAP), and `backend/upstream/i` → the i-th one's server name (PINS_MAP).
 */
export const PIN_HEADER = 'x-switchyard-upstream';
export const PIN_COUNTS_MAP = 'switchyard-pin-counts.map';
export const PINS_MAP = 'switchyard-pins.map';
/** Spare backends (`sy_spare_1`…), for services added after the configuration was written. */
export const SPARE_PREFIX = 'sy_spare_';
/** Which service each spare backend carries: `sy_spare_2 web-green`. */
export const SPARES_MAP = 'switchyard-spares.map';
/** Every map file switchyard writes and keeps up to date at runtime. */
export const ALL_MAPS = [
  HOSTS_MAP,
  PATHS_MAP,
  WILDCARDS_MAP,
  HOST_METHODS_MAP,
  WILDCARD_METHODS_MAP,
  PATH_METHODS_MAP,
  PINS_MAP,
  PIN_COUNTS_MAP,
  SPARES_MAP,
] as const;
export const DEFAULT_SPARES = 16;
/** A spare backend is written with Kong's service defaults: 60 s timeouts, 5 retries, no checks. */
export const SPARE_DEFAULTS = {
  connectMs: serviceSchema.connect_timeout.default,
  serverMs: serviceSchema.read_timeout.default,
  retries: serviceSchema.retries.default,
} as const;
/** The process-wide variable holding each backend's signature of what the runtime API cannot change. */
export const STATIC_VAR = 'proc.switchyard_static';
/** Prefixes longer than this cannot be stripped by the generated rules (10 bits of `regsub`). */
export const MAX_STRIP = 1023;

export type ServerState = 'ready' | 'drain' | 'maint';

export interface CheckSpec {
  readonly type: 'http' | 'https' | 'tcp';
  readonly path: string;
  /** Over TLS (Kong's active `type: https`): the SNI (`https_sni`) and whether to verify. */
  readonly tls: { readonly sni: string | null; readonly verify: boolean } | null;
  readonly interMs: number;
  readonly fall: number;
  readonly rise: number;
}

export interface DesiredServer {
  readonly backend: string;
  readonly name: string;
  /** The table's target key (`upstreamId/host:port`). */
  readonly key: string;
  readonly upstream: string;
  /** `host:port` as in the table. */
  readonly target: string;
  /** Without IPv6 brackets, as HAProxy reports it. */
  readonly host: string;
  readonly port: number;
  /** 0..256 */
  readonly weight: number;
  /** `ready` when the weight is above 0, `drain` otherwise. */
  readonly state: ServerState;
  /** The target's own weight in its upstream (0..65535): a pinned request picks among those above 0. */
  readonly targetWeight: number;
  readonly check: CheckSpec | null;
  /**
   * An https service's server: reached over TLS, verified (against the system CAs) when the
   * service's tls_verify is true, with the SNI the in-process proxy sends (host_header, else the
   * target's host; none for an IP address).
   */
  readonly tls: { readonly verify: boolean; readonly sni: string | null } | null;
}

export interface DesiredBackend {
  readonly name: string;
  readonly service: string;
  readonly serviceKey: string;
  readonly servers: readonly DesiredServer[];
  readonly connectMs: number;
  readonly serverMs: number;
  readonly retries: number;
  /** `GET /path` when any server has an HTTP check, else null. */
  readonly httpchk: string | null;
  /** Headers the HTTP checks send (Kong's active `headers`), `[name, value]` in order. */
  readonly checkHeaders: readonly (readonly [string, string])[];
  /**
   * How the backend balances: `balance …` and what it needs beside it (Kong's algorithm and
   * hashing, as far as HAProxy expresses them); `['balance roundrobin']` for round-robin.
   */
  readonly balance: readonly string[];
  /** What only a reload can change (timeouts, retries, checks, balance): compared with the running config's. */
  readonly signature: string;
}

export interface Desired {
  readonly version: number;
  readonly backends: readonly DesiredBackend[];
  /** `host/prefix` → `backend|strip|base`, sorted by key. */
  readonly hosts: ReadonlyMap<string, string>;
  /** `/prefix` → `backend|strip|base`, for routes without hosts. */
  readonly paths: ReadonlyMap<string, string>;
  /** `^[^/]*[.]example[.]com/prefix` → `backend|strip|base`, in the order they are tried (the first match wins). */
  readonly wildcards: ReadonlyMap<string, string>;
  /** `GET@host/prefix`, `^GET@…` (in order) and `GET@/prefix`: see HOST_METHODS_MAP. */
  readonly hostMethods: ReadonlyMap<string, string>;
  readonly wildcardMethods: ReadonlyMap<string, string>;
  readonly pathMethods: ReadonlyMap<string, string>;
  /** What this table asks for that the HAProxy data plane does not express. */
  readonly warnings: readonly string[];
  /**
   * Of those, the balancing HAProxy has no word for (latency, uri_capture, a hash_fallback, an
   * algorithm within a split): a fleet refuses such a change rather than balance otherwise.
   */
  readonly refusals: readonly string[];
  /** `backend=signature;…`, what the config stores in STATIC_VAR. */
  readonly staticSignature: string;
}

export function hash(s: string): string {
  return createHash('sha1').update(s).digest('hex').slice(0, 10);
}

/** `backend=sig;…` → Map. */
export function parseStaticSignature(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}
