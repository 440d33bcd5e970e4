/**
 * The HAProxy configuration for a routing table (`switchyard config export --format haproxy`).
 * Written once to start an instance; every later change goes through the runtime API (driver.ts),
 * and only what that API cannot express asks for a re-export and a reload. This module writes the
 * file's frame (global, defaults, the frontend's routing rules) and the map files; the backend
 * sections are backend-blocks.ts's.
 *
 * Choices (tested on HAProxy 2.6):
 *
 * - The split. One backend per service (`be_<service>`), one server per (upstream, target) pair,
 *   weighted by both levels at once: p = upstreamShare × targetShare, scaled so that the
 *   backend's largest p is 256, rounded, never 0 when p > 0 (see desired.ts). `balance
 *   roundrobin`, whose weights change live. A blue/green switch or a ratio change is then a few
 *   `set server be_web/… weight N` on one backend, never a routing change. (Weighted
 *   `use_backend` would need a random draw per request in the frontend, with no runtime
 *   command to change its weights.) Resolution: 1/256 of the heaviest server.
 * - Servers are named `<upstream>_<host>_<port>` (sanitized), so a server maps back to its
 *   target. A target with weight 0 (switched away, stopped app) is drained: `state drain`, weight 0.
 * - New targets: `add server` (dynamic servers, 2.6, roundrobin allows it) and `del server`
 *   for removed ones (after `state maint`), no spare `server-template` slots: the names stay the
 *   targets'. A dynamic server is not in this file; a restarted instance gets it again from the
 *   driver, which compares every instance with the table and catches it up.
 * - Routes. Host (port stripped, lower-case: `host_only`) followed by the path is looked up
 *   with `map_beg` in switchyard-hosts.map (HAProxy keeps `beg` patterns in a prefix tree:
 *   the longest prefix wins, whatever the order); routes without hosts are looked up by path in
 *   switchyard-paths.map. A map value is `backend|strip|base`: the backend, how many characters
 *   of the path Kong's `strip_path` removes, and the service's `path` to prepend. The maps are
 *   changed at runtime atomically (`prepare map`, `add map @v`, `commit map`), so new or changed
 *   routes need no reload. Wildcard hosts (`*.example.com`, `example.*`) are regular
 *   expressions on host + path in switchyard-wildcards.map (`map_reg`, tried in order after the
 *   exact hosts, as in-process). Route `methods`: each tier is looked up first as
 *   `METHOD@key` in a methods map holding, for each method some route names, every route that
 *   takes it (so the longest prefix still wins across routes with and without methods).
 *   Not expressed: `preserve_host: false` (HAProxy forwards the client's Host).
 * - New services. HAProxy 2.6 cannot add a backend at runtime: the file ends with empty spare
 *   backends (`sy_spare_N`, 16 unless `spares` says otherwise, Kong's default timeouts and
 *   retries), and the driver places a new service on a free one (spares.ts): dynamic servers,
 *   route map entries pointing at it, and the placement in switchyard-spares.map.
 * - What needs a reload: a new service when every spare is taken, a service on a spare whose
 *   timeouts, retries or checks are not the defaults, and a change of a service's timeouts,
 *   retries or health checks. Each backend's signature of these is kept in
 *   `proc.switchyard_static`; the driver compares it with the table's and says "reload needed"
 *   for the instance, naming why.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RoutingTable } from '../../core/table.js';
import { backendBlock, JSON_TYPE, pinRules, spareBlock } from './backend-blocks.js';
import {
  DEFAULT_SPARES,
  HOSTS_MAP,
  HOST_METHODS_MAP,
  MAX_STRIP,
  PATHS_MAP,
  PATH_METHODS_MAP,
  SPARES_MAP,
  SPARE_PREFIX,
  SPARE_SIGNATURE,
  STATIC_VAR,
  PIN_COUNTS_MAP,
  PIN_HEADER,
  PINS_MAP,
  UNAVAILABLE_BACKEND,
  WILDCARDS_MAP,
  WILDCARD_METHODS_MAP,
  desiredOf,
  pinsOf,
  type Desired,
} from './desired.js';

export interface HaproxyConfigOptions {
  /** Where HAProxy takes traffic: `127.0.0.1:8000`, `:80`, `0.0.0.0:8080`. */
  readonly bind: string;
  /** The runtime API: a unix socket path, or `host:port` for a TCP socket. */
  readonly socket: string;
  /** Where the map files live (referenced by absolute path). @default the socket's directory, or the working directory */
  readonly mapsDir?: string;
  /** Empty backends for services added later, placed at runtime without a reload. @default 16 */
  readonly spares?: number;
  /**
   * HTTPS in, as the in-process proxy's TLS listener: where, and the PEM holding certificate
   * and key together (what HAProxy's `crt` reads).
   */
  readonly tls?: { readonly bind: string; readonly pem: string };
}

export interface HaproxyExport {
  readonly config: string;
  /** The map files the configuration references: absolute path → content. */
  readonly files: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

function isTcp(socket: string): boolean {
  return !socket.includes('/') && /^(\[[^\]]+\]|[^:]*):\d+$/.test(socket);
}

function mapsDirOf(opts: HaproxyConfigOptions): string {
  if (opts.mapsDir) return path.resolve(opts.mapsDir);
  return isTcp(opts.socket) ? process.cwd() : path.dirname(path.resolve(opts.socket));
}

export function mapPaths(opts: HaproxyConfigOptions): {
  hosts: string;
  paths: string;
  wildcards: string;
  spares: string;
  pins: string;
  pinCounts: string;
  hostMethods: string;
  wildcardMethods: string;
  pathMethods: string;
} {
  const dir = mapsDirOf(opts);
  return {
    hostMethods: path.join(dir, HOST_METHODS_MAP),
    wildcardMethods: path.join(dir, WILDCARD_METHODS_MAP),
    pathMethods: path.join(dir, PATH_METHODS_MAP),
    hosts: path.join(dir, HOSTS_MAP),
    paths: path.join(dir, PATHS_MAP),
    wildcards: path.join(dir, WILDCARDS_MAP),
    spares: path.join(dir, SPARES_MAP),
    pins: path.join(dir, PINS_MAP),
    pinCounts: path.join(dir, PIN_COUNTS_MAP),
  };
}

function sparesOf(opts: HaproxyConfigOptions): number {
  return opts.spares ?? DEFAULT_SPARES;
}

const NO_ROUTE = `'{"message":"no Route matched with those values"}'`;
const UNAVAILABLE = `'{"message":"no available target: the service has no upstream taking traffic, or this HAProxy needs its configuration re-exported (switchyard config export --format haproxy) and a reload"}'`;

function stripRules(): string[] {
  const lines: string[] = [];
  for (let bit = 1 << Math.floor(Math.log2(MAX_STRIP)); bit >= 1; bit >>= 1) {
    lines.push(`    http-request set-var(txn.sy_path) var(txn.sy_path),regsub('^.{${bit}}',) if sy_strip { var(txn.sy_strip),and(${bit}) -m int gt 0 }`);
  }
  return lines;
}


function render(d: Desired, opts: HaproxyConfigOptions): string {
  const maps = mapPaths(opts);
  const spares = sparesOf(opts);
  let signature = d.staticSignature;
  for (let i = 1; i <= spares; i++) signature += `${signature ? ';' : ''}${SPARE_PREFIX}${i}=${SPARE_SIGNATURE}`;
  const socket = isTcp(opts.socket) ? `stats socket ${opts.socket} level admin expose-fd listeners` : `stats socket ${path.resolve(opts.socket)} mode 600 level admin expose-fd listeners`;
  const out: string[] = [
    `# HAProxy configuration written by switchyard for routing table version ${d.version}.`,
    '# switchyard steers it live through the runtime API (weights, drain/ready, servers, routes);',
    '# re-export and reload only when switchyard says "reload needed". Map files:',
    `#   ${maps.hosts}`,
    `#   ${maps.paths}`,
    `#   ${maps.wildcards}`,
    `#   ${maps.hostMethods}, ${maps.wildcardMethods} and ${maps.pathMethods} (route methods)`,
    `#   ${maps.pins} and ${maps.pinCounts} (the ${PIN_HEADER} pin)`,
    ...(spares > 0 ? [`#   ${maps.spares}`] : []),
    '# The split: one backend per service, one server per (upstream, target), weighted by both levels.',
    spares > 0
      ? `# Services added later go on the ${spares} spare backends at the end, as the spares map says.`
      : '# No spare backends: a service added later needs a re-export and a reload.',
  ];
  if (d.warnings.length) {
    out.push('#', '# Not expressed in HAProxy:');
    for (const w of d.warnings) out.push(`#   - ${w}`);
  }
  out.push(
    '',
    'global',
    `    ${socket}`,
    '    stats timeout 30s',
    '    # normalize-uri (below) is still marked experimental in HAProxy.',
    '    expose-experimental-directives',
    `    set-var-fmt ${STATIC_VAR} "${signature || '-'}"`,
    '',
    'defaults',
    '    mode http',
    '    option http-keep-alive',
    '    option forwardfor',
    '    option redispatch',
    '    http-reuse safe',
    '    retries 3',
    '    timeout connect 5s',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 60s',
    '    timeout queue 30s',
    '',
    'frontend switchyard',
    `    bind ${opts.bind}`,
    ...(opts.tls ? [`    bind ${opts.tls.bind} ssl crt ${path.resolve(opts.tls.pem)}`] : []),
    '    # X-Forwarded-* as Kong sets them without trusted IPs: For appended (option forwardfor), the',
    "    # client's Proto/Host/Port/Path/Prefix replaced; Path is the path as received. (Kong's",
    '    # X-Forwarded-Prefix, the stripped prefix, is not rebuilt here: it is removed.)',
    '    http-request set-header X-Forwarded-Host %[req.hdr(host),host_only,lower] if { req.hdr(host) -m found }',
    '    http-request del-header X-Forwarded-Host if !{ req.hdr(host) -m found }',
    opts.tls ? '    http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]' : '    http-request set-header X-Forwarded-Proto http',
    '    http-request set-header X-Forwarded-Port %[dst_port]',
    '    http-request set-header X-Forwarded-Path %[path]',
    '    http-request del-header X-Forwarded-Prefix',
    '    http-request set-header X-Real-IP %[src]',
    "    # The path as Kong's router sees it: unreserved %XX decoded, dot segments removed, slashes merged.",
    '    http-request normalize-uri percent-decode-unreserved',
    '    http-request normalize-uri percent-to-uppercase',
    '    http-request normalize-uri path-strip-dot',
    '    http-request normalize-uri path-strip-dotdot full',
    '    http-request normalize-uri path-merge-slashes',
    '    # The route: Host without port, lower-case, then the path; the longest prefix wins. Each tier',
    '    # is looked up with the method first (METHOD@…, for the methods some route names), then without.',
    '    http-request set-var-fmt(txn.sy_key) %[req.hdr(host),host_only]%[path]',
    '    http-request set-var-fmt(txn.sy_mkey) %[method]@%[var(txn.sy_key)]',
    '    http-request set-var-fmt(txn.sy_mpath) %[method]@%[path]',
    `    http-request set-var(txn.sy_route) var(txn.sy_mkey),map_beg(${maps.hostMethods})`,
    `    http-request set-var(txn.sy_route) var(txn.sy_key),map_beg(${maps.hosts}) if !{ var(txn.sy_route) -m found }`,
    '    # Wildcard hosts next (regular expressions, the first that matches wins), then routes without hosts.',
    `    http-request set-var(txn.sy_route) var(txn.sy_mkey),map_reg(${maps.wildcardMethods}) if !{ var(txn.sy_route) -m found }`,
    `    http-request set-var(txn.sy_route) var(txn.sy_key),map_reg(${maps.wildcards}) if !{ var(txn.sy_route) -m found }`,
    `    http-request set-var(txn.sy_route) var(txn.sy_mpath),map_beg(${maps.pathMethods}) if !{ var(txn.sy_route) -m found }`,
    `    http-request set-var(txn.sy_route) path,map_beg(${maps.paths}) if !{ var(txn.sy_route) -m found }`,
    `    http-request return status 404 content-type ${JSON_TYPE} string ${NO_ROUTE} if !{ var(txn.sy_route) -m found }`,
    '    # Kong\'s strip_path (remove the matched prefix), then the service path prepended.',
    '    http-request set-var(txn.sy_strip) var(txn.sy_route),field(2,|)',
    '    http-request set-var(txn.sy_base) var(txn.sy_route),field(3,|)',
    '    acl sy_strip var(txn.sy_strip) -m int gt 0',
    '    acl sy_base var(txn.sy_base) -m len gt 0',
    '    http-request set-var(txn.sy_path) path if sy_strip or sy_base',
    ...stripRules(),
    // Kong's get_upstream_uri_v0: when strip_path leaves nothing, the service path with a trailing
    // slash exactly when the request path had one; otherwise the rest joined with one slash.
    '    acl sy_rest var(txn.sy_path) -m len gt 0',
    '    acl sy_base_slash var(txn.sy_base) -m end /',
    '    acl sy_req_slash path -m end /',
    '    http-request set-var(txn.sy_path) str(/) if sy_strip !sy_rest sy_base !sy_base_slash sy_req_slash',
    "    http-request set-var(txn.sy_base) var(txn.sy_base),regsub('/$',) if sy_strip !sy_rest sy_base sy_base_slash !sy_req_slash",
    `    http-request set-var(txn.sy_path) str(/),concat(,txn.sy_path,) if sy_strip sy_rest !{ var(txn.sy_path) -m beg / }`,
    `    http-request set-var(txn.sy_path) var(txn.sy_path),regsub('^/$',) if !sy_strip sy_base !sy_base_slash`,
    `    http-request set-var(txn.sy_path) var(txn.sy_path),regsub('^/',) if sy_base sy_base_slash`,
    '    http-request set-var(txn.sy_path) var(txn.sy_base),concat(,txn.sy_path,) if sy_base',
    '    http-request set-var(txn.sy_path) str(/) if !{ var(txn.sy_path) -m len gt 0 }',
    '    http-request set-path %[var(txn.sy_path)] if sy_strip or sy_base',
    ...(spares > 0
      ? [
          '    # Loads the spares map (which spare backend carries which service) so that the runtime API can keep it.',
          `    http-request set-var(txn.sy_spare) str(${SPARE_PREFIX}1),map(${maps.spares}) if FALSE`,
        ]
      : []),
    '    use_backend %[var(txn.sy_route),field(1,|)]',
    `    default_backend ${UNAVAILABLE_BACKEND}`,
  );
  const pins = pinRules(maps.pins, maps.pinCounts);
  for (const b of d.backends) out.push(...backendBlock(b, pins));
  for (let i = 1; i <= spares; i++) out.push(...spareBlock(i, pins));
  out.push('', `backend ${UNAVAILABLE_BACKEND}`, `    http-request return status 503 content-type ${JSON_TYPE} string ${UNAVAILABLE}`, '');
  return out.join('\n');
}

/** A map file: a comment saying what it holds, then one `key value` line per entry. */
function mapFile(entries: ReadonlyMap<string, string>, what: string): string {
  return [`# switchyard: ${what}`, ...[...entries].map(([k, v]) => `${k} ${v}`)].join('\n') + '\n';
}

/** What a route map's values are. */
const ROUTE_VALUE = '→ backend|strip|service path';

/** The full haproxy.cfg text for a table. */
export function haproxyConfig(table: RoutingTable, opts: HaproxyConfigOptions): string {
  return render(desiredOf(table), opts);
}

/** The configuration and the map files it references: what `config export --format haproxy` produces. */
export function exportHaproxy(table: RoutingTable, opts: HaproxyConfigOptions): HaproxyExport {
  const d = desiredOf(table);
  const pins = pinsOf(d);
  const maps = mapPaths(opts);
  return {
    config: render(d, opts),
    files: {
      [maps.hosts]: mapFile(d.hosts, `host + path prefix ${ROUTE_VALUE}`),
      [maps.paths]: mapFile(d.paths, `path prefix (routes without hosts) ${ROUTE_VALUE}`),
      [maps.wildcards]: mapFile(d.wildcards, `wildcard host + path prefix, a regular expression (in order: the first match wins) ${ROUTE_VALUE}`),
      [maps.hostMethods]: mapFile(d.hostMethods, `METHOD@host + path prefix (for the methods some route names) ${ROUTE_VALUE}`),
      [maps.wildcardMethods]: mapFile(d.wildcardMethods, `METHOD@wildcard host + path prefix, a regular expression (in order) ${ROUTE_VALUE}`),
      [maps.pathMethods]: mapFile(d.pathMethods, `METHOD@path prefix (routes without hosts) ${ROUTE_VALUE}`),
      [maps.pins]: mapFile(pins.servers, 'backend/upstream/i → the i-th server a pinned request can take'),
      [maps.pinCounts]: mapFile(pins.counts, 'backend/upstream → how many servers a pinned request picks from'),
      ...(sparesOf(opts) > 0 ? { [maps.spares]: mapFile(new Map(), 'spare backend → the service placed on it at runtime') } : {}),
    },
    warnings: d.warnings,
  };
}

/** The file beside haproxy.cfg with the TLS listener's certificate and key, as HAProxy's `crt` wants them. */
export const TLS_PEM = 'switchyard.pem';

/**
 * Writes haproxy.cfg and its map files into `dir` (the maps next to it), and with `tls` the
 * combined PEM of its certificate and key (mode 600). Returns the config's path.
 */
export function writeHaproxy(
  dir: string,
  table: RoutingTable,
  opts: Omit<HaproxyConfigOptions, 'mapsDir' | 'tls'> & { readonly tls?: { readonly bind: string; readonly cert: string; readonly key: string } },
): string {
  fs.mkdirSync(dir, { recursive: true });
  const { tls, ...rest } = opts;
  let pem: string | undefined;
  if (tls) {
    pem = path.join(path.resolve(dir), TLS_PEM);
    fs.writeFileSync(pem, `${tls.cert.trim()}\n${tls.key.trim()}\n`, { mode: 0o600 });
    fs.chmodSync(pem, 0o600);
  }
  const exp = exportHaproxy(table, { ...rest, mapsDir: dir, ...(tls && pem ? { tls: { bind: tls.bind, pem } } : {}) });
  for (const [file, content] of Object.entries(exp.files)) fs.writeFileSync(file, content);
  const cfg = path.join(path.resolve(dir), 'haproxy.cfg');
  fs.writeFileSync(cfg, exp.config);
  return cfg;
}
