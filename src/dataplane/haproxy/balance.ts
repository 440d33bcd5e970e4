/** Kong's algorithm and hashing as HAProxy's `balance` lines, and a warning for what HAProxy has no word for. */
import type { Hashing } from '../../core/schema.js';
import type { ServiceEntry, UpstreamEntry } from '../../core/table.js';

export const ROUND_ROBIN: readonly string[] = ['balance roundrobin'];

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
export function balanceOf(s: ServiceEntry, warnings: string[]): readonly string[] {
  const live = s.upstreams.filter((_, i) => (s.balancer.weights[i] ?? 0) > 0);
  const sticky = s.upstreams.length > 1 && s.service.hash_on !== 'none';
  // A split over several upstreams is one backend: its servers balance one way.
  const hashing: { what: string; h: Hashing } | null = sticky
    ? { what: `service ${s.name}`, h: s.service }
    : live.length === 1 && live[0]!.algorithm === 'consistent-hashing' && live[0]!.hash !== null
      ? { what: `upstream ${live[0]!.name}`, h: hashingFieldsOf(live[0]!) }
      : null;
  if (!sticky && live.length > 1) {
    for (const u of live)
      if (u.algorithm !== 'round-robin')
        warnings.push(
          `upstream ${u.name}: algorithm ${u.algorithm} is not expressed in HAProxy within service ${s.name}'s split over several upstreams (one backend: it balances by the split's weights)`,
        );
  }
  if (hashing !== null) return hashLines(hashing.what, hashing.h, warnings);
  const algorithm = live.length === 1 ? live[0]!.algorithm : 'round-robin';
  if (algorithm === 'least-connections') return ['balance leastconn'];
  if (algorithm === 'latency') {
    warnings.push(
      `upstream ${live[0]!.name}: algorithm latency is not expressed in HAProxy (no balancing by response time); its backend uses balance leastconn, the nearest`,
    );
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
    warnings.push(
      `${what}: ${field} ${JSON.stringify(v)} cannot be written in HAProxy's config; its backend balances by leastconn`,
    );
    return null;
  };
  if (h.hash_fallback !== 'none')
    warnings.push(
      `${what}: hash_fallback ${h.hash_fallback} is not expressed in HAProxy; a request without the hash_on ${h.hash_on} key is balanced by weight`,
    );
  const consistent = (line: string | null): readonly string[] =>
    line === null ? ['balance leastconn'] : [line, 'hash-type consistent'];
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
      warnings.push(
        `${what}: hash_on uri_capture is not expressed in HAProxy (its maps do not keep the route's captures); its backend balances by leastconn`,
      );
      return ['balance leastconn'];
    default:
      return ROUND_ROBIN;
  }
}
