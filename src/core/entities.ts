/**
 * The commands over Kong's entities (upstreams, targets, services, routes), the bottom layer of
 * commands.ts. Every change to the state is a command: a pure function from a State to a new State, or a
 * SwitchyardError. Nothing here does I/O; ids and time come in through the Context. A command
 * that fails throws before anything is built, and the caller keeps the old State untouched.
 */
import { SwitchyardError, type FieldErrors } from './errors.js';
import {
  byNameOrId,
  serviceLabel,
  type Context,
  type ManualHealth,
  type Route,
  type Service,
  type SplitEntry,
  type State,
  type Target,
  type Upstream,
} from './model.js';
import { describeSticky } from './sticky.js';
import { checkHashing, hashingOf, type Algorithm, type Hashing, checkServiceProtocol, formatHostPort, overTls, parseHostPort, routeSchema, serviceSchema, splitEntrySchema, targetSchema, upstreamSchema, validate, type Created, type Schema, type Updated } from './schema.js';

export type Fields = Record<string, unknown>;

export type EntityCommand =
  | { readonly op: 'upstream.create'; readonly fields: Fields }
  | { readonly op: 'upstream.update'; readonly upstream: string; readonly fields: Fields }
  | { readonly op: 'upstream.delete'; readonly upstream: string }
  | { readonly op: 'target.create'; readonly upstream: string; readonly fields: Fields }
  | { readonly op: 'target.update'; readonly upstream: string; readonly target: string; readonly fields: Fields }
  /** Kong's manual health: the operator's verdict on a target, kept in the state. */
  | { readonly op: 'target.health'; readonly upstream: string; readonly target: string; readonly verdict: 'healthy' | 'unhealthy' }
  | { readonly op: 'target.delete'; readonly upstream: string; readonly target: string }
  | { readonly op: 'service.create'; readonly fields: Fields }
  | { readonly op: 'service.update'; readonly service: string; readonly fields: Fields }
  | { readonly op: 'service.delete'; readonly service: string }
  | { readonly op: 'route.create'; readonly service?: string; readonly fields: Fields }
  | { readonly op: 'route.update'; readonly route: string; readonly fields: Fields }
  | { readonly op: 'route.delete'; readonly route: string }
  /** The split of a service over upstreams, by name: what the ratio slider and `map-route` edit. */
  /** `hashing`: Kong's hashing fields for the split (`--sticky`), checked as a PATCH of them would be. */
  | { readonly op: 'service.split'; readonly service: string; readonly split: readonly SplitEntry[]; readonly hashing?: Readonly<Fields> | Hashing; readonly force?: boolean };

export interface Outcome {
  readonly state: State;
  /** The entity created, changed or deleted, as the admin API returns it. */
  readonly entity?: unknown;
  /** One line for logs and flash messages. */
  readonly summary: string;
}

/** Validates against a schema; the value's type is inferred from it (schema.ts: Created, Updated). */
function check<S extends Schema, K extends keyof S & string = never>(schema: S, input: unknown, mode: 'create', omit?: readonly K[]): Omit<Created<S>, K>;
function check<S extends Schema, K extends keyof S & string = never>(schema: S, input: unknown, mode: 'update', omit?: readonly K[]): Omit<Updated<S>, K>;
function check(schema: Schema, input: unknown, mode: 'create' | 'update', omit: readonly string[] = []): Fields {
  const { value, errors } = validate(schema, input, mode);
  for (const k of omit) delete value[k];
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return value;
}

/** A target's fields as either schema gives them: POST …/targets, or nested in an upstream. */
interface TargetFields {
  readonly target: string;
  readonly weight: number;
  readonly id?: string;
  readonly created_at?: number;
  readonly tags?: string[] | null;
  readonly manual_health?: ManualHealth | null;
}

function findUpstream(state: State, key: string): Upstream {
  const u = byNameOrId(state.upstreams, key);
  if (!u) throw SwitchyardError.notFound('upstream', key);
  return u;
}

function findService(state: State, key: string): Service {
  const s = byNameOrId(state.services, key);
  if (!s) throw SwitchyardError.notFound('service', key);
  return s;
}

function findRoute(state: State, key: string): Route {
  const r = byNameOrId(state.routes, key);
  if (!r) throw SwitchyardError.notFound('route', key);
  return r;
}

function findTarget(u: Upstream, key: string): Target {
  const t = u.targets.find((x) => x.id === key) ?? u.targets.find((x) => x.target === key) ?? u.targets.find((x) => x.target === normalizeTarget(key));
  // A target is only found within its upstream: say which, so the operator sees where it looked.
  if (!t) throw new SwitchyardError('not found', `target '${key}' of upstream '${u.name}' not found`);
  return t;
}

/** `10.0.0.1` → `10.0.0.1:8000`, Kong's default target port. */
export function normalizeTarget(t: string): string {
  const r = parseHostPort(t);
  return typeof r === 'string' ? t : formatHostPort(r.host, r.port);
}

function ensureUniqueId(state: State, id: string): void {
  const all = [...state.upstreams, ...state.services, ...state.routes, ...state.upstreams.flatMap((u) => u.targets)];
  if (all.some((e) => e.id === id)) throw SwitchyardError.unique('entity', 'id', id);
}

function replaceIn<T>(list: readonly T[], old: T, next: T): T[] {
  return list.map((x) => (x === old ? next : x));
}

function makeTarget(state: State, fields: TargetFields, ctx: Context, existing: readonly Target[], upstreamName: string): Target {
  const target = normalizeTarget(fields.target);
  if (existing.some((t) => t.target === target)) {
    throw new SwitchyardError('unique constraint violation', `target ${target} already exists in upstream ${upstreamName}`, { target });
  }
  const id = fields.id ?? ctx.newId();
  if (fields.id) ensureUniqueId(state, id);
  return {
    id,
    target,
    weight: fields.weight,
    created_at: fields.created_at ?? ctx.now,
    tags: fields.tags ?? null,
    ...(fields.manual_health ? { manual_health: fields.manual_health } : {}),
  };
}

export function createUpstream(state: State, input: Fields, ctx: Context): Outcome {
  const f = check(upstreamSchema, input, 'create');
  const name = f.name;
  if (state.upstreams.some((u) => u.name === name)) throw SwitchyardError.unique('upstream', 'name', name);
  const id = f.id ?? ctx.newId();
  if (f.id) ensureUniqueId(state, id);
  const targets: Target[] = [];
  for (const t of f.targets ?? []) targets.push(makeTarget(state, t, ctx, targets, name));
  const u: Upstream = {
    id,
    name,
    ...upstreamHashing(f, input, undefined),
    slots: f.slots,
    host_header: f.host_header,
    // A filled record: every field is there, with Kong's defaults (the schema's shape is the model's).
    healthchecks: f.healthchecks,
    targets,
    created_at: f.created_at ?? ctx.now,
    updated_at: f.updated_at ?? ctx.now,
    tags: f.tags ?? null,
  };
  return { state: { ...state, upstreams: [...state.upstreams, u] }, entity: u, summary: `upstream ${name} created` };
}

function updateUpstream(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const u = findUpstream(state, key);
  // Kong merges a PATCH of nested `healthchecks` into what is there.
  const merged = isRecord(input.healthchecks) ? { ...input, healthchecks: deepMerge(u.healthchecks, input.healthchecks) } : input;
  const f = check(upstreamSchema, merged, 'update', ['id', 'created_at', 'updated_at', 'targets']);
  if ('targets' in input) throw SwitchyardError.schema({ targets: 'targets are changed through /upstreams/{upstream}/targets' });
  const name = f.name ?? u.name;
  if (name !== u.name && state.upstreams.some((x) => x.name === name)) throw SwitchyardError.unique('upstream', 'name', name);
  const next: Upstream = { ...u, ...f, ...upstreamHashing(f, input, u), name, updated_at: ctx.now };
  let services = state.services;
  if (name !== u.name) {
    // A rename carries every service that points at the upstream along with it.
    services = services.map((s) =>
      s.host === u.name || s.upstreams.some((e) => e.name === u.name)
        ? { ...s, host: s.host === u.name ? name : s.host, upstreams: s.upstreams.map((e) => (e.name === u.name ? { ...e, name } : e)) }
        : s,
    );
  }
  return { state: { ...state, services, upstreams: replaceIn(state.upstreams, u, next) }, entity: next, summary: `upstream ${name} updated` };
}

/**
 * An upstream's algorithm and hashing fields after Kong's shorthands (upstreams.lua
 * `shorthand_fields`, applied as kong/db/schema/init.lua does, in order, each winning over the
 * plain field): `algorithm` least-connections or latency clears hash_on; then a hash_on given
 * (or so cleared) sets the algorithm: `none` is round-robin, anything else consistent-hashing
 * (a cleared one leaves it). Then Kong's entity checks, naming the field.
 */
function upstreamHashing(f: Partial<Hashing> & { algorithm?: Algorithm }, input: Fields, old: Upstream | undefined): Hashing & { algorithm: Algorithm } {
  const given = (k: string) => isRecord(input) && input[k] !== undefined;
  let algorithm = f.algorithm ?? old?.algorithm ?? 'round-robin';
  let h = hashingOf({ ...(old ?? {}), ...f });
  const cleared = given('algorithm') && (algorithm === 'least-connections' || algorithm === 'latency');
  // (the fallback too: Kong would then refuse hash_fallback without hash_on)
  if (cleared) h = { ...h, hash_on: 'none', hash_fallback: 'none' };
  else if (given('hash_on')) algorithm = h.hash_on === 'none' ? 'round-robin' : 'consistent-hashing';
  const errors = checkHashing(h, algorithm);
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return { algorithm, ...h };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) out[k] = isRecord(v) && isRecord(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}

function deleteUpstream(state: State, key: string): Outcome {
  const u = findUpstream(state, key);
  // A weight-0 entry left by a switch is no reference: Kong lets the old colour go.
  const users = state.services.filter((s) => s.host === u.name || s.upstreams.some((e) => e.name === u.name && e.weight > 0));
  if (users.length) {
    throw new SwitchyardError(
      'foreign key violation',
      `an existing 'services' entity references this 'upstreams' entity (service ${users.map(serviceLabel).join(', ')}); change or delete it first`,
      { '@referenced_by': 'services' },
    );
  }
  const services = state.services.map((s) => (s.upstreams.some((e) => e.name === u.name) ? { ...s, upstreams: s.upstreams.filter((e) => e.name !== u.name) } : s));
  return { state: { ...state, services, upstreams: state.upstreams.filter((x) => x !== u) }, entity: u, summary: `upstream ${u.name} deleted` };
}

function createTarget(state: State, upstream: string, input: Fields, ctx: Context): Outcome {
  const u = findUpstream(state, upstream);
  const f = check(targetSchema, input, 'create', ['upstream']);
  const t = makeTarget(state, f, ctx, u.targets, u.name);
  const next: Upstream = { ...u, targets: [...u.targets, t], updated_at: ctx.now };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...t, upstream: { id: u.id } },
    summary: `target ${t.target} added to ${u.name} (weight ${t.weight})`,
  };
}

function updateTarget(state: State, upstream: string, key: string, input: Fields, ctx: Context): Outcome {
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const f = check(targetSchema, input, 'update', ['id', 'created_at', 'upstream']);
  const target = f.target !== undefined ? normalizeTarget(f.target) : t.target;
  if (target !== t.target && u.targets.some((x) => x.target === target)) {
    throw new SwitchyardError('unique constraint violation', `target ${target} already exists in upstream ${u.name}`, { target });
  }
  const nt: Target = { ...t, ...(f.weight !== undefined ? { weight: f.weight } : {}), ...(f.tags !== undefined ? { tags: f.tags } : {}), target };
  const next: Upstream = { ...u, targets: replaceIn(u.targets, t, nt), updated_at: ctx.now };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...nt, upstream: { id: u.id } },
    summary: `target ${nt.target} in ${u.name}: weight ${t.weight} → ${nt.weight}`,
  };
}

function markTarget(state: State, upstream: string, key: string, verdict: unknown): Outcome {
  if (verdict !== 'healthy' && verdict !== 'unhealthy') throw SwitchyardError.schema({ verdict: "expected one of: healthy, unhealthy" });
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const nt: Target = { ...t, manual_health: { verdict, seq: (t.manual_health?.seq ?? 0) + 1 } };
  const next: Upstream = { ...u, targets: replaceIn(u.targets, t, nt) };
  return {
    state: { ...state, upstreams: replaceIn(state.upstreams, u, next) },
    entity: { ...nt, upstream: { id: u.id } },
    summary: `target ${t.target} in ${u.name} marked ${verdict}${verdict === 'unhealthy' ? ': it takes no traffic until marked healthy or its health checks revive it' : ''}`,
  };
}

function deleteTarget(state: State, upstream: string, key: string, ctx: Context): Outcome {
  const u = findUpstream(state, upstream);
  const t = findTarget(u, key);
  const next: Upstream = { ...u, targets: u.targets.filter((x) => x !== t), updated_at: ctx.now };
  return { state: { ...state, upstreams: replaceIn(state.upstreams, u, next) }, entity: t, summary: `target ${t.target} removed from ${u.name}` };
}

/** Kong's `url` shorthand: scheme → protocol, and the port the scheme implies when none is given (443 for https). */
function parseServiceUrl(url: string, errors: FieldErrors): Fields {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    errors.url = 'invalid url';
    return {};
  }
  const protocol = u.protocol.slice(0, -1);
  const bad = checkServiceProtocol(protocol);
  if (bad) {
    errors.url = bad;
    return {};
  }
  // WHATWG URL drops a port that is the scheme's default: give it back as Kong's parser does.
  const out: Fields = { protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : overTls(protocol) ? 443 : 80 };
  if (u.pathname && u.pathname !== '/') out.path = u.pathname;
  else if (url.endsWith('/')) out.path = '/';
  return out;
}

function checkSplit(state: State, raw: unknown): SplitEntry[] {
  const errors: FieldErrors = {};
  const list = Array.isArray(raw) ? raw : [];
  if (!Array.isArray(raw)) errors.upstreams = 'expected an array';
  const out: SplitEntry[] = [];
  list.forEach((e, i) => {
    const { value, errors: es } = validate(splitEntrySchema, e, 'create', `upstreams[${i}].`);
    Object.assign(errors, es);
    if (Object.keys(es).length) return;
    const name = value.name;
    const u = byNameOrId(state.upstreams, name);
    if (!u) errors[`upstreams[${i}].name`] = `no upstream named '${name}'`;
    else if (out.some((x) => x.name === u.name)) errors[`upstreams[${i}].name`] = `upstream '${u.name}' is listed twice`;
    else out.push({ name: u.name, weight: value.weight });
  });
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return out;
}

/** The upstream a split sends most traffic to: what Kong's `host` shows for it. */
function heaviest(split: readonly SplitEntry[]): string | undefined {
  let best: SplitEntry | undefined;
  for (const e of split) if (!best || e.weight > best.weight) best = e;
  return best?.name;
}

/**
 * Kong's `PATCH host=green` on a service that already splits: 100% to green, and every upstream
 * that was in the split stays at weight 0 so switching back is one step.
 */
function pointHostAt(state: State, s: Service, host: string): { host: string; upstreams: SplitEntry[] } {
  const isUpstream = state.upstreams.some((u) => u.name === host);
  if (!isUpstream) return { host, upstreams: [] };
  const prev: SplitEntry[] =
    s.upstreams.length > 0 ? [...s.upstreams] : s.host !== host && state.upstreams.some((u) => u.name === s.host) ? [{ name: s.host, weight: 0 }] : [];
  if (prev.length === 0) return { host, upstreams: [] };
  const next = prev.map((e) => ({ name: e.name, weight: e.name === host ? 100 : 0 }));
  if (!next.some((e) => e.name === host)) next.push({ name: host, weight: 100 });
  return { host, upstreams: next };
}

type ServiceSchema = typeof serviceSchema;
type WithSplit<T> = Omit<T, 'upstreams' | 'url'> & { upstreams?: SplitEntry[] };

/** A service's fields, `url` taken apart into host/port/path/protocol and the split checked. */
function serviceFields(state: State, input: Fields, mode: 'create'): WithSplit<Created<ServiceSchema>>;
function serviceFields(state: State, input: Fields, mode: 'update'): WithSplit<Updated<ServiceSchema>>;
function serviceFields(state: State, input: Fields, mode: 'create' | 'update'): Fields {
  const errors: FieldErrors = {};
  let rest = input;
  if (typeof input === 'object' && input !== null && 'url' in input && input.url !== undefined) {
    if (typeof input.url !== 'string') errors.url = 'expected a string';
    else {
      const fromUrl = parseServiceUrl(input.url, errors);
      // A url without a path means no path (Kong's PATCH url=http://h clears an earlier one).
      if (!('path' in fromUrl) && input.path === undefined && !errors.url) fromUrl.path = null;
      // As Kong's shorthand fields: what the url says wins over host, port, path and protocol
      // given beside it (kong/db/schema/init.lua; Supabase's kong.yml has url and protocol: ws).
      const { url: _url, ...others } = input;
      rest = { ...others, ...fromUrl };
    }
  }
  const { upstreams, ...plain } = rest as Fields & { upstreams?: unknown };
  const { value, errors: es } = validate(serviceSchema, plain, mode);
  Object.assign(errors, es);
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  if (upstreams !== undefined) value.upstreams = checkSplit(state, upstreams);
  return value;
}

export function createService(state: State, input: Fields, ctx: Context): Outcome {
  const f = serviceFields(state, input, 'create');
  const split = f.upstreams ?? [];
  let host = f.host;
  if (split.length > 0) {
    if (host !== undefined && !split.some((e) => e.name === host)) throw SwitchyardError.schema({ host: `must name one of the upstreams of the split (${split.map((e) => e.name).join(', ')})` });
    host ??= heaviest(split);
  }
  if (host === undefined) throw SwitchyardError.schema({ host: 'required field missing' });
  const name = f.name;
  if (name !== null && state.services.some((s) => s.name === name)) throw SwitchyardError.unique('service', 'name', name);
  const id = f.id ?? ctx.newId();
  if (f.id) ensureUniqueId(state, id);
  const s: Service = {
    id,
    name,
    protocol: f.protocol,
    host,
    port: f.port,
    path: f.path,
    retries: f.retries,
    connect_timeout: f.connect_timeout,
    write_timeout: f.write_timeout,
    read_timeout: f.read_timeout,
    enabled: f.enabled,
    tls_verify: f.tls_verify,
    tls_verify_depth: f.tls_verify_depth,
    upstreams: split,
    ...hashingOf(f),
    created_at: f.created_at ?? ctx.now,
    updated_at: f.updated_at ?? ctx.now,
    tags: f.tags ?? null,
  };
  checkServiceTls(s);
  checkServiceHashing(s);
  return { state: { ...state, services: [...state.services, s] }, entity: s, summary: `service ${serviceLabel(s)} created → ${describeTarget(s)}` };
}

/** Kong's entity checks on services: the TLS fields mean something only for protocol https. */
function checkServiceTls(s: Service): void {
  if (overTls(s.protocol)) return;
  const errors: FieldErrors = {};
  for (const k of ['tls_verify', 'tls_verify_depth'] as const) {
    if (s[k] !== null) errors[k] = `must be null unless protocol is 'https' (protocol is '${s.protocol}')`;
  }
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
}

/** Kong's hashing checks, on the service's sticky split. */
function checkServiceHashing(s: Service): void {
  const errors = checkHashing(hashingOf(s));
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
}

export function describeTarget(s: Service): string {
  if (s.upstreams.length === 0) return s.host;
  const total = s.upstreams.reduce((a, e) => a + e.weight, 0);
  const how = s.upstreams.length > 1 ? describeSticky(s) : '';
  return s.upstreams.map((e) => `${e.name} ${total ? Math.round((e.weight * 100) / total) : 0}%`).join(' / ') + (how ? ` (sticky: ${how})` : '');
}

function updateService(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const s = findService(state, key);
  const { id: _id, created_at: _created, updated_at: _updated, ...f } = serviceFields(state, input, 'update');
  let next: Service = { ...s, ...f, updated_at: ctx.now };
  if (f.upstreams !== undefined) {
    const split = f.upstreams;
    const host = f.host;
    if (split.length > 0 && host !== undefined && !split.some((e) => e.name === host)) {
      throw SwitchyardError.schema({ host: `must name one of the upstreams of the split (${split.map((e) => e.name).join(', ')})` });
    }
    next = { ...next, host: host ?? heaviest(split) ?? s.host };
  } else if (f.host !== undefined && f.host !== s.host) {
    next = { ...next, ...pointHostAt(state, s, f.host) };
  } else if (f.host !== undefined && s.upstreams.length > 0) {
    next = { ...next, ...pointHostAt(state, s, f.host) };
  }
  if (next.name !== s.name && next.name !== null && state.services.some((x) => x.name === next.name)) throw SwitchyardError.unique('service', 'name', next.name);
  checkServiceTls(next);
  checkServiceHashing(next);
  return { state: { ...state, services: replaceIn(state.services, s, next) }, entity: next, summary: `service ${serviceLabel(next)} → ${describeTarget(next)}` };
}

function deleteService(state: State, key: string): Outcome {
  const s = findService(state, key);
  if (state.routes.some((r) => r.service?.id === s.id)) {
    throw new SwitchyardError('foreign key violation', "an existing 'routes' entity references this 'services' entity", { '@referenced_by': 'routes' });
  }
  return { state: { ...state, services: state.services.filter((x) => x !== s) }, entity: s, summary: `service ${serviceLabel(s)} deleted` };
}

function resolveServiceRef(state: State, ref: unknown): { id: string } | null {
  if (ref === null || ref === undefined) return null;
  const r = ref as { id?: string; name?: string };
  // Kong's wording: an id that names nothing is a foreign key violation, a name that names
  // nothing a foreign key left unresolved, and neither is a missing key.
  if (r.id !== undefined) {
    const s = state.services.find((x) => x.id === r.id);
    if (!s) throw new SwitchyardError('foreign key violation', `the foreign key '{id="${r.id}"}' does not reference an existing 'services' entity.`, { 'service.id': r.id });
    return { id: s.id };
  }
  if (!r.name) throw SwitchyardError.schema({ 'service.id': 'missing primary key' });
  const s = state.services.find((x) => x.name === r.name);
  if (!s) {
    const why = `the foreign key cannot be resolved with '{name="${r.name}"}' for an existing 'services' entity`;
    throw new SwitchyardError('foreign keys unresolved', `foreign key unresolved (service.name: ${why})`, { 'service.name': why });
  }
  return { id: s.id };
}

function checkRouteShape(r: Route): void {
  if (
    !r.hosts?.length &&
    !r.paths?.length &&
    !r.methods?.length &&
    !(r.headers && Object.keys(r.headers).length)
  ) {
    // Kong's message (routes_subschemas.lua): `snis` counts only with https.
    const https = r.protocols.includes('https');
    throw SwitchyardError.schema({
      '@entity': `must set one of 'methods', 'hosts', 'headers', 'paths'${https ? ", 'snis'" : ''} when 'protocols' is '${https ? 'https' : 'http'}'`,
    });
  }
}

export function createRoute(state: State, serviceKey: string | undefined, input: Fields, ctx: Context): Outcome {
  let service: { id: string } | null = null;
  if (serviceKey !== undefined) service = { id: findService(state, serviceKey).id };
  const f = check(routeSchema, input, 'create');
  if (service === null) service = resolveServiceRef(state, f.service);
  const name = f.name;
  if (name !== null && state.routes.some((r) => r.name === name)) throw SwitchyardError.unique('route', 'name', name);
  const id = f.id ?? ctx.newId();
  if (f.id) ensureUniqueId(state, id);
  const r: Route = {
    id,
    name,
    protocols: f.protocols,
    methods: f.methods ?? null,
    hosts: f.hosts ?? null,
    paths: f.paths ?? null,
    headers: f.headers ?? null,
    regex_priority: f.regex_priority,
    path_handling: f.path_handling,
    https_redirect_status_code: f.https_redirect_status_code,
    strip_path: f.strip_path,
    preserve_host: f.preserve_host,
    service,
    created_at: f.created_at ?? ctx.now,
    updated_at: f.updated_at ?? ctx.now,
    tags: f.tags ?? null,
  };
  checkRouteShape(r);
  return { state: { ...state, routes: [...state.routes, r] }, entity: r, summary: `route ${describeRoute(r)} created` };
}

export function describeRoute(r: Route): string {
  const host = r.hosts?.join(',') ?? '*';
  const path = r.paths?.join(',') ?? '';
  return r.name ? `${r.name} (${host}${path})` : `${host}${path}`;
}

function updateRoute(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const r = findRoute(state, key);
  const f = check(routeSchema, input, 'update', ['id', 'created_at', 'updated_at']);
  let service = r.service;
  if ('service' in f) service = resolveServiceRef(state, f.service);
  const next: Route = { ...r, ...f, service, updated_at: ctx.now };
  checkRouteShape(next);
  if (next.name !== r.name && next.name !== null && state.routes.some((x) => x.name === next.name)) throw SwitchyardError.unique('route', 'name', next.name);
  return { state: { ...state, routes: replaceIn(state.routes, r, next) }, entity: next, summary: `route ${describeRoute(next)} updated` };
}

function deleteRoute(state: State, key: string): Outcome {
  const r = findRoute(state, key);
  return { state: { ...state, routes: state.routes.filter((x) => x !== r) }, entity: r, summary: `route ${describeRoute(r)} deleted` };
}

export function prefixed(e: unknown, path: string): unknown {
  if (!(e instanceof SwitchyardError)) return e;
  const keys = Object.keys(e.fields);
  if (e.code === 'schema violation' || keys.length) {
    const fields = Object.fromEntries(keys.map((k) => [k.startsWith('@') ? path : `${path}.${k}`, e.fields[k] as string]));
    if (e.code === 'schema violation') return SwitchyardError.schema(fields);
    return new SwitchyardError(e.code, `${path}: ${e.message}`, fields);
  }
  return new SwitchyardError(e.code, `${path}: ${e.message}`, e.fields);
}

export function executeEntity(state: State, cmd: EntityCommand, ctx: Context): Outcome {
  switch (cmd.op) {
    case 'upstream.create':
      return createUpstream(state, cmd.fields, ctx);
    case 'upstream.update':
      return updateUpstream(state, cmd.upstream, cmd.fields, ctx);
    case 'upstream.delete':
      return deleteUpstream(state, cmd.upstream);
    case 'target.create':
      return createTarget(state, cmd.upstream, cmd.fields, ctx);
    case 'target.update':
      return updateTarget(state, cmd.upstream, cmd.target, cmd.fields, ctx);
    case 'target.delete':
      return deleteTarget(state, cmd.upstream, cmd.target, ctx);
    case 'target.health':
      return markTarget(state, cmd.upstream, cmd.target, cmd.verdict);
    case 'service.create':
      return createService(state, cmd.fields, ctx);
    case 'service.update':
      return updateService(state, cmd.service, cmd.fields, ctx);
    case 'service.delete':
      return deleteService(state, cmd.service);
    case 'service.split':
      return updateService(state, cmd.service, { ...((cmd.hashing ?? {}) as Fields), upstreams: cmd.split }, ctx);
    case 'route.create':
      return createRoute(state, cmd.service, cmd.fields, ctx);
    case 'route.update':
      return updateRoute(state, cmd.route, cmd.fields, ctx);
    case 'route.delete':
      return deleteRoute(state, cmd.route);
  }
}
