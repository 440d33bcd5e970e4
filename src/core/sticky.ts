/**
 * Where a sticky pick's key comes from: Kong's `hash_on` / `hash_fallback` (runloop/balancer
 * `get_value_to_hash`), compiled once per upstream or service into a `KeyPlan` that the request
 * path reads without looking anything up; and the `--sticky` shorthand the CLI, the `:` line and
 * the UI share.
 */
import { SwitchyardError } from './errors.js';
import { hashString } from './balancer.js';
import { NO_HASHING, type HashOn, type Hashing } from './schema.js';

export interface KeySource {
  readonly kind: Exclude<HashOn, 'none' | 'consumer'>;
  /** The header (lower-case), cookie, query argument or capture group to read; '' for ip and path. */
  readonly name: string;
  /** `name=` for a cookie or a query argument: what is searched for. */
  readonly prefix: string;
}

export interface KeyPlan {
  readonly first: KeySource;
  readonly fallback: KeySource | null;
  /** With hash_on cookie: the cookie a request without it is given, and its Path. */
  readonly cookie: { readonly name: string; readonly path: string } | null;
}

/** The plan for an entity's hashing fields; null when it does not hash. */
export function keyPlan(h: Hashing): KeyPlan | null {
  const source = (
    on: HashOn,
    header: string | null,
    query: string | null,
    capture: string | null,
  ): KeySource | null => {
    switch (on) {
      case 'none':
      case 'consumer':
        return null;
      case 'ip':
      case 'path':
        return { kind: on, name: '', prefix: '' };
      case 'header':
        return { kind: on, name: (header ?? '').toLowerCase(), prefix: '' };
      case 'cookie':
        return { kind: on, name: h.hash_on_cookie ?? '', prefix: `${h.hash_on_cookie ?? ''}=` };
      case 'query_arg':
        return { kind: on, name: query ?? '', prefix: `${query ?? ''}=` };
      case 'uri_capture':
        return { kind: on, name: capture ?? '', prefix: '' };
    }
  };
  const first = source(h.hash_on, h.hash_on_header, h.hash_on_query_arg, h.hash_on_uri_capture);
  if (first === null) return null;
  const fallback = source(
    h.hash_fallback,
    h.hash_fallback_header,
    h.hash_fallback_query_arg,
    h.hash_fallback_uri_capture,
  );
  return {
    first,
    fallback,
    cookie: first.kind === 'cookie' ? { name: first.name, path: h.hash_on_cookie_path } : null,
  };
}

/** What a key is read from: Node's IncomingMessage fits. */
export interface RequestView {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/**
 * The request's hash key (`hashString` of the value), or -1 when neither source has one. `path`
 * is the normalised path (Kong's `$uri`), `url` the raw one (for its query), `regexes` the
 * matched route's (for uri_capture).
 */
export function requestKey(
  plan: KeyPlan,
  req: RequestView,
  path: string,
  url: string,
  regexes: readonly RegExp[],
): number {
  const v =
    read(plan.first, req, path, url, regexes) ??
    (plan.fallback === null ? undefined : read(plan.fallback, req, path, url, regexes));
  return v === undefined ? -1 : hashString(v);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, prefix: string): string | undefined {
  if (header === undefined) return undefined;
  const all = typeof header === 'string' ? header : header.join('; ');
  let at = 0;
  while (at < all.length) {
    while (all.charCodeAt(at) === 32) at++;
    const end = all.indexOf(';', at);
    const stop = end === -1 ? all.length : end;
    if (all.startsWith(prefix, at)) {
      const v = all.slice(at + prefix.length, stop).trim();
      return v === '' ? undefined : v;
    }
    at = stop + 1;
  }
  return undefined;
}

function read(
  s: KeySource,
  req: RequestView,
  path: string,
  url: string,
  regexes: readonly RegExp[],
): string | undefined {
  switch (s.kind) {
    case 'ip':
      return req.socket.remoteAddress;
    case 'path':
      return path;
    case 'header': {
      const v = req.headers[s.name];
      if (v === undefined) return undefined;
      return typeof v === 'string' ? v : v.join(', ');
    }
    case 'cookie':
      return cookieValue(req.headers.cookie, s.prefix);
    case 'query_arg': {
      const q = url.indexOf('?');
      if (q === -1) return undefined;
      for (let at = q + 1; at < url.length;) {
        const end = url.indexOf('&', at);
        const stop = end === -1 ? url.length : end;
        if (url.startsWith(s.prefix, at)) return decode(url.slice(at + s.prefix.length, stop));
        at = stop + 1;
      }
      return undefined;
    }
    case 'uri_capture': {
      for (let i = 0; i < regexes.length; i++) {
        const m = (regexes[i] as RegExp).exec(path);
        if (m === null) continue;
        const v = /^\d+$/.test(s.name) ? m[Number(s.name)] : m.groups?.[s.name];
        return v === undefined || v === '' ? undefined : v;
      }
      return undefined;
    }
  }
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

/**
 * `--sticky cookie:NAME | header:NAME | query:NAME | ip | path | none`: the hashing fields a
 * service's split takes (every one of them, so an earlier way of sticking does not linger).
 */
export function stickyFields(spec: string): Hashing {
  const m = /^([a-z_]+)(?::(.+))?$/.exec(spec.trim());
  const kind = m?.[1];
  const name = m?.[2];
  const bad = (why: string) =>
    new SwitchyardError(
      'invalid',
      `--sticky ${spec}: ${why}; use cookie:NAME, header:NAME, query:NAME, ip, path or none`,
    );
  switch (kind) {
    case 'none':
    case 'ip':
    case 'path':
      if (name !== undefined) throw bad(`'${kind}' takes no name`);
      return { ...NO_HASHING, hash_on: kind };
    case 'cookie':
    case 'header':
    case 'query':
    case 'query_arg': {
      if (name === undefined) throw bad(`'${kind}' needs a name`);
      if (kind === 'cookie') return { ...NO_HASHING, hash_on: 'cookie', hash_on_cookie: name };
      if (kind === 'header') return { ...NO_HASHING, hash_on: 'header', hash_on_header: name };
      return { ...NO_HASHING, hash_on: 'query_arg', hash_on_query_arg: name };
    }
    default:
      throw bad('unknown kind');
  }
}

/** How an entity hashes, in a few words (`cookie sy_user`, `header x-user-id, else ip`); '' when it does not. */
export function describeSticky(h: Hashing): string {
  const one = (on: HashOn, header: string | null, query: string | null, capture: string | null): string => {
    if (on === 'header') return `header ${header ?? ''}`;
    if (on === 'cookie') return `cookie ${h.hash_on_cookie ?? ''}`;
    if (on === 'query_arg') return `query ${query ?? ''}`;
    if (on === 'uri_capture') return `uri capture ${capture ?? ''}`;
    return on;
  };
  if (h.hash_on === 'none') return '';
  const first = one(h.hash_on, h.hash_on_header, h.hash_on_query_arg, h.hash_on_uri_capture);
  return h.hash_fallback === 'none'
    ? first
    : `${first}, else ${one(h.hash_fallback, h.hash_fallback_header, h.hash_fallback_query_arg, h.hash_fallback_uri_capture)}`;
}
