/**
 * One definition of each entity's fields (Kong's `kong/db/schema/entities/*.lua` in miniature):
 * types, defaults and ranges written once and used by the commands, the admin API, the YAML
 * loader and the state file alike.
 */
import type { FieldErrors } from './errors.js';
import { checkHeaderName, checkHeaderValue, checkRoutePath } from './router.js';

export type Field =
  | {
      readonly type: 'string';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: string | null;
      readonly check?: (v: string) => string | undefined;
      readonly oneOf?: readonly string[];
      readonly maxLength?: number;
    }
  | {
      readonly type: 'integer';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: number | null;
      readonly between: readonly [number, number];
      readonly oneOf?: readonly number[];
    }
  | {
      readonly type: 'number';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: number | null;
      readonly between: readonly [number, number];
    }
  | { readonly type: 'boolean'; readonly nullable?: boolean; readonly default?: boolean | null }
  | {
      readonly type: 'array';
      readonly elements: Field;
      readonly default?: readonly unknown[] | null;
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly maxItems?: number;
      readonly minItems?: number;
    }
  | {
      readonly type: 'record';
      readonly fields: Schema;
      readonly nullable?: boolean;
      readonly required?: boolean;
      readonly default?: undefined;
      /** When absent on create, the record with all its defaults (Kong's nested `healthchecks`). */
      readonly filled?: boolean;
    }
  /** String keys to string values (an app's environment). */
  | {
      readonly type: 'map';
      readonly key: (k: string) => string | undefined;
      readonly default?: Readonly<Record<string, string>>;
      readonly maxItems?: number;
    }
  /** String keys to lists of strings (a route's `headers`: name → values). */
  | {
      readonly type: 'multimap';
      readonly key: (k: string) => string | undefined;
      readonly value: (v: string) => string | undefined;
      readonly nullable?: boolean;
      readonly default?: null;
      readonly maxItems?: number;
    };

export type Schema = Readonly<Record<string, Field>>;

type OrNull<F, T> = F extends { readonly nullable: true } ? T | null : T;

/** The value a field validates to, inferred from its definition (a `oneOf` string is its union). */
export type ValueOf<F> = F extends { readonly type: 'string'; readonly oneOf: readonly (infer O extends string)[] }
  ? OrNull<F, O>
  : F extends { readonly type: 'string' }
    ? OrNull<F, string>
    : F extends { readonly type: 'integer' | 'number' }
      ? OrNull<F, number>
      : F extends { readonly type: 'boolean' }
        ? OrNull<F, boolean>
        : F extends { readonly type: 'array'; readonly elements: infer E }
          ? OrNull<F, ValueOf<E>[]>
          : F extends { readonly type: 'record'; readonly fields: infer S extends Schema }
            ? OrNull<F, Created<S>>
            : F extends { readonly type: 'map' }
              ? Record<string, string>
              : F extends { readonly type: 'multimap' }
                ? OrNull<F, Record<string, string[]>>
                : never;

/** Fields present after a `create`: the required ones, those with a default, filled records. */
type Present<S extends Schema> = {
  [K in keyof S]: S[K] extends { readonly required: true } | { readonly filled: true } ? K : S[K] extends { readonly default: infer D } ? (D extends undefined ? never : K) : never;
}[keyof S];

/** What `validate(schema, input, 'create')` gives: defaults filled, required fields there. */
export type Created<S extends Schema> = { -readonly [K in Present<S>]: ValueOf<S[K]> } & { -readonly [K in Exclude<keyof S, Present<S>>]?: ValueOf<S[K]> };
/** What `validate(schema, input, 'update')` gives: only the fields that were sent. */
export type Updated<S extends Schema> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

const MAX_STRING = 1024;
const NAME_RE = /^[A-Za-z0-9.\-_~]+$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How Kong tells an address apart (kong/tools/ip.lua `hostname_type`): 2+ colons is IPv6, digits and dots IPv4. */
export function hostKind(v: string): 'ipv4' | 'ipv6' | 'name' {
  const colons = v.split(':').length - 1;
  if (colons > 1) return 'ipv6';
  return /^[\d.]+$/.test(v.replace(/:/g, '')) ? 'ipv4' : 'name';
}

/** An IPv6 address (no brackets) in its one canonical form (RFC 5952: lower case, longest zero run as `::`), or undefined. */
export function canonicalIpv6(v: string): string | undefined {
  if (!/^[0-9A-Fa-f:]+$/.test(v) || v.includes(':::')) return undefined;
  const halves = v.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const words = groups.map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/**
 * An address as Kong reads it (kong/tools/ip.lua `normalize_ip`): an IPv4 address, an IPv6
 * address (bare, or in brackets with an optional port), or a name, each with an optional port.
 * The host comes back bare (no brackets) and normalized (`01.2.3.4` → `1.2.3.4`, IPv6 in its
 * canonical form); a name as given. A string is the reason it is none of them.
 */
export function parseAddress(v: string): { kind: 'ipv4' | 'ipv6' | 'name'; host: string; port: number | undefined } | string {
  const kind = hostKind(v);
  const portOf = (p: string | undefined): number | undefined | string => {
    if (p === undefined) return undefined;
    const n = Number(p);
    return n > 65535 ? 'invalid port number' : n;
  };
  if (kind === 'ipv4') {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d+))?$/.exec(v);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) return `invalid ipv4 address: ${v}`;
    const port = portOf(m[5]);
    return typeof port === 'string' ? port : { kind, host: m.slice(1, 5).map(Number).join('.'), port };
  }
  if (kind === 'ipv6') {
    const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(v);
    if (!m && (v.includes('[') || v.includes(']'))) return `invalid ipv6 address: ${v}`;
    const host = canonicalIpv6(m ? m[1]! : v);
    if (host === undefined) return `invalid ipv6 address: ${v}`;
    const port = portOf(m?.[2]);
    return typeof port === 'string' ? port : { kind, host, port };
  }
  const m = /^(.*?)(?::(\d+))?$/.exec(v)!;
  const name = m[1]!;
  // Kong's check_hostname: letters, digits, '-', '.', '_'; no label ends in '-', none is empty
  // but a trailing root ('example.com.'). No length limit per label: Kong has none, and upstream
  // names (never resolved) made by tools such as Kong's ingress controller exceed DNS's 63.
  const labels = name.split('.');
  if (!/^[A-Za-z0-9\-._]+$/.test(name) || labels.some((l, i) => l.endsWith('-') || (l === '' && i !== labels.length - 1))) return `invalid hostname: ${v}`;
  const port = portOf(m[2]);
  return typeof port === 'string' ? port : { kind, host: name, port };
}

/** `host:port` for a URL or a target: an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function checkName(v: string): string | undefined {
  if (v.length === 0) return 'length must be at least 1';
  return NAME_RE.test(v) ? undefined : "invalid value '" + v + "': it must only contain alphanumeric and '., -, _, ~' characters";
}

/** A name or an IPv4 address, without a port (an upstream's name, a Kf route's host). */
export function isHostname(v: string): boolean {
  const a = parseAddress(v);
  return typeof a !== 'string' && a.kind !== 'ipv6' && a.port === undefined;
}

/** Kong's `host` typedef (a service's host, an upstream's host_header): any address, no port. */
function checkHost(v: string): string | undefined {
  const a = parseAddress(v);
  if (a === 'invalid port number' || (typeof a !== 'string' && a.port !== undefined)) return 'must not have a port';
  return typeof a === 'string' ? 'invalid value: ' + v : undefined;
}

/**
 * Parses a target, `host[:port]` (the port defaults to 8000, as Kong's targets do; an IPv6
 * address bare, `::1`, or in brackets, `[::1]:8080`). The host comes back bare and normalized.
 */
export function parseHostPort(v: string, defaultPort = 8000): { host: string; port: number } | string {
  const a = parseAddress(v);
  if (a === 'invalid port number' || (typeof a !== 'string' && a.port === 0)) return 'invalid port number';
  // Kong's admin API spec (08-targets_routes_spec) words it without the value.
  if (typeof a === 'string') return 'Invalid target; not a valid hostname or ip address';
  return { host: a.host, port: a.port ?? defaultPort };
}

function checkTarget(v: string): string | undefined {
  const r = parseHostPort(v);
  return typeof r === 'string' ? r : undefined;
}

function checkId(v: string): string | undefined {
  return UUID_RE.test(v) ? undefined : 'expected a valid UUID';
}

function checkPath(v: string): string | undefined {
  if (!v.startsWith('/')) return 'should start with: /';
  if (/\s/.test(v)) return 'must not contain whitespace';
  return undefined;
}

/**
 * A route's host (Kong's `hosts` typedef): at most one `*`, as the leftmost or rightmost label,
 * and otherwise any address with an optional port.
 */
function checkRouteHost(v: string): string | undefined {
  const h = v.replace(/:\d+$/, ''); // the port, if any, is not a label
  const stars = h.split('*').length - 1;
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard';
  if (stars === 1 && !h.startsWith('*.') && !h.endsWith('.*')) return 'invalid wildcard: must be placed at leftmost or rightmost label';
  return typeof parseAddress(v.replace('*', 'wildcard')) === 'string' ? 'invalid hostname: ' + v : undefined;
}

const common = {
  id: { type: 'string', check: checkId },
  created_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  updated_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  tags: { type: 'array', elements: { type: 'string', maxLength: 128 }, nullable: true, maxItems: 64 },
} as const satisfies Schema;

export const targetSchema = {
  ...common,
  target: { type: 'string', required: true, check: checkTarget },
  weight: { type: 'integer', between: [0, 65535], default: 100 },
  upstream: { type: 'record', fields: { id: { type: 'string' }, name: { type: 'string' } }, nullable: true },
} as const satisfies Schema;

const statuses = (def: readonly number[]) => ({ type: 'array', elements: { type: 'integer', between: [100, 999] }, default: def, maxItems: 32 }) as const;
const counter = { type: 'integer', between: [0, 255], default: 0 } as const;
const interval = { type: 'number', between: [0, 65535], default: 0 } as const;

/**
 * Kong's protocols that switchyard does not proxy: named in the refusal, rather than a bare
 * "expected one of", so a Kong config that uses them says what is missing.
 */
const KONG_OTHER_PROTOCOLS = new Set(['grpc', 'grpcs', 'tcp', 'tls', 'tls_passthrough', 'udp']);

/**
 * Kong's service protocols, as far as switchyard goes: http and https, and Kong's WebSocket
 * services `ws` and `wss`, which it proxies as http and https (it passes WebSocket upgrades on
 * every service; plain requests too, where Kong's would refuse them).
 */
export function checkServiceProtocol(v: string): string | undefined {
  if (v === 'http' || v === 'https' || v === 'ws' || v === 'wss') return undefined;
  if (KONG_OTHER_PROTOCOLS.has(v)) return `protocol '${v}' is not supported: switchyard proxies http and https (and ws, wss as them)`;
  return `expected one of: http, https, ws, wss (got '${v}')`;
}

/** Whether a service's targets are reached over TLS. */
export function overTls(protocol: string): boolean {
  return protocol === 'https' || protocol === 'wss';
}

function checkCheckType(v: string): string | undefined {
  if (v === 'grpc' || v === 'grpcs') return `type '${v}' is not supported: switchyard checks targets over http, https or tcp`;
  return undefined;
}

/** Kong's `typedefs.sni`: a hostname, not an IP, without a port. */
function checkSni(v: string): string | undefined {
  if (hostKind(v.replace(/^\[|\]$/g, '')) !== 'name') return 'must not be an IP';
  if (/:\d*$/.test(v)) return 'must not have a port';
  return isHostname(v) ? undefined : 'invalid value: ' + v;
}

/** An HTTP header name (RFC 9110 token). */
/** A header a health probe sends: any token name (Host included), one line of value. */
function checkProbeHeaderName(k: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) ? undefined : `invalid header name '${k}'`;
}

function checkProbeHeaderValue(v: string): string | undefined {
  return /[\r\n]/.test(v) ? 'must be one line' : undefined;
}

/** Kong's upstream `healthchecks`, field for field, with Kong's defaults (0 = off). */
export const healthchecksSchema = {
  active: {
    type: 'record',
    filled: true,
    fields: {
      type: { type: 'string', oneOf: ['http', 'https', 'tcp'], default: 'http', check: checkCheckType },
      http_path: { type: 'string', default: '/', check: checkPath },
      /** With `type: https`: the SNI sent (default: the target's host, or the upstream's host_header). */
      https_sni: { type: 'string', nullable: true, default: null, check: checkSni },
      https_verify_certificate: { type: 'boolean', default: true },
      /** Headers sent with each probe: name → values (Kong's `typedefs.headers`). */
      headers: { type: 'multimap', key: checkProbeHeaderName, value: checkProbeHeaderValue, nullable: true, default: null, maxItems: 64 },
      timeout: { type: 'number', between: [0, 65535], default: 1 },
      concurrency: { type: 'integer', between: [1, 2 ** 31 - 1], default: 10 },
      healthy: { type: 'record', filled: true, fields: { interval, http_statuses: statuses([200, 302]), successes: counter } },
      unhealthy: {
        type: 'record',
        filled: true,
        fields: { interval, http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]), tcp_failures: counter, timeouts: counter, http_failures: counter },
      },
    },
  },
  passive: {
    type: 'record',
    filled: true,
    fields: {
      type: { type: 'string', oneOf: ['http', 'https', 'tcp'], default: 'http', check: checkCheckType },
      healthy: {
        type: 'record',
        filled: true,
        fields: { http_statuses: statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]), successes: counter },
      },
      unhealthy: { type: 'record', filled: true, fields: { http_statuses: statuses([429, 500, 503]), tcp_failures: counter, timeouts: counter, http_failures: counter } },
    },
  },
  threshold: { type: 'number', between: [0, 100], default: 0 },
} as const satisfies Schema;

/** Kong's upstream name: a hostname, never an IP address (kong/db/schema/entities/upstreams.lua). */
function checkUpstreamName(v: string): string | undefined {
  if (!isHostname(v)) return `Invalid name ('${v}'); must be a valid hostname`;
  if (hostKind(v) !== 'name') return `Invalid name ('${v}'); no ip addresses allowed`;
  return undefined;
}

/** An HTTP token (RFC 9110): a header or cookie name a hash key is read from. */
function checkToken(v: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? undefined : `invalid name '${v}': use letters, digits and !#$%&'*+-.^_\`|~`;
}

/** Kong's `hash_on` values; `consumer` is refused by its check (named, not a bare "expected one of"). */
export const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
export type HashOn = (typeof HASH_ON)[number];

function checkHashOn(v: string): string | undefined {
  if (v === 'consumer') return "'consumer' is not supported: switchyard has no consumers (no authentication plugins); hash on 'header', 'cookie' or 'ip' instead";
  return undefined;
}

const hashOn = { type: 'string', oneOf: HASH_ON, default: 'none', check: checkHashOn } as const;
const simpleParam = { type: 'string', nullable: true, default: null, check: (v: string) => (v.length ? undefined : 'length must be at least 1') } as const;

/**
 * Kong's hashing fields of an upstream (kong/db/schema/entities/upstreams.lua), with Kong's
 * defaults. A service takes them too (switchyard's extension): they make its split over
 * upstreams sticky. Which combinations make sense is `checkHashing`.
 */
export const hashingSchema = {
  hash_on: hashOn,
  hash_fallback: hashOn,
  hash_on_header: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_fallback_header: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_on_cookie: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_on_cookie_path: { type: 'string', default: '/', check: checkPath },
  hash_on_query_arg: simpleParam,
  hash_fallback_query_arg: simpleParam,
  hash_on_uri_capture: simpleParam,
  hash_fallback_uri_capture: simpleParam,
} as const satisfies Schema;

export const HASHING_FIELDS = Object.keys(hashingSchema) as readonly (keyof typeof hashingSchema)[];

export interface Hashing {
  readonly hash_on: HashOn;
  readonly hash_fallback: HashOn;
  readonly hash_on_header: string | null;
  readonly hash_fallback_header: string | null;
  readonly hash_on_cookie: string | null;
  readonly hash_on_cookie_path: string;
  readonly hash_on_query_arg: string | null;
  readonly hash_fallback_query_arg: string | null;
  readonly hash_on_uri_capture: string | null;
  readonly hash_fallback_uri_capture: string | null;
}

export const ALGORITHMS = ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Kong's defaults for every hashing field: hashing off. */
export const NO_HASHING: Hashing = Object.freeze({
  hash_on: 'none',
  hash_fallback: 'none',
  hash_on_header: null,
  hash_fallback_header: null,
  hash_on_cookie: null,
  hash_on_cookie_path: '/',
  hash_on_query_arg: null,
  hash_fallback_query_arg: null,
  hash_on_uri_capture: null,
  hash_fallback_uri_capture: null,
});

/** The hashing fields of an entity (an upstream's or a service's), defaults filled. */
export function hashingOf(e: Partial<Hashing>): Hashing {
  const out: Record<string, unknown> = {};
  for (const k of HASHING_FIELDS) out[k] = e[k] ?? NO_HASHING[k];
  return out as unknown as Hashing;
}

/**
 * Kong's entity checks on the hashing fields (upstreams.lua `entity_checks`), each refusal naming
 * the field. `algorithm` is given for an upstream: there hashing means `consistent-hashing`
 * (Kong's shorthand sets it; a hash_on beside another algorithm would do nothing, so it is refused).
 */
export function checkHashing(h: Hashing, algorithm?: Algorithm): FieldErrors {
  const errors: FieldErrors = {};
  const need = (cond: boolean, field: keyof Hashing, what: string) => {
    if (cond && (h[field] === null || h[field] === '')) errors[field] = `required when ${what}`;
  };
  need(h.hash_on === 'header', 'hash_on_header', "hash_on is 'header'");
  need(h.hash_fallback === 'header', 'hash_fallback_header', "hash_fallback is 'header'");
  need(h.hash_on === 'cookie', 'hash_on_cookie', "hash_on is 'cookie'");
  need(h.hash_fallback === 'cookie', 'hash_on_cookie', "hash_fallback is 'cookie'");
  need(h.hash_on === 'query_arg', 'hash_on_query_arg', "hash_on is 'query_arg'");
  need(h.hash_fallback === 'query_arg', 'hash_fallback_query_arg', "hash_fallback is 'query_arg'");
  need(h.hash_on === 'uri_capture', 'hash_on_uri_capture', "hash_on is 'uri_capture'");
  need(h.hash_fallback === 'uri_capture', 'hash_fallback_uri_capture', "hash_fallback is 'uri_capture'");
  if (h.hash_fallback !== 'none') {
    if (h.hash_on === 'none') errors.hash_fallback = "must be 'none' when hash_on is 'none'";
    else if (h.hash_on === 'cookie') errors.hash_fallback = "must be 'none' when hash_on is 'cookie' (a request without the cookie is given one)";
    else if (h.hash_fallback === h.hash_on && (h.hash_on === 'ip' || h.hash_on === 'path')) errors.hash_fallback = `must differ from hash_on ('${h.hash_on}')`;
  }
  const distinct = (a: keyof Hashing, b: keyof Hashing) => {
    if (h[a] !== null && h[a] === h[b] && errors[b] === undefined) errors[b] = `must differ from ${a} ('${String(h[a])}')`;
  };
  distinct('hash_on_header', 'hash_fallback_header');
  distinct('hash_on_query_arg', 'hash_fallback_query_arg');
  distinct('hash_on_uri_capture', 'hash_fallback_uri_capture');
  if (algorithm !== undefined && algorithm !== 'consistent-hashing' && h.hash_on !== 'none' && errors.hash_on === undefined) {
    errors.hash_on = `must be 'none' unless algorithm is 'consistent-hashing' (algorithm is '${algorithm}')`;
  }
  return errors;
}

export const upstreamSchema = {
  ...common,
  name: { type: 'string', required: true, check: checkUpstreamName },
  algorithm: { type: 'string', oneOf: ALGORITHMS, default: 'round-robin' },
  ...hashingSchema,
  slots: { type: 'integer', between: [10, 65536], default: 10000 },
  host_header: { type: 'string', nullable: true, default: null, check: checkHost },
  healthchecks: { type: 'record', filled: true, fields: healthchecksSchema },
  targets: {
    type: 'array',
    elements: {
      type: 'record',
      fields: {
        target: targetSchema.target,
        weight: targetSchema.weight,
        tags: common.tags,
        id: common.id,
        created_at: common.created_at,
        // switchyard's extension: the operator's health verdict, saved with the state.
        manual_health: {
          type: 'record',
          nullable: true,
          fields: { verdict: { type: 'string', required: true, oneOf: ['healthy', 'unhealthy'] }, seq: { type: 'integer', required: true, between: [1, 2 ** 31] } },
        },
      },
    },
  },
} as const satisfies Schema;

export const splitEntrySchema = {
  name: { type: 'string', required: true },
  weight: { type: 'integer', between: [0, 65535], default: 100 },
} as const satisfies Schema;

export const serviceSchema = {
  ...common,
  name: { type: 'string', nullable: true, default: null, check: checkName },
  protocol: { type: 'string', oneOf: ['http', 'https', 'ws', 'wss'], default: 'http', check: checkServiceProtocol },
  host: { type: 'string', check: checkHost },
  port: { type: 'integer', between: [0, 65535], default: 80 },
  path: { type: 'string', nullable: true, default: null, check: checkPath },
  retries: { type: 'integer', between: [0, 32767], default: 5 },
  connect_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  write_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  read_timeout: { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 },
  enabled: { type: 'boolean', default: true },
  url: { type: 'string' },
  /**
   * Verify the upstream's certificate (protocol https only). null is Kong's default
   * (`proxy_ssl_verify off`): not verified; true checks it against the system CAs and any CA
   * switchyard was given (`--upstream-ca`).
   */
  tls_verify: { type: 'boolean', nullable: true, default: null },
  tls_verify_depth: { type: 'integer', between: [0, 64], nullable: true, default: null },
  upstreams: { type: 'array', elements: { type: 'record', fields: splitEntrySchema }, maxItems: 64 },
  /** switchyard's extension: Kong's upstream hashing fields, making the split over `upstreams` sticky. */
  ...hashingSchema,
} as const satisfies Schema;

export const routeSchema = {
  ...common,
  name: { type: 'string', nullable: true, default: null, check: checkName },
  protocols: {
    type: 'array',
    elements: { type: 'string', oneOf: ['http', 'https'] },
    default: ['http', 'https'],
    minItems: 1,
  },
  // Without `http` in protocols, a plain-HTTP request is answered with this: 426, or a redirect to https.
  https_redirect_status_code: {
    type: 'integer',
    between: [301, 426],
    oneOf: [426, 301, 302, 307, 308],
    default: 426,
  },
  methods: {
    type: 'array',
    elements: { type: 'string', check: (v) => (/^[A-Z]+$/.test(v) ? undefined : 'invalid method') },
    nullable: true,
  },
  hosts: {
    type: 'array',
    elements: { type: 'string', check: checkRouteHost },
    nullable: true,
    maxItems: 256,
  },
  paths: {
    type: 'array',
    elements: { type: 'string', check: checkRoutePath },
    nullable: true,
    maxItems: 256,
  },
  headers: {
    type: 'multimap',
    key: checkHeaderName,
    value: checkHeaderValue,
    nullable: true,
    default: null,
    maxItems: 255,
  },
  regex_priority: { type: 'integer', between: [-(2 ** 31), 2 ** 31 - 1], default: 0 },
  path_handling: { type: 'string', oneOf: ['v0', 'v1'], default: 'v0' },
  strip_path: { type: 'boolean', default: true },
  preserve_host: { type: 'boolean', default: false },
  service: { type: 'record', fields: { id: { type: 'string' }, name: { type: 'string' } }, nullable: true },
} as const satisfies Schema;

/** Kf's app names: lower-case letters, digits and dashes, starting with a letter (a DNS label). */
export function checkAppName(v: string): string | undefined {
  return /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v) ? undefined : `invalid app name '${v}': use lower-case letters, digits and '-', starting with a letter (at most 63)`;
}

/** An MTA's ID or module name, as the MTA specification allows it (`a.cf.app`, `mta_demo`). */
export function checkMtaId(v: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(v) ? undefined : `invalid MTA id '${v}': use letters, digits, '.', '_' and '-' (at most 128)`;
}

/**
 * The app name a module (or an MTA `app-name`) runs as: lower-cased, each run of characters an
 * app name cannot hold ('.', '_', spaces…) made one '-', leading digits and dashes dropped, cut so
 * that `-green` still fits. Null when nothing usable is left.
 */
export function appNameFrom(text: string, room = 57): string | null {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, room)
    .replace(/-+$/, '');
  return checkAppName(name) === undefined ? name : null;
}

export const appSchema = {
  ...common,
  name: { type: 'string', required: true, check: checkAppName },
  state: { type: 'string', oneOf: ['started', 'stopped'], default: 'started' },
  command: { type: 'string', nullable: true, default: null, maxLength: 4096, check: (v) => (v.trim() ? undefined : 'must not be empty') },
  // '-' and '.' too: Cloud Foundry sets MTA properties such as `m1-user` as they are named.
  env: { type: 'map', key: (k) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? undefined : `invalid variable name '${k}'`), default: {} },
  instances: { type: 'integer', between: [1, 64], default: 1 },
  targets: { type: 'array', elements: { type: 'string', check: checkTarget }, nullable: true, maxItems: 256 },
  health_path: { type: 'string', nullable: true, default: null, check: checkPath },
  /** Directory the command runs in (the CLI sends its own, as `kf push` uploads the current one). */
  cwd: { type: 'string', nullable: true, default: null, maxLength: 4096, check: (v) => (v.startsWith('/') ? undefined : 'must be an absolute path') },
  generation: { type: 'integer', between: [0, 2 ** 31 - 1], default: 1 },
} as const satisfies Schema;

export const deploymentSchema = {
  id: { type: 'string', required: true, check: (v) => (/^[0-9]{1,12}$/.test(v) ? undefined : 'expected a numeric id') },
  mta: { type: 'string', required: true, check: checkMtaId },
  version: { type: 'string', nullable: true, default: null, maxLength: 64 },
  state: { type: 'string', required: true, oneOf: ['deploying', 'pending', 'resuming', 'resumed', 'aborted', 'failed'] },
  modules: {
    type: 'array',
    required: true,
    maxItems: 64,
    elements: {
      type: 'record',
      fields: {
        name: { type: 'string', required: true, check: checkMtaId },
        old_app: { type: 'string', nullable: true, default: null, check: checkAppName },
        new_app: { type: 'string', required: true, check: checkAppName },
        routes: { type: 'array', elements: { type: 'string', maxLength: 512 }, default: [] },
        temp_routes: { type: 'array', elements: { type: 'string', maxLength: 512 }, default: [] },
      },
    },
  },
  steps: { type: 'array', elements: { type: 'integer', between: [0, 100] }, nullable: true, default: null, maxItems: 100 },
  interval_ms: { type: 'integer', between: [0, 2 ** 31 - 1], nullable: true, default: null },
  max_error_rate: { type: 'number', between: [0, 1], nullable: true, default: null },
  max_p99_ms: { type: 'number', between: [0, 3_600_000], nullable: true, default: null },
  step: { type: 'integer', between: [0, 100], nullable: true, default: null },
  step_started_at: { type: 'integer', between: [0, 2 ** 53 - 1], nullable: true, default: null },
  message: { type: 'string', nullable: true, default: null, maxLength: 4096 },
  created_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  updated_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
} as const satisfies Schema;

/**
 * Fields of Kong's entities that switchyard does not implement, with Kong's defaults: accepted at
 * those values (so Kong's own exports load), refused at any other.
 */
const KONG_ONLY = new Map<Schema, Readonly<Record<string, unknown>>>([
  [serviceSchema, { ca_certificates: null, client_certificate: null }],
  [
    routeSchema,
    {
      request_buffering: true,
      response_buffering: true,
      snis: null,
      sources: null,
      destinations: null,
    },
  ],
  [
    upstreamSchema,
    {
      use_srv_name: false,
      client_certificate: null,
    },
  ],
]);

/** Why a Kong-only field cannot take another value, where "not supported" is not enough. */
const KONG_ONLY_WHY: Readonly<Record<string, string>> = {
  ca_certificates:
    "switchyard has no Kong certificate entities (/ca_certificates) to reference; leave it empty and trust a CA with switchyard's --upstream-ca FILE",
  client_certificate: 'switchyard has no Kong certificate entities (/certificates) to reference, and presents no client certificate to upstreams; leave it null',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks `input` against `schema`, coercing the strings that form-encoded bodies carry
 * ("100" → 100, "true" → true, "a" → ["a"]). With `create`, defaults fill missing fields and
 * required fields are enforced; otherwise only the given fields are checked (a PATCH).
 */
export function validate<S extends Schema>(schema: S, input: unknown, mode: 'create', prefix?: string): { value: Created<S>; errors: FieldErrors };
export function validate<S extends Schema>(schema: S, input: unknown, mode: 'update', prefix?: string): { value: Updated<S>; errors: FieldErrors };
export function validate(schema: Schema, input: unknown, mode: 'create' | 'update', prefix?: string): { value: Record<string, unknown>; errors: FieldErrors };
export function validate(
  schema: Schema,
  input: unknown,
  mode: 'create' | 'update',
  prefix = '',
): { value: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const value: Record<string, unknown> = {};
  if (!isPlainObject(input)) {
    errors[prefix || '@entity'] = 'expected a record';
    return { value, errors };
  }
  const kong = KONG_ONLY.get(schema);
  for (const key of Object.keys(input)) {
    if (Object.prototype.hasOwnProperty.call(schema, key)) continue;
    if (kong && Object.prototype.hasOwnProperty.call(kong, key)) {
      // Kong's own field that switchyard does not implement: fine at Kong's default (what a
      // `deck dump` or a Kong export carries), refused otherwise rather than silently ignored.
      const v = input[key];
      if (v !== null && JSON.stringify(v) !== JSON.stringify(kong[key]) && !(Array.isArray(v) && v.length === 0) && !(isPlainObject(v) && Object.keys(v).length === 0)) {
        errors[prefix + key] = KONG_ONLY_WHY[key] ?? `not supported by switchyard (only Kong's default ${JSON.stringify(kong[key])} is accepted)`;
      }
      continue;
    }
    errors[prefix + key] = 'unknown field';
  }
  for (const [key, field] of Object.entries(schema)) {
    const path = prefix + key;
    const has = Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined;
    if (!has) {
      if (mode === 'create') {
        if ('required' in field && field.required) errors[path] = 'required field missing';
        else if ('default' in field && field.default !== undefined) value[key] = cloneDefault(field.default);
        else if (field.type === 'record' && field.filled) value[key] = validate(field.fields, {}, 'create').value;
      }
      continue;
    }
    const r = coerce(field, input[key], path, errors);
    if (r.ok) value[key] = r.value;
  }
  return { value, errors };
}

function cloneDefault(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

function coerce(field: Field, raw: unknown, path: string, errors: FieldErrors): { ok: boolean; value?: unknown } {
  const fail = (msg: string) => {
    errors[path] = msg;
    return { ok: false };
  };
  if (raw === null) {
    if ('nullable' in field && field.nullable) return { ok: true, value: null };
    if (field.type === 'array') return { ok: true, value: [] };
    return fail('required field missing');
  }
  switch (field.type) {
    case 'string': {
      if (typeof raw !== 'string') return fail('expected a string');
      if (raw.length > (field.maxLength ?? MAX_STRING)) return fail(`length must be at most ${field.maxLength ?? MAX_STRING}`);
      // The field's own check first: it can say more than "expected one of" (a Kong protocol switchyard lacks).
      const msg = field.check?.(raw);
      if (msg) return fail(msg);
      if (field.oneOf && !field.oneOf.includes(raw)) return fail(`expected one of: ${field.oneOf.join(', ')}`);
      return { ok: true, value: raw };
    }
    case 'integer': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
      else return fail('expected an integer');
      if (!Number.isInteger(n)) return fail('expected an integer');
      const [lo, hi] = field.between;
      if (field.oneOf) {
        if (!field.oneOf.includes(n)) return fail(`expected one of: ${field.oneOf.join(', ')}`);
      } else if (n < lo || n > hi) return fail(`value should be between ${lo} and ${hi}`);
      return { ok: true, value: n };
    }
    case 'number': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim())) n = Number(raw.trim());
      else return fail('expected a number');
      if (!Number.isFinite(n)) return fail('expected a number');
      const [lo, hi] = field.between;
      if (n < lo || n > hi) return fail(`value should be between ${lo} and ${hi}`);
      return { ok: true, value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true') return { ok: true, value: true };
      if (raw === 'false') return { ok: true, value: false };
      return fail('expected a boolean');
    }
    case 'array': {
      const arr = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
      if (!arr) return fail('expected an array');
      if (arr.length > (field.maxItems ?? 1024))
        return fail(`length must be at most ${field.maxItems ?? 1024}`);
      if (arr.length < (field.minItems ?? 0)) return fail(`length must be at least ${field.minItems}`);
      const out: unknown[] = [];
      let ok = true;
      arr.forEach((el, i) => {
        const r = coerce(field.elements, el, `${path}[${i}]`, errors);
        if (r.ok) out.push(r.value);
        else ok = false;
      });
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'map': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a map of strings');
      const out: Record<string, string> = {};
      const entries = Object.entries(raw as Record<string, unknown>);
      if (entries.length > (field.maxItems ?? 256)) return fail(`at most ${field.maxItems ?? 256} entries`);
      let ok = true;
      for (const [k, v] of entries) {
        const bad = field.key(k) ?? (typeof v !== 'string' ? 'expected a string' : v.length > MAX_STRING ? `length must be at most ${MAX_STRING}` : undefined);
        if (bad) {
          errors[`${path}.${k}`] = bad;
          ok = false;
        } else out[k] = v as string;
      }
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'multimap': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a map');
      const out: Record<string, string[]> = {};
      const entries = Object.entries(raw as Record<string, unknown>);
      if (entries.length > (field.maxItems ?? 256)) return fail(`at most ${field.maxItems ?? 256} entries`);
      let ok = true;
      for (const [k, v] of entries) {
        // A form body sends one value as a string: a list of one.
        const list = typeof v === 'string' ? [v] : v;
        let bad = field.key(k);
        if (!bad && (!Array.isArray(list) || list.length === 0))
          bad = 'expected a non-empty array of strings';
        if (!bad) {
          for (const x of list as unknown[]) {
            bad =
              typeof x !== 'string'
                ? 'expected a string'
                : x.length > MAX_STRING
                  ? `length must be at most ${MAX_STRING}`
                  : field.value(x);
            if (bad) break;
          }
        }
        if (bad) {
          errors[`${path}.${k}`] = bad;
          ok = false;
        } else out[k] = [...(list as string[])];
      }
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'record': {
      const sub = validate(field.fields, raw, 'create', path + '.');
      const keys = Object.keys(sub.errors);
      if (keys.length) {
        Object.assign(errors, sub.errors);
        return { ok: false };
      }
      return { ok: true, value: sub.value };
    }
  }
}
