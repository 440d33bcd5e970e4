/**
 * The request path's route lookup: host, port, path, method and headers → the route entry Kong
 * would pick, and the URL its upstream is asked for. Reads the compiled table; allocates nothing.
 */
import { escapePath, joinUpstreamPath, normalizePath } from '../router.js';
import type {
  Candidate,
  Candidates,
  HeaderRule,
  RouteEntry,
  RoutingTable,
  WildcardCandidate,
} from './entries.js';

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
  const base = entry.service?.path ?? null;
  // Most routes: the service has no path and nothing is stripped, so both path_handlings give the
  // (normalised, hence dot-segment-free) path itself, without the slices and joins.
  const joined =
    (base === null || base === '/') && (matched === 0 || !entry.route.strip_path) && path.charCodeAt(0) === 47
      ? path
      : joinUpstreamPath(entry.pathHandling, entry.route.strip_path, base, path, matched);
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
