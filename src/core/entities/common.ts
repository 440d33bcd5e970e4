/**
 * What the entity commands share: the outcome of a command, schema checks that throw, lookups by
 * name or id, Kong's target normalisation, id uniqueness, and field paths on nested errors.
 */
import { SwitchyardError } from '../errors.js';
import { byNameOrId, type Route, type Service, type State, type Target, type Upstream } from '../model.js';
import {
  formatHostPort,
  parseHostPort,
  validate,
  type Created,
  type Schema,
  type Updated,
} from '../schema.js';

export type Fields = Record<string, unknown>;

export interface Outcome {
  readonly state: State;
  /** The entity created, changed or deleted, as the admin API returns it. */
  readonly entity?: unknown;
  /** One line for logs and flash messages. */
  readonly summary: string;
}

/** Validates against a schema; the value's type is inferred from it (schema.ts: Created, Updated). */
export function check<S extends Schema, K extends keyof S & string = never>(
  schema: S,
  input: unknown,
  mode: 'create',
  omit?: readonly K[],
): Omit<Created<S>, K>;
export function check<S extends Schema, K extends keyof S & string = never>(
  schema: S,
  input: unknown,
  mode: 'update',
  omit?: readonly K[],
): Omit<Updated<S>, K>;
export function check(
  schema: Schema,
  input: unknown,
  mode: 'create' | 'update',
  omit: readonly string[] = [],
): Fields {
  const { value, errors } = validate(schema, input, mode);
  for (const k of omit) delete value[k];
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return value;
}

export function findUpstream(state: State, key: string): Upstream {
  const u = byNameOrId(state.upstreams, key);
  if (!u) throw SwitchyardError.notFound('upstream', key);
  return u;
}

export function findService(state: State, key: string): Service {
  const s = byNameOrId(state.services, key);
  if (!s) throw SwitchyardError.notFound('service', key);
  return s;
}

export function findRoute(state: State, key: string): Route {
  const r = byNameOrId(state.routes, key);
  if (!r) throw SwitchyardError.notFound('route', key);
  return r;
}

export function findTarget(u: Upstream, key: string): Target {
  const t =
    u.targets.find((x) => x.id === key) ??
    u.targets.find((x) => x.target === key) ??
    u.targets.find((x) => x.target === normalizeTarget(key));
  // A target is only found within its upstream: say which, so the operator sees where it looked.
  if (!t) throw new SwitchyardError('not found', `target '${key}' of upstream '${u.name}' not found`);
  return t;
}

/** `10.0.0.1` → `10.0.0.1:8000`, Kong's default target port. */
export function normalizeTarget(t: string): string {
  const r = parseHostPort(t);
  return typeof r === 'string' ? t : formatHostPort(r.host, r.port);
}

export function ensureUniqueId(state: State, id: string): void {
  const all = [
    ...state.upstreams,
    ...state.services,
    ...state.routes,
    ...state.upstreams.flatMap((u) => u.targets),
  ];
  if (all.some((e) => e.id === id)) throw SwitchyardError.unique('entity', 'id', id);
}

export function replaceIn<T>(list: readonly T[], old: T, next: T): T[] {
  return list.map((x) => (x === old ? next : x));
}

export function prefixed(e: unknown, path: string): unknown {
  if (!(e instanceof SwitchyardError)) return e;
  const keys = Object.keys(e.fields);
  if (e.code === 'schema violation' || keys.length) {
    const fields = Object.fromEntries(
      keys.map((k) => [k.startsWith('@') ? path : `${path}.${k}`, e.fields[k] as string]),
    );
    if (e.code === 'schema violation') return SwitchyardError.schema(fields);
    return new SwitchyardError(e.code, `${path}: ${e.message}`, fields);
  }
  return new SwitchyardError(e.code, `${path}: ${e.message}`, e.fields);
}
