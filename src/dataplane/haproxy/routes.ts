/**
 * Routes as entries of HAProxy's route maps (`backend|strip|base`), which routes the maps cannot
 * carry as Kong routes them, and where HAProxy's lookup order would disagree with Kong's priority.
 */
import type { Candidate, RouteEntry, RoutingTable } from '../../core/table.js';
import { MAX_STRIP, UNAVAILABLE_BACKEND } from './shape.js';

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
    warnings.push(
      `route ${e.name}: service path ${JSON.stringify(base)} has a space or '|' and is not prepended`,
    );
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

export function addRoutes(
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
export function priorityWarnings(table: RoutingTable, warnings: string[]): void {
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
export function literal(s: string): string {
  return s.replace(/[^A-Za-z0-9/_-]/g, (c) => `[${c}]`);
}
