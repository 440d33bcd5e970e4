/**
 * What HAProxy should look like for one routing table: backends, servers with their weights and
 * states, and the two route maps. The configuration writer (config.ts) and the runtime driver
 * (driver.ts) both start from this, so the file that starts an instance and the commands that
 * steer it later can never disagree on a name or a weight.
 *
 * The split is expressed as one backend per service whose servers are the (upstream, target)
 * pairs, each weighted by both levels at once: p = upstreamShare × targetShare, scaled so that
 * the largest p of the backend is 256 (HAProxy's maximum), rounded, and never 0 when p > 0.
 * One `balance roundrobin` then does what switchyard's two smooth round-robins do, and a
 * blue/green switch is a handful of `set server … weight` commands on one backend.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Healthchecks } from '../../core/model.js';
import { overTls, serviceSchema, type Hashing } from '../../core/schema.js';
import type { Candidate, RouteEntry, RoutingTable, ServiceEntry, UpstreamEntry } from '../../core/table.js';
import { splitShares } from '../../core/traffic.js';

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
export const ALL_MAPS = [HOSTS_MAP, PATHS_MAP, WILDCARDS_MAP, HOST_METHODS_MAP, WILDCARD_METHODS_MAP, PATH_METHODS_MAP, PINS_MAP, PIN_COUNTS_MAP, SPARES_MAP] as const;
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

/** Characters HAProxy accepts in proxy and server names. */
export function sanitize(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]/g, '-');
  return out === '' ? '-' : out;
}

/**
 * Relative shares → HAProxy weights: the largest becomes 256, the others in proportion, rounded;
 * a share above 0 never becomes 0 (it becomes 1), a share of 0 stays 0. This is how Kong's
 * 0..65535 (at both levels) lands on HAProxy's 0..256: 65535 against 1 is 256 against 1.
 */
export function toHaproxyWeights(shares: readonly number[]): number[] {
  const max = shares.reduce((a, b) => Math.max(a, b), 0);
  if (max <= 0) return shares.map(() => 0);
  return shares.map((p) => (p > 0 ? Math.min(HAPROXY_MAX_WEIGHT, Math.max(1, Math.round((HAPROXY_MAX_WEIGHT * p) / max))) : 0));
}

function activeCheck(hc: Healthchecks | null): CheckSpec | null {
  if (!hc) return null;
  const a = hc.active;
  const interval = a.healthy.interval > 0 ? a.healthy.interval : a.unhealthy.interval;
  if (interval <= 0) return null;
  const fall = Math.max(1, a.unhealthy.tcp_failures, a.type !== 'tcp' ? a.unhealthy.http_failures : 0, a.unhealthy.timeouts);
  return {
    type: a.type,
    path: a.http_path || '/',
    tls: a.type === 'https' ? { sni: a.https_sni, verify: a.https_verify_certificate } : null,
    interMs: Math.max(100, Math.round(interval * 1000)),
    fall,
    rise: Math.max(1, a.healthy.successes),
  };
}

/** The SNI the in-process proxy sends a target (Kong's upstream_host): host_header, else a hostname target's host. */
function sniOf(u: UpstreamEntry, host: string): string | null {
  if (u.hostHeader !== null) return u.hostHeader;
  return isIP(bareHost(host)) ? null : host;
}

/** HAProxy's `host:port` for a table host (IPv6 keeps its brackets). */
export function addressOf(host: string, port: number): string {
  return `${host}:${port}`;
}

function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function serverName(u: UpstreamEntry, literal: boolean, host: string, port: number): string {
  return `${literal ? 'literal' : sanitize(u.name)}_${sanitize(bareHost(host))}_${port}`;
}

function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}-${i}`;
  taken.add(n);
  return n;
}

const ROUND_ROBIN: readonly string[] = ['balance roundrobin'];

/** An HAProxy config word with no quote, backslash, space or '#' (a header, cookie or argument name). */
const PLAIN = /^[A-Za-z0-9!$%&'*+.^_`|~-]+$/;

/**
 * Kong's algorithm and hashing as HAProxy's `balance`: least-connections is `leastconn`; hashing
 * on a header, the client's address, a query argument or the path is `hdr()`, `source`,
 * `url_param`, `uri` with `hash-type consistent` (weighted, and a server leaving moves only its
 * users); on a cookie, `balance hash` of it, a request without it given one as Kong does. What
 * HAProxy has no word for (latency, uri_capture, a hash_fallback, different algorithms within
 * one backend) is said in a warning naming the field, and the nearest is used: never a silent
 * round-robin.
 */
function balanceOf(s: ServiceEntry, warnings: string[]): readonly string[] {
  const live = s.upstreams.filter((_, i) => (s.balancer.weights[i] ?? 0) > 0);
  const sticky = s.upstreams.length > 1 && s.service.hash_on !== 'none';
  // A split over several upstreams is one backend: its servers balance one way.
  const hashing: { what: string; h: Hashing } | null = sticky
    ? { what: `service ${s.name}`, h: s.service }
    : live.length === 1 && live[0]!.algorithm === 'consistent-hashing' && live[0]!.hash !== null
      ? { what: `upstream ${live[0]!.name}`, h: hashingFieldsOf(live[0]!) }
      : null;
  if (!sticky && live.length > 1) {
    for (const u of live) if (u.algorithm !== 'round-robin') warnings.push(`upstream ${u.name}: algorithm ${u.algorithm} is not expressed in HAProxy within service ${s.name}'s split over several upstreams (one backend: it balances by the split's weights)`);
  }
  if (hashing !== null) return hashLines(hashing.what, hashing.h, warnings);
  const algorithm = live.length === 1 ? live[0]!.algorithm : 'round-robin';
  if (algorithm === 'least-connections') return ['balance leastconn'];
  if (algorithm === 'latency') {
    warnings.push(`upstream ${live[0]!.name}: algorithm latency is not expressed in HAProxy (no balancing by response time); its backend uses balance leastconn, the nearest`);
    return ['balance leastconn'];
  }
  return ROUND_ROBIN;
}

/** The hashing fields an upstream entry was compiled from. */
function hashingFieldsOf(u: UpstreamEntry): Hashing {
  return u.hashing;
}

function hashLines(what: string, h: Hashing, warnings: string[]): readonly string[] {
  const name = (field: keyof Hashing): string | null => {
    const v = h[field];
    if (typeof v === 'string' && PLAIN.test(v)) return v;
    warnings.push(`${what}: ${field} ${JSON.stringify(v)} cannot be written in HAProxy's config; its backend balances by leastconn`);
    return null;
  };
  if (h.hash_fallback !== 'none') warnings.push(`${what}: hash_fallback ${h.hash_fallback} is not expressed in HAProxy; a request without the hash_on ${h.hash_on} key is balanced by weight`);
  const consistent = (line: string | null): readonly string[] => (line === null ? ['balance leastconn'] : [line, 'hash-type consistent']);
  switch (h.hash_on) {
    case 'header': {
      const n = name('hash_on_header');
      return consistent(n && `balance hdr(${n})`);
    }
    case 'ip':
      return consistent('balance source');
    case 'query_arg': {
      const n = name('hash_on_query_arg');
      return consistent(n && `balance url_param ${n}`);
    }
    case 'path':
      return consistent('balance uri');
    case 'cookie': {
      const n = name('hash_on_cookie');
      const path = /^[^\s;"\\]+$/.test(h.hash_on_cookie_path) ? h.hash_on_cookie_path : '/';
      if (n === null) return ['balance leastconn'];
      // The cookie's value is the key; a request without it is given one (a new id), keyed on it.
      // (txn.sy_key is the frontend's route key: these are the hash's own.)
      return [
        `http-request set-var(txn.sy_hkey) req.cook(${n})`,
        'http-request set-var(txn.sy_hnew) bool(true) if !{ var(txn.sy_hkey) -m found }',
        'http-request set-var(txn.sy_hkey) uuid if !{ var(txn.sy_hkey) -m found }',
        `http-response add-header Set-Cookie "${n}=%[var(txn.sy_hkey)]; Path=${path}; SameSite=Lax; HttpOnly" if { var(txn.sy_hnew) -m bool }`,
        'balance hash var(txn.sy_hkey)',
        'hash-type consistent',
      ];
    }
    case 'uri_capture':
      warnings.push(`${what}: hash_on uri_capture is not expressed in HAProxy (its maps do not keep the route's captures); its backend balances by leastconn`);
      return ['balance leastconn'];
    default:
      return ROUND_ROBIN;
  }
}

function backendFor(s: ServiceEntry, name: string, warnings: string[], balancing: string[]): DesiredBackend {
  const servers: DesiredServer[] = [];
  const taken = new Set<string>();
  const shares: number[] = [];
  const pairs: { u: UpstreamEntry; literal: boolean; t: UpstreamEntry['targets'][number] }[] = [];
  // What each (upstream, target) pair gets, by core's rules over the weights in force. HAProxy
  // checks health itself, so every target counts as healthy here (one marked down by hand goes
  // to maint below).
  const split = splitShares(s.upstreams.map((u, i) => ({ weight: s.balancer.weights[i] ?? 0, targets: u.targets.map((t) => ({ weight: t.weight, healthy: true })) })));
  s.upstreams.forEach((u, i) => {
    const literal = u.key.endsWith('/literal');
    u.targets.forEach((t, j) => {
      pairs.push({ u, literal, t });
      shares.push((split[i]?.share ?? 0) * (split[i]?.targets[j] ?? 0));
    });
  });
  const weights = toHaproxyWeights(shares);
  let httpchk: string | null = null;
  let checkHeaders: [string, string][] | null = null;
  const checks = new Map<string, CheckSpec | null>();
  const svc = s.service;
  const secure = overTls(svc.protocol);
  if (secure && svc.tls_verify === true && svc.tls_verify_depth !== null) {
    warnings.push(`service ${s.name}: tls_verify_depth ${svc.tls_verify_depth} is not expressed in HAProxy (it verifies chains of any length)`);
  }
  pairs.forEach(({ u, literal, t }, i) => {
    const check = activeCheck(u.healthchecks);
    checks.set(u.name, check);
    if (check !== null && check.type !== 'tcp') {
      const want = `GET ${check.path}`;
      if (httpchk === null) httpchk = want;
      else if (httpchk !== want) warnings.push(`service ${s.name}: upstreams check different paths; HAProxy checks every server of backend ${name} with ${httpchk}`);
      const headers = Object.entries(u.healthchecks?.active.headers ?? {}).flatMap(([k, vs]) => vs.map((v) => [k, v] as [string, string]));
      const bad = headers.find(([, v]) => /["\\]/.test(v));
      if (bad) warnings.push(`upstream ${u.name}: check header ${bad[0]} has a quote or backslash and is not sent by HAProxy`);
      const usable = headers.filter(([, v]) => !/["\\]/.test(v));
      if (checkHeaders === null) checkHeaders = usable;
      else if (JSON.stringify(checkHeaders) !== JSON.stringify(usable)) warnings.push(`service ${s.name}: upstreams send different check headers; HAProxy sends one set for backend ${name}`);
    }
    const weight = weights[i] ?? 0;
    servers.push({
      backend: name,
      name: unique(serverName(u, literal, t.host, t.port), taken),
      key: t.key,
      upstream: u.name,
      target: t.address,
      host: bareHost(t.host),
      port: t.port,
      weight,
      // Marked unhealthy by hand (Kong's POST …/unhealthy): no traffic at all until marked healthy.
      state: t.health.markSeq > 0 && !t.health.healthy ? 'maint' : weight > 0 ? 'ready' : 'drain',
      targetWeight: t.weight,
      check,
      tls: secure ? { verify: svc.tls_verify === true, sni: sniOf(u, t.host) } : null,
    });
  });
  // Only upstreams with active checks count: bringing an unchecked upstream into the split (a
  // blue → green switch) is new servers, which the runtime API adds without a reload.
  const checkSig = [...checks]
    .filter(([, c]) => c !== null)
    .map(([u, c]) => `${u}:${c!.type}:${c!.path}:${c!.interMs}:${c!.fall}:${c!.rise}${c!.tls ? `:${c!.tls.sni ?? ''}:${c!.tls.verify}` : ''}`)
    .join(',');
  const headers: readonly (readonly [string, string])[] = checkHeaders ?? [];
  // A server's TLS is set when it is added: a service turning https (or its verification) needs
  // its servers made again, which a reload does. Plain http services keep the signature they had.
  const tlsSig = secure ? `t${svc.tls_verify === true ? 'v' : 'n'}` : '';
  const headerSig = headers.length ? `H${JSON.stringify(headers)}` : '';
  const balance = balanceOf(s, balancing);
  // Round-robin backends keep the signature they had before balancing had a say.
  const balanceSig = balance === ROUND_ROBIN ? '' : `B${JSON.stringify(balance)}`;
  const signature = signatureOf(svc.connect_timeout, svc.read_timeout, s.retries, httpchk, checkSig) + tlsSig + headerSig + balanceSig;
  return { name, service: s.name, serviceKey: s.key, servers, connectMs: svc.connect_timeout, serverMs: svc.read_timeout, retries: s.retries, httpchk, checkHeaders: headers, balance, signature };
}

function signatureOf(connectMs: number, serverMs: number, retries: number, httpchk: string | null, checks: string): string {
  return `c${connectMs}s${serverMs}r${retries}h${httpchk ?? '-'}k${checks}`;
}

/** The signature every spare backend is written with (see STATIC_VAR). */
export const SPARE_SIGNATURE = hash(signatureOf(SPARE_DEFAULTS.connectMs, SPARE_DEFAULTS.serverMs, SPARE_DEFAULTS.retries, null, ''));

function routeValue(
  e: RouteEntry,
  prefix: string,
  backends: ReadonlyMap<string, string>,
  warnings: string[],
): string {
  const backend = e.service ? (backends.get(e.service.key) ?? UNAVAILABLE_BACKEND) : UNAVAILABLE_BACKEND;
  let strip = e.route.strip_path ? prefix.length : 0;
  if (strip > MAX_STRIP) {
    warnings.push(
      `route ${e.name}: prefix ${prefix} is longer than ${MAX_STRIP} characters and is not stripped`,
    );
    strip = 0;
  }
  let base = e.service?.path ?? '';
  if (/[\s|]/.test(base)) {
    warnings.push(`route ${e.name}: service path ${JSON.stringify(base)} has a space or '|' and is not prepended`);
    base = '';
  }
  return `${backend}|${strip}|${base}`;
}

/**
 * Whether HAProxy's maps can carry this route as Kong routes it; if not, the warning says why and
 * the route is left out (routing it without its condition would send it requests Kong does not).
 */
function expressible(c: Candidate, warnings: string[]): boolean {
  const e = c.entry;
  const why =
    e.regexes.length > 0
      ? 'regex paths'
      : e.headers !== null
        ? 'header matching'
        : c.port !== 0
          ? 'a host with a port'
          : !e.httpAllowed
            ? "protocols without http (Kong answers plain HTTP with 426 or a redirect; HAProxy's frontend is plain HTTP)"
            : null;
  if (why === null) return true;
  warnings.push(`route ${e.name}: ${why} cannot be expressed in HAProxy's maps; not routed`);
  return false;
}

function addRoutes(
  into: Map<string, string>,
  list: readonly Candidate[],
  keyOf: (prefix: string) => string | null,
  backends: ReadonlyMap<string, string>,
  warnings: string[],
): void {
  for (const c of list) {
    if (!expressible(c, warnings)) continue;
    const e = c.entry;
    for (const prefix of e.prefixes.length ? e.prefixes : ['']) {
      const key = keyOf(prefix);
      if (key === null) {
        warnings.push(
          `route ${e.name}: path ${JSON.stringify(prefix)} has a character (] \\ ^) a wildcard route cannot hold in HAProxy; not routed`,
        );
        continue;
      }
      if (/\s/.test(key)) {
        warnings.push(
          `route ${e.name}: ${JSON.stringify(key)} has a space and cannot be a map key; not routed`,
        );
        continue;
      }
      if (into.has(key)) continue; // candidates come in Kong's order: the first wins, as in-process
      into.set(key, routeValue(e, prefix, backends, warnings));
    }
  }
}

/** Where a route sits in HAProxy's lookup: 0 exact host, 1 wildcard host, 2 no host. */
interface Placed {
  readonly c: Candidate;
  readonly tier: 0 | 1 | 2;
  readonly host: string;
  readonly suffix: string;
  readonly prefix: string;
}

function hostsOverlap(a: Placed, b: Placed): boolean {
  if (a.tier === 2 || b.tier === 2) return true;
  if (a.tier === 0 && b.tier === 0) return a.host === b.host;
  const wildOver = (w: Placed, h: string) => (w.suffix ? h.endsWith(w.suffix) : h.startsWith(w.prefix));
  if (a.tier === 0) return wildOver(b, a.host);
  if (b.tier === 0) return wildOver(a, b.host);
  return true; // two wildcards: some host may fit both
}

/**
 * Kong orders routes by priority (methods, hosts, headers, paths counted first, then path
 * length); HAProxy's maps by host tier, then the longest prefix, then methods. Where the two
 * disagree on a request both routes take, the route HAProxy would wrongly prefer is named.
 */
function priorityWarnings(table: RoutingTable, warnings: string[]): void {
  const placed: Placed[] = [];
  for (const [host, c] of table.byHost)
    for (const x of c.entries) placed.push({ c: x, tier: 0, host, suffix: '', prefix: '' });
  for (const w of table.wildcard)
    placed.push({ c: w, tier: 1, host: '', suffix: w.suffix, prefix: w.prefix });
  for (const x of table.anyHost.entries) placed.push({ c: x, tier: 2, host: '', suffix: '', prefix: '' });
  const live = placed.filter(
    (p) =>
      p.c.entry.regexes.length === 0 && p.c.entry.headers === null && p.c.port === 0 && p.c.entry.httpAllowed,
  );
  const named = new Set<string>();
  for (const b of live) {
    const eb = b.c.entry;
    if (named.has(eb.name)) continue;
    for (const a of live) {
      const ea = a.c.entry;
      if (ea.rank >= eb.rank || ea.key === eb.key || !hostsOverlap(a, b)) continue;
      if (ea.methods !== null && eb.methods !== null && !ea.methods.some((m) => eb.methods!.includes(m)))
        continue;
      const pa = ea.prefixes.length ? ea.prefixes : [''];
      const pb = eb.prefixes.length ? eb.prefixes : [''];
      // A request both take, at the longer of two overlapping prefixes: HAProxy gives it to b when
      // b's tier comes first, or (same tier; wildcards are tried in Kong's order) b's prefix is the
      // longer, or as long and b names methods (the METHOD@ maps are looked up first).
      const haproxyPrefersB = (x: string, y: string) =>
        (x.startsWith(y) || y.startsWith(x)) &&
        (b.tier < a.tier ||
          (b.tier === a.tier &&
            b.tier !== 1 &&
            (y.length > x.length || (y === x && eb.methods !== null && ea.methods === null))));
      if (pa.some((x) => pb.some((y) => haproxyPrefersB(x, y)))) {
        warnings.push(
          `route ${eb.name}: HAProxy's maps give it requests Kong routes to ${ea.name} (Kong's priority counts methods, hosts, headers and paths before path length)`,
        );
        named.add(eb.name);
        break;
      }
    }
  }
}

/**
 * Text matched literally by an HAProxy regular expression, without backslashes (a map file would
 * read them as escapes): every character that is not a letter, digit, `/`, `-` or `_` goes in a
 * bracket of its own. Paths with a character that cannot (`]`, `\`, `^`) are not routed.
 */
function literal(s: string): string {
  return s.replace(/[^A-Za-z0-9/_-]/g, (c) => `[${c}]`);
}

function sortedMap(m: Map<string, string>): Map<string, string> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function desiredOf(table: RoutingTable): Desired {
  const warnings: string[] = [];
  const balancing: string[] = [];
  const names = new Set<string>([UNAVAILABLE_BACKEND]);
  const byService = new Map<string, string>();
  const backends: DesiredBackend[] = [];
  for (const s of table.services) {
    const name = unique(`be_${sanitize(s.name)}`, names);
    byService.set(s.key, name);
    backends.push(backendFor(s, name, warnings, balancing));
  }
  const methods = [...new Set(table.routes.flatMap((e) => e.methods ?? []))].sort();
  const plain = (list: readonly Candidate[]) => list.filter((c) => c.entry.methods === null);
  const taking = (list: readonly Candidate[], m: string) =>
    list.filter((c) => c.entry.methods === null || c.entry.methods.includes(m));
  // Path routes are matched on the normalised path, as in-process (see config.ts: normalize-uri).
  if (table.routes.some((e) => e.pathHandling === 'v1')) {
    for (const e of table.routes)
      if (e.pathHandling === 'v1')
        warnings.push(
          `route ${e.name}: path_handling v1 is not expressed in HAProxy's rules; the upstream path is joined as v0`,
        );
  }
  priorityWarnings(table, warnings);
  const hosts = new Map<string, string>();
  const hostMethods = new Map<string, string>();
  for (const [host, c] of table.byHost) {
    addRoutes(hosts, plain(c.entries), (prefix) => `${host}${prefix || '/'}`, byService, warnings);
    for (const m of methods) addRoutes(hostMethods, taking(c.entries, m), (prefix) => `${m}@${host}${prefix || '/'}`, byService, warnings);
  }
  const paths = new Map<string, string>();
  const pathMethods = new Map<string, string>();
  addRoutes(paths, plain(table.anyHost.entries), (prefix) => prefix || '/', byService, warnings);
  for (const m of methods)
    addRoutes(
      pathMethods,
      taking(table.anyHost.entries, m),
      (prefix) => `${m}@${prefix || '/'}`,
      byService,
      warnings,
    );
  // Tried after the exact hosts and before host-less routes, in Kong's order (the first match wins).
  const wildcards = new Map<string, string>();
  const wildcardMethods = new Map<string, string>();
  for (const w of table.wildcard) {
    const host = w.suffix ? `[^/]*${literal(w.suffix)}` : `${literal(w.prefix)}[^/]*`;
    const keyOf = (lead: string) => (prefix: string) =>
      /[\]\\^]/.test(prefix) ? null : `^${lead}${host}${literal(prefix || '/')}`;
    addRoutes(wildcards, plain([w]), keyOf(''), byService, warnings);
    for (const m of methods) addRoutes(wildcardMethods, taking([w], m), keyOf(`${m}@`), byService, warnings);
  }
  const staticSignature = backends.map((b) => `${b.name}=${hash(b.signature)}`).join(';');
  return {
    version: table.version,
    backends,
    hosts: sortedMap(hosts),
    paths: sortedMap(paths),
    wildcards,
    hostMethods: sortedMap(hostMethods),
    wildcardMethods,
    pathMethods: sortedMap(pathMethods),
    warnings: [...new Set([...warnings, ...balancing])],
    refusals: [...new Set(balancing)],
    staticSignature,
  };
}

export function hash(s: string): string {
  return createHash('sha1').update(s).digest('hex').slice(0, 10);
}

/**
 * What the pin maps hold for a desired state (after placement: keys carry the backend's name).
 * A pinned request picks uniformly among the upstream's targets with a weight above 0, at any
 * upstream weight (a new version at 0 is what a pin is for).
 */
export function pinsOf(d: Desired, existing?: ReadonlySet<string>): { counts: Map<string, string>; servers: Map<string, string> } {
  const counts = new Map<string, string>();
  const servers = new Map<string, string>();
  for (const b of d.backends) {
    if (existing && !existing.has(b.name)) continue;
    const byUpstream = new Map<string, string[]>();
    for (const s of b.servers) {
      if (s.targetWeight <= 0 || s.state === 'maint' || /\s/.test(s.upstream)) continue;
      const list = byUpstream.get(s.upstream) ?? [];
      list.push(s.name);
      byUpstream.set(s.upstream, list);
    }
    for (const [u, names] of byUpstream) {
      counts.set(`${b.name}/${u}`, String(names.length));
      names.forEach((n, i) => servers.set(`${b.name}/${u}/${i}`, n));
    }
  }
  return { counts, servers };
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
