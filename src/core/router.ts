/**
 * Kong 3's `traditional_compatible` router, the parts that are rules rather than tables: how a
 * request path is normalised before matching (`kong/tools/uri.lua`), how a route's priority is
 * computed (`kong/router/transform.lua` `get_priority`), how a route with paths of several
 * lengths is split, how the upstream path is joined (`kong/router/utils.lua`
 * `get_upstream_uri_v0`, and v1 as the traditional router did), which route paths and regexes are
 * valid, and how Kong 3 migrates a pre-3.0 path (`migrate_path_280_300.lua`). `table.ts` compiles
 * routes with these; the schema validates with them; the proxy calls the per-request ones.
 *
 * Over 400 lines on purpose: it is one job, Kong's router semantics, each rule short and read
 * beside the Kong file it follows; split, the priority and path rules would lose each other.
 */
import { createHash } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Paths

/** RFC 3986 reserved characters: never decoded from `%XX` (their meaning would change). */
const RESERVED = new Set([..."!*'();:@&=+$,/?%#[]"].map((c) => c.charCodeAt(0)));
const PERCENT_TRIPLET = /%([0-9A-Fa-f]{2})/g;

function decodeTriplet(m: string, hex: string): string {
  const n = parseInt(hex, 16);
  // A byte above 0x7F stays encoded: a JS string is not a byte string, and escaping it again on
  // the way out gives the same bytes Kong's decode-then-escape does.
  if (n >= 0x80 || RESERVED.has(n)) return m.toUpperCase();
  return String.fromCharCode(n);
}

/** True when `normalizePath` might change the path: the common case costs three scans. */
export function needsNormalizing(path: string): boolean {
  return path.indexOf('%') !== -1 || path.indexOf('/.') !== -1 || path.indexOf('//') !== -1;
}

/**
 * Kong's `normalize(uri, true)`: percent-decodes every triplet that is not a reserved character
 * (upper-casing the rest), removes dot segments (RFC 3986 5.2.4) and merges slashes. `/%2e./`
 * is `/../`, as in Kong. Returns the same string when there is nothing to do.
 */
export function normalizePath(path: string): string {
  if (!needsNormalizing(path)) return path;
  let s = path.indexOf('%') === -1 ? path : path.replace(PERCENT_TRIPLET, decodeTriplet);
  if (s.indexOf('.') === -1 && s.indexOf('//') === -1) return s;
  const out: string[] = [];
  while (s.length > 0) {
    if (s === '/.') s = '/';
    else if (s === '/..') {
      s = '/';
      out.pop();
    } else if (s === '.' || s === '..') s = '';
    else if (s.startsWith('../')) s = s.slice(3);
    else if (s.startsWith('./')) s = s.slice(2);
    else if (s.startsWith('/./')) s = s.slice(2);
    else if (s.startsWith('/../')) {
      s = s.slice(3);
      out.pop();
    } else if (s.startsWith('//')) s = s.slice(1);
    else {
      const i = s.indexOf('/', 1);
      out.push(i === -1 ? s : s.slice(0, i));
      s = i === -1 ? '' : s.slice(i);
    }
  }
  return out.join('');
}

/** What Kong's `escape` leaves alone; anything else is sent to the upstream as `%XX`. */
const UNSAFE = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/;
const UNSAFE_ALL = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/g;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  if (n < 0x100) return '%' + (n < 16 ? '0' : '') + n.toString(16).toUpperCase();
  return encodeURIComponent(c);
}

/** Kong's `escape`: the normalised path made safe to send again (a decoded space goes out as %20). */
export function escapePath(path: string): string {
  return UNSAFE.test(path) ? path.replace(UNSAFE_ALL, escapeChar) : path;
}

/** Kong's `sanitize_uri_postfix`: what is left after the prefix, without a leading `./` or `../`. */
export function sanitizePostfix(p: string): string {
  if (p === '' || p === '.' || p === '..') return '';
  if (p.startsWith('./')) return p.slice(2);
  if (p.startsWith('../')) return p.slice(3);
  return p;
}

export type PathHandling = 'v0' | 'v1';

/**
 * The path the upstream is asked for (before escaping), from the normalised request path, the
 * length of what the route matched (0: no path matched), the service's path (null: `/`).
 * v0 is Kong 3's `get_upstream_uri_v0`; v1 is the traditional router's `path_handling = "v1"`.
 */
export function joinUpstreamPath(
  handling: PathHandling,
  stripPath: boolean,
  servicePath: string | null,
  reqPath: string,
  matched: number,
): string {
  const base = servicePath ?? '/';
  // Kong's request prefix is the matched path when strip_path is on, else "/".
  const postfix = sanitizePostfix(reqPath.slice(stripPath && matched > 0 ? matched : 1));
  const baseSlash = base.charCodeAt(base.length - 1) === 47;
  if (handling === 'v1') {
    if (!stripPath) return base + reqPath.slice(1);
    if (baseSlash && postfix.charCodeAt(0) === 47) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (baseSlash) {
    if (!stripPath) return base + reqPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      if (reqPath.charCodeAt(reqPath.length - 1) === 47) return base;
      return base.slice(0, -1);
    }
    if (postfix.charCodeAt(0) === 47) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (stripPath) {
    if (postfix === '')
      return reqPath.length > 1 && reqPath.charCodeAt(reqPath.length - 1) === 47 ? base + '/' : base;
    if (postfix.charCodeAt(0) === 47) return base + postfix;
    return base + '/' + postfix;
  }
  if (reqPath === '/') return base;
  return base + reqPath;
}

// ---------------------------------------------------------------------------------------------
// Regexes

/**
 * PCRE (and the Rust regex crate Kong 3 matches with) syntax that JavaScript's RegExp lacks or
 * reads differently. Without the `u` flag JavaScript takes an unknown escape such as `\A` as a
 * plain `A`, so these are refused by name rather than left to mean something else.
 */
const JS_ESCAPES = new Set([...'dDwWsSbBnrtfv0123456789xuck']);
const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  A: '\\A (start of subject; the path regex is already anchored at the start)',
  z: '\\z (end of subject; use $)',
  Z: '\\Z (end of subject; use $)',
  G: '\\G (first match position)',
  K: '\\K (reset match start)',
  Q: '\\Q…\\E (quoted literal)',
  E: '\\Q…\\E (quoted literal)',
  h: '\\h (horizontal space)',
  H: '\\H (non-horizontal space)',
  R: '\\R (any newline)',
  X: '\\X (extended grapheme)',
  C: '\\C (one code unit)',
  N: '\\N (not a newline)',
  e: '\\e (escape character)',
  a: '\\a (bell character)',
  o: '\\o{…} (octal)',
  g: '\\g (back-reference or subroutine)',
  p: '\\p{…} (Unicode property)',
  P: '\\P{…} (Unicode property)',
};

/** Why `source` (without Kong's `~`) cannot be a route regex here, or undefined when it can. */
export function checkRegex(source: string): string | undefined {
  let inClass = false;
  let quantified = false; // the previous token was a quantifier (a following `+` makes it possessive)
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const next = source[i + 1] ?? '';
    if (c === '\\') {
      if (next === '') return 'a trailing backslash';
      if (/[A-Za-z0-9]/.test(next)) {
        if (next === 'x' && source[i + 2] === '{')
          return 'uses \\x{…} (a code point in braces), which JavaScript reads differently; use \\xHH or \\uHHHH';
        if (next === 'k' && source[i + 2] !== '<')
          return 'uses \\k with other than <name>, which JavaScript does not support';
        if (/[1-9]/.test(next) || next === 'k')
          return 'uses a back-reference, which Kong 3 (the Rust regex crate) does not support';
        if (!JS_ESCAPES.has(next))
          return `uses ${NAMED_ESCAPES[next] ?? '\\' + next}, which JavaScript's RegExp does not support`;
      }
      i++;
      quantified = false;
      continue;
    }
    if (inClass) {
      if (c === '[' && next === ':')
        return 'uses a POSIX class such as [[:alpha:]], which JavaScript does not support; use a range such as [a-zA-Z]';
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in PCRE and ends the class in JavaScript.
      if (next === ']' || (next === '^' && source[i + 2] === ']'))
        return "starts a class with ']', which JavaScript reads as an empty class; escape it as \\]";
      quantified = false;
      continue;
    }
    if (c === '+' && quantified)
      return `uses a possessive quantifier ('${source[i - 1]}+'), which JavaScript does not support`;
    if (c === '*' || c === '+' || c === '?' || (c === '}' && /\{\d+(,\d*)?$/.test(source.slice(0, i)))) {
      // `+?`, `*?`: lazy, fine; the `?` ends the quantifier.
      quantified = !(c === '?' && quantified);
      if (c === '?' && !quantified) continue;
      continue;
    }
    quantified = false;
    if (c === '(' && next === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith(':')) continue;
      if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) continue; // (?<name>…)
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!'))
        return 'uses a look-around assertion, which Kong 3 (the Rust regex crate) does not support';
      if (rest.startsWith('>')) return "uses an atomic group '(?>…)', which JavaScript does not support";
      if (rest.startsWith('P<')) return "uses a named group '(?P<name>…)'; write it '(?<name>…)'";
      if (rest.startsWith('P=') || rest.startsWith('P>') || rest.startsWith('&') || /^[R+-]?\d*\)/.test(rest))
        return 'uses a subroutine call or recursion, which JavaScript does not support';
      if (rest.startsWith('|')) return "uses a branch-reset group '(?|…)', which JavaScript does not support";
      if (rest.startsWith('#')) return "uses a comment group '(?#…)', which JavaScript does not support";
      if (rest.startsWith('('))
        return "uses a conditional group '(?(…)…)', which JavaScript does not support";
      if (rest.startsWith('C')) return "uses a callout '(?C…)', which JavaScript does not support";
      const flags = /^[a-zA-Z^-]*[):]/.exec(rest);
      if (flags) return `uses an inline flag group '(?${flags[0]}', which JavaScript does not support`;
      return `uses '(?${rest.slice(0, 1)}', which JavaScript does not support`;
    }
  }
  try {
    new RegExp(source);
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: /, '');
  }
  return undefined;
}

/** A route path regex, anchored at the start as Kong anchors it (`^` prefixed, not wrapped). */
export function compilePathRegex(path: string): RegExp {
  return new RegExp('^' + path.slice(1));
}

export function isRegexPath(path: string): boolean {
  return path.charCodeAt(0) === 126; // ~
}

// ---------------------------------------------------------------------------------------------
// Validation of route fields (routes.lua, typedefs.lua)

/** Kong's `router_path`: `/prefix` (normalised) or `~/regex`, no empty segment, valid `%XX`. */
export function checkRoutePath(v: string): string | undefined {
  if (!v.startsWith('/') && !v.startsWith('~/'))
    return 'should start with: / (fixed path) or ~/ (regex path)';
  if (v.includes('//')) return 'must not have empty segments';
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(v);
  if (bad) return `invalid url-encoded value: '${v.slice(bad.index, bad.index + 3)}'`;
  if (/\s/.test(v)) return 'must not contain whitespace';
  if (isRegexPath(v)) {
    const why = checkRegex(v.slice(1));
    return why === undefined ? undefined : `invalid regex: '${v.slice(1)}' (${why})`;
  }
  const normalized = normalizePath(v);
  if (normalized !== v) return `non-normalized path, consider use '${normalized}' instead`;
  return undefined;
}

/** Kong's header names (`kong.tools.http.validate_header_name`), and no `host`. */
export function checkHeaderName(name: string): string | undefined {
  if (name === '') return 'no header name provided';
  if (!/^[a-zA-Z0-9_-]+$/.test(name))
    return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
  if (/^host$/i.test(name))
    return "cannot contain 'host' header, which must be specified in the 'hosts' attribute";
  return undefined;
}

/** A header value: plain (matched without case), or `~*regex` (matched without case, unanchored). */
export function checkHeaderValue(value: string): string | undefined {
  if (!value.startsWith('~*')) return undefined;
  const why = checkRegex(value.slice(2).toLowerCase());
  return why === undefined ? undefined : `invalid regex: '${value.slice(2)}' (${why})`;
}

// ---------------------------------------------------------------------------------------------
// Kong 2's paths in a Kong 3 world

/**
 * `migrate_path_280_300.lua`: before 3.0 a path was a regex whenever it had a character outside
 * `[a-zA-Z0-9.\-_~/%]`; 3.0 wants those written `~…`. A plain path is normalised; a regex gets
 * its `~`, with `%XX` of non-reserved characters decoded once (regex metacharacters escaped).
 */
export function migrateLegacyPath(path: string): string {
  if (/^[a-zA-Z0-9.\-_~/%]*$/.test(path)) return normalizePath(path);
  return '~' + path.replace(PERCENT_TRIPLET, legacyRegexDecode);
}

const REGEX_META: Readonly<Record<number, string>> = {
  0x2e: '\\.',
  0x5e: '\\^',
  0x2d: '\\-',
  0x7b: '\\{',
  0x7d: '\\}',
  0x5c: '\\\\',
  0x7c: '\\|',
};
const LEGACY_RESERVED = new Set([
  0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x5b,
  0x5d,
]);

function legacyRegexDecode(m: string, hex: string): string {
  const n = parseInt(hex, 16);
  if (LEGACY_RESERVED.has(n)) return m.toUpperCase();
  return REGEX_META[n] ?? String.fromCharCode(n);
}

/** True for a `_format_version` whose paths predate 3.0 (and need `migrateLegacyPath`). */
export function isLegacyFormat(formatVersion: unknown): boolean {
  if (formatVersion === undefined || formatVersion === null) return false;
  const major = Number(String(formatVersion).split('.')[0]);
  return Number.isFinite(major) && major < 3;
}

/** A declarative route's fields with its paths migrated from a pre-3.0 file. */
export function migrateLegacyRoute<T extends Record<string, unknown>>(route: T): T {
  const paths = route.paths;
  if (!Array.isArray(paths)) return route;
  return { ...route, paths: paths.map((p) => (typeof p === 'string' ? migrateLegacyPath(p) : p)) };
}

// ---------------------------------------------------------------------------------------------
// Priority

/** The fields of a route that decide its priority (Kong's names). */
export interface PriorityInput {
  readonly id: string;
  readonly methods: readonly string[] | null;
  readonly hosts: readonly string[] | null;
  readonly headers: Readonly<Record<string, readonly string[]>> | null;
  /** One group's paths: all regexes, or all prefixes of one length (see `groupPaths`). */
  readonly paths: readonly string[] | null;
  readonly regex_priority: number;
}

/**
 * Kong's 64-bit priority as a tuple compared field by field (high to low): match weight (how many
 * of methods, hosts, headers, paths are set), plain hosts only (no wildcard), header count, regex
 * path, regex_priority (regex routes only), prefix length. Kong breaks a tie by the higher id.
 */
export interface Priority {
  readonly weight: number;
  readonly plainHosts: number;
  readonly headerCount: number;
  readonly regex: number;
  readonly regexPriority: number;
  readonly length: number;
  readonly id: string;
}

export function priorityOf(r: PriorityInput): Priority {
  const has = (v: readonly unknown[] | null) => (v !== null && v.length > 0 ? 1 : 0);
  const headerCount = r.headers === null ? 0 : Math.min(Object.keys(r.headers).length, 255);
  const paths = r.paths ?? [];
  const regex = paths.length > 0 && isRegexPath(paths[0] as string) ? 1 : 0;
  return {
    weight: has(r.methods) + has(r.hosts) + (headerCount > 0 ? 1 : 0) + has(paths),
    // As in Kong, a hosts list (even empty) without a `*` counts as plain.
    plainHosts: r.hosts !== null && !r.hosts.some((h) => h.includes('*')) ? 1 : 0,
    headerCount,
    regex,
    regexPriority: regex ? r.regex_priority : 0,
    length: regex || paths.length === 0 ? 0 : Math.min((paths[0] as string).length, 0x7ffff),
    id: r.id.toLowerCase(),
  };
}

/** Negative when `a` is tried before `b`. */
export function comparePriority(a: Priority, b: Priority): number {
  return (
    b.weight - a.weight ||
    b.plainHosts - a.plainHosts ||
    b.headerCount - a.headerCount ||
    b.regex - a.regex ||
    b.regexPriority - a.regexPriority ||
    b.length - a.length ||
    (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

/**
 * `split_routes_and_services_by_path`: a route's paths grouped as Kong groups them (all regexes
 * together, prefixes by length), in order of first appearance. One group: the route as it is.
 */
export function groupPaths(paths: readonly string[]): string[][] {
  const groups: string[][] = [];
  const at = new Map<number, number>();
  for (const p of paths) {
    const k = isRegexPath(p) ? 0 : p.length;
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, groups.length);
      groups.push([p]);
    } else groups[i]!.push(p);
  }
  return groups;
}

const SPLIT_NAMESPACE = '7f145bf9-0dce-4f91-98eb-debbce4b9f6b';

/** The id Kong gives the `index`-th (1-based) group of a split route: UUID v5 of `id#index`. */
export function splitRouteId(id: string, index: number): string {
  const ns = Buffer.from(SPLIT_NAMESPACE.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(`${id}#${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Hosts

/** A route host: lower-case name, `*.suffix` / `prefix.*` wildcard, optional port (0: any). */
export interface HostPattern {
  readonly host: string;
  /** `.example.com` for `*.example.com`, else ''. */
  readonly suffix: string;
  /** `example.` for `example.*`, else ''. */
  readonly prefix: string;
  readonly port: number;
}

export function parseRouteHost(h: string): HostPattern {
  let host = h.toLowerCase();
  let port = 0;
  const m = /^(.*):(\d+)$/.exec(host);
  if (m && !host.startsWith('[')) {
    host = m[1] as string;
    port = Number(m[2]);
  }
  const suffix = host.startsWith('*') ? host.slice(1) : '';
  const prefix = host.endsWith('*') ? host.slice(0, -1) : '';
  return { host, suffix, prefix, port };
}
