/**
 * The field checks the entity schemas share (Kong's typedefs): addresses as Kong reads them
 * (kong/tools/ip.lua), names, ids, paths, route hosts, and the fields every entity carries.
 */
import { type Schema } from './field.js';

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
  for (let i = 0; i < 8;) {
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
export function parseAddress(
  v: string,
): { kind: 'ipv4' | 'ipv6' | 'name'; host: string; port: number | undefined } | string {
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
  if (
    !/^[A-Za-z0-9\-._]+$/.test(name) ||
    labels.some((l, i) => l.endsWith('-') || (l === '' && i !== labels.length - 1))
  )
    return `invalid hostname: ${v}`;
  const port = portOf(m[2]);
  return typeof port === 'string' ? port : { kind, host: name, port };
}

/** `host:port` for a URL or a target: an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function checkName(v: string): string | undefined {
  if (v.length === 0) return 'length must be at least 1';
  return NAME_RE.test(v)
    ? undefined
    : "invalid value '" + v + "': it must only contain alphanumeric and '., -, _, ~' characters";
}

/** A name or an IPv4 address, without a port (an upstream's name, a Kf route's host). */
export function isHostname(v: string): boolean {
  const a = parseAddress(v);
  return typeof a !== 'string' && a.kind !== 'ipv6' && a.port === undefined;
}

/** Kong's `host` typedef (a service's host, an upstream's host_header): any address, no port. */
export function checkHost(v: string): string | undefined {
  const a = parseAddress(v);
  if (a === 'invalid port number' || (typeof a !== 'string' && a.port !== undefined))
    return 'must not have a port';
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

export function checkTarget(v: string): string | undefined {
  const r = parseHostPort(v);
  return typeof r === 'string' ? r : undefined;
}

function checkId(v: string): string | undefined {
  return UUID_RE.test(v) ? undefined : 'expected a valid UUID';
}

export function checkPath(v: string): string | undefined {
  if (!v.startsWith('/')) return 'should start with: /';
  if (/\s/.test(v)) return 'must not contain whitespace';
  return undefined;
}

/**
 * A route's host (Kong's `hosts` typedef): at most one `*`, as the leftmost or rightmost label,
 * and otherwise any address with an optional port.
 */
export function checkRouteHost(v: string): string | undefined {
  const h = v.replace(/:\d+$/, ''); // the port, if any, is not a label
  const stars = h.split('*').length - 1;
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard';
  if (stars === 1 && !h.startsWith('*.') && !h.endsWith('.*'))
    return 'invalid wildcard: must be placed at leftmost or rightmost label';
  return typeof parseAddress(v.replace('*', 'wildcard')) === 'string' ? 'invalid hostname: ' + v : undefined;
}

export const common = {
  id: { type: 'string', check: checkId },
  created_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  updated_at: { type: 'integer', between: [0, 2 ** 31 * 1000] },
  tags: { type: 'array', elements: { type: 'string', maxLength: 128 }, nullable: true, maxItems: 64 },
} as const satisfies Schema;
