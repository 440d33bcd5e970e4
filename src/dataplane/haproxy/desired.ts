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
 *
 * This module assembles it (`desiredOf`, and the pin maps of a placed state) and is the door to
 * its parts: the shape and shared names (`shape.ts`), a service as a backend (`backends.ts`,
 * balancing in `balance.ts`), and routes as map entries (`routes.ts`).
 */
import type { Candidate, RoutingTable } from '../../core/table.js';
import { backendFor, sanitize, unique } from './backends.js';
import { addRoutes, literal, priorityWarnings } from './routes.js';
import { hash, UNAVAILABLE_BACKEND, type Desired, type DesiredBackend } from './shape.js';

export {
  HAPROXY_MAX_WEIGHT,
  UNAVAILABLE_BACKEND,
  HOSTS_MAP,
  PATHS_MAP,
  WILDCARDS_MAP,
  HOST_METHODS_MAP,
  WILDCARD_METHODS_MAP,
  PATH_METHODS_MAP,
  PIN_HEADER,
  PIN_COUNTS_MAP,
  PINS_MAP,
  SPARE_PREFIX,
  SPARES_MAP,
  ALL_MAPS,
  DEFAULT_SPARES,
  SPARE_DEFAULTS,
  STATIC_VAR,
  MAX_STRIP,
  hash,
  parseStaticSignature,
  type DesiredServer,
  type DesiredBackend,
  type Desired,
} from './shape.js';
export { toHaproxyWeights, SPARE_SIGNATURE } from './backends.js';

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
    for (const m of methods)
      addRoutes(
        hostMethods,
        taking(c.entries, m),
        (prefix) => `${m}@${host}${prefix || '/'}`,
        byService,
        warnings,
      );
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

/**
 * What the pin maps hold for a desired state (after placement: keys carry the backend's name).
 * A pinned request picks uniformly among the upstream's targets with a weight above 0, at any
 * upstream weight (a new version at 0 is what a pin is for).
 */
export function pinsOf(
  d: Desired,
  existing?: ReadonlySet<string>,
): { counts: Map<string, string>; servers: Map<string, string> } {
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
