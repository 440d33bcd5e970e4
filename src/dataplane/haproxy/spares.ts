/**
 * Services added after an instance's configuration was written. HAProxy 2.6 cannot add a backend
 * at runtime, so the exported configuration carries a few empty backends (`sy_spare_1`…, Kong's
 * service defaults); a new service is placed on a free one, its servers added as dynamic servers
 * and its routes pointed at it, all through the runtime API. Which spare carries which service is
 * kept in the instance itself (switchyard-spares.map, `sy_spare_2 web-green`), so a restarted
 * switchyard, or another one, reads the same placement back. Each instance places on its own.
 *
 * Pure: `placeOnSpares` rewrites the desired state for one instance; the planner then treats a
 * spare like any backend. A spare no service needs any more has its servers removed and its entry
 * dropped, and is free again.
 */
import {
  SPARES_MAP,
  SPARE_PREFIX,
  SPARE_SIGNATURE,
  hash,
  parseStaticSignature,
  type Desired,
  type DesiredBackend,
} from './desired.js';
import type { InstanceMap, ServerStateRow } from './runtime.js';

export interface SpareView {
  readonly backends: ReadonlySet<string>;
  readonly servers: readonly ServerStateRow[];
  /** The instance's maps: SPARES_MAP holds spare backend → service name. */
  readonly maps: Readonly<Partial<Record<string, InstanceMap>>>;
}

export interface Placement {
  /** The desired state with placed services renamed to their spare backends. */
  readonly desired: Desired;
  /** spare backend → service name, what the spares map should hold; null when the instance has none. */
  readonly spares: ReadonlyMap<string, string> | null;
  /** Spare backends that carry no service (their servers go). */
  readonly free: readonly string[];
  /** What still needs a reload, in words. */
  readonly reloadNeeded: readonly string[];
}

function spareNumber(name: string): number {
  return Number(name.slice(SPARE_PREFIX.length)) || 0;
}

export function placeOnSpares(d: Desired, a: SpareView): Placement {
  const assigned = a.maps[SPARES_MAP]?.entries ?? null;
  const spareNames = [...a.backends]
    .filter((b) => b.startsWith(SPARE_PREFIX))
    .sort((x, y) => spareNumber(x) - spareNumber(y));
  const homeless = d.backends.filter((b) => !a.backends.has(b.name));
  if (assigned === null || spareNames.length === 0) {
    return {
      desired: d,
      spares: assigned,
      free: [],
      reloadNeeded: homeless.map(
        (b) => `service ${b.service} has no backend ${b.name} (added after the configuration was written)`,
      ),
    };
  }
  const wanted = new Map(homeless.map((b) => [b.service, b]));
  const placed = new Map<string, DesiredBackend>(); // spare → backend
  for (const spare of spareNames) {
    const service = assigned.get(spare);
    if (service === undefined) continue;
    const b = wanted.get(service);
    if (b && ![...placed.values()].includes(b)) placed.set(spare, b);
  }
  // Free spares, the empty ones first (a freed spare may still hold servers being drained).
  const holding = new Set(a.servers.map((s) => s.backend));
  const free = spareNames
    .filter((s) => !placed.has(s))
    .sort((x, y) => Number(holding.has(x)) - Number(holding.has(y)) || spareNumber(x) - spareNumber(y));
  const reloadNeeded: string[] = [];
  const isPlaced = new Set(placed.values());
  for (const b of homeless) {
    if (isPlaced.has(b)) continue;
    const spare = free.shift();
    if (spare === undefined) {
      reloadNeeded.push(
        `service ${b.service} has no backend ${b.name}, and all ${spareNames.length} spare backends are in use`,
      );
      continue;
    }
    placed.set(spare, b);
    isPlaced.add(b);
  }
  const renamed = new Map<string, string>(); // backend name → spare
  const spares = new Map<string, string>();
  for (const [spare, b] of placed) {
    renamed.set(b.name, spare);
    spares.set(spare, b.service);
    if (hash(b.signature) !== SPARE_SIGNATURE) {
      reloadNeeded.push(
        `service ${b.service} runs on spare backend ${spare} with Kong's defaults (60 s timeouts, 5 retries, no health checks); its own settings need a reload`,
      );
    }
  }
  const running = parseStaticSignature(d.staticSignature);
  for (const [from, to] of renamed) {
    running.delete(from);
    running.set(to, SPARE_SIGNATURE);
  }
  const backends = d.backends.map((b) => {
    const spare = renamed.get(b.name);
    return spare === undefined
      ? b
      : { ...b, name: spare, servers: b.servers.map((s) => ({ ...s, backend: spare })) };
  });
  const point = (m: ReadonlyMap<string, string>) =>
    new Map(
      [...m].map(([k, v]) => {
        const bar = v.indexOf('|');
        const spare = renamed.get(bar < 0 ? v : v.slice(0, bar));
        return [k, spare === undefined ? v : spare + v.slice(bar)];
      }),
    );
  return {
    desired: {
      ...d,
      backends,
      hosts: point(d.hosts),
      paths: point(d.paths),
      wildcards: point(d.wildcards),
      hostMethods: point(d.hostMethods),
      wildcardMethods: point(d.wildcardMethods),
      pathMethods: point(d.pathMethods),
      staticSignature: [...running].map(([b, sig]) => `${b}=${sig}`).join(';'),
    },
    spares: new Map([...spares].sort(([x], [y]) => spareNumber(x) - spareNumber(y))),
    free: spareNames.filter((s) => !placed.has(s)),
    reloadNeeded,
  };
}
