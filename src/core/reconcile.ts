/**
 * Replacing the whole state (a declarative file, `POST /config`, `serve --config` over a saved
 * state) reconciles by name, as decK does. A declarative file has no ids, so without this every
 * entity would be new: every app's processes stopped and started again, every counter reset.
 *
 * An entity of the new state that is one of the current state (the same id, else the same name,
 * else for entities without a name the same natural key) keeps that one's id and `created_at`,
 * and is that very object when nothing else about it differs. New entities keep their new ids;
 * entities the new state does not have go. When nothing differs at all, the current state itself
 * comes back, so the store sees no change: no new table, no undo entry, no change event.
 */
import { SwitchyardError } from './errors.js';
import type { App, Deployment, Route, Service, State, Target, Upstream } from './model.js';

type Entity = { readonly id: string; readonly created_at: number; readonly updated_at?: number };

/** Structural equality of plain data (what the state is made of); a missing key equals undefined. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => equal(x, (b as unknown[])[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!equal(ra[k], rb[k])) return false;
  return true;
}

/** The new entity as the current one: its id and birth, and the current object when nothing else differs. */
function keep<T extends Entity>(cur: T, next: T): T {
  const adopted: T = { ...next, id: cur.id, created_at: cur.created_at };
  return equal({ ...adopted, updated_at: undefined }, { ...cur, updated_at: undefined }) ? cur : adopted;
}

/**
 * Pairs each new entity with the current one it is: by id first (a saved state, a snapshot),
 * then by key among those left (a declarative file). One to one, in order.
 */
function pair<T extends { readonly id: string }>(cur: readonly T[], next: readonly T[], key: (e: T) => string | null): Map<T, T> {
  const pairs = new Map<T, T>();
  const taken = new Set<T>();
  for (const n of next) {
    const c = cur.find((x) => x.id === n.id);
    if (c && !taken.has(c)) {
      pairs.set(n, c);
      taken.add(c);
    }
  }
  for (const n of next) {
    if (pairs.has(n)) continue;
    const k = key(n);
    if (k === null) continue;
    const c = cur.find((x) => !taken.has(x) && key(x) === k);
    if (c) {
      pairs.set(n, c);
      taken.add(c);
    }
  }
  return pairs;
}

/**
 * The reconciled list: entities that stay, in their current order (a file's order is its
 * nesting, not a wish), then the new ones in the order given.
 */
function merge<T extends { readonly id: string }>(cur: readonly T[], next: readonly T[], pairs: Map<T, T>, combine: (c: T, n: T) => T): T[] {
  const byCurrent = new Map<T, T>();
  for (const [n, c] of pairs) byCurrent.set(c, n);
  const out: T[] = [];
  for (const c of cur) {
    const n = byCurrent.get(c);
    if (n) out.push(combine(c, n));
  }
  for (const n of next) if (!pairs.has(n)) out.push(n);
  return out;
}

function reconcile<T extends Entity>(cur: readonly T[], next: readonly T[], key: (e: T) => string | null, combine: (c: T, n: T) => T = keep): T[] {
  return merge(cur, next, pair(cur, next, key), combine);
}

const named = (name: string | null): string | null => (name === null ? null : `name ${name}`);

function upstreams(cur: readonly Upstream[], next: readonly Upstream[]): Upstream[] {
  return reconcile(cur, next, (u) => named(u.name), (c, n) => {
    // A target's natural key is its address within the upstream.
    const targets = reconcile<Target>(c.targets, n.targets, (t) => t.target);
    return keep(c, { ...n, targets: targets.length === c.targets.length && targets.every((t, i) => t === c.targets[i]) ? c.targets : targets });
  });
}

/** A service without a name is the one that points at the same place. */
function serviceKey(s: Service): string | null {
  return named(s.name) ?? `at ${JSON.stringify([s.protocol, s.host, s.port, s.path])}`;
}

/** A route without a name is the one with the same service, hosts and paths. */
function routeKey(r: Route): string | null {
  return named(r.name) ?? `at ${JSON.stringify([r.service?.id ?? null, r.hosts ?? [], r.paths ?? []])}`;
}

/**
 * An app keeps its generation (the supervisor's count of pushes and restarts, which a file does
 * not carry), so its processes keep running; when what they run with changes, it moves on by
 * one, as a push does, and the supervisor replaces them rolling.
 */
function keepApp(c: App, n: App): App {
  const same = n.command === c.command && n.cwd === c.cwd && equal(n.env, c.env);
  return keep(c, { ...n, generation: same ? c.generation : c.generation + 1 });
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function reconcileByName(current: State, next: State): State {
  const servicePairs = pair(current.services, next.services, serviceKey);
  const services = merge(current.services, next.services, servicePairs, keep);
  // Routes point at services by id: at the ids the services keep.
  const serviceIds = new Map([...servicePairs].map(([n, c]) => [n.id, c.id]));
  const nextRoutes = next.routes.map((r) => {
    const id = r.service ? serviceIds.get(r.service.id) : undefined;
    return id === undefined || id === r.service?.id ? r : { ...r, service: { id } };
  });
  const out: State = {
    upstreams: upstreams(current.upstreams, next.upstreams),
    services,
    routes: reconcile(current.routes, nextRoutes, routeKey),
    apps: reconcile(current.apps, next.apps, (a) => named(a.name), keepApp),
    // A deployment is known by its id (what `bg-deploy -i ID` names).
    deployments: reconcile<Deployment>(current.deployments, next.deployments, () => null),
  };
  // An id the new state gave one entity may be one another entity now keeps.
  const seen = new Set<string>();
  for (const e of [...out.upstreams, ...out.upstreams.flatMap((u) => u.targets), ...out.services, ...out.routes]) {
    if (seen.has(e.id)) throw SwitchyardError.unique('entity', 'id', e.id);
    seen.add(e.id);
  }
  const same = (Object.keys(out) as (keyof State)[]).every((k) => sameList<unknown>(current[k], out[k]));
  return same ? current : out;
}
