/**
 * The commands over Kong's services: Kong's `url` shorthand, the split over upstreams (and
 * `host` pointing into it), the TLS and hashing entity checks, and how a service is described.
 */
import { SwitchyardError, type FieldErrors } from '../errors.js';
import {
  byNameOrId,
  serviceLabel,
  type Context,
  type Service,
  type SplitEntry,
  type State,
} from '../model.js';
import { describeSticky } from '../sticky.js';
import {
  checkHashing,
  checkServiceProtocol,
  hashingOf,
  overTls,
  serviceSchema,
  splitEntrySchema,
  validate,
  type Created,
  type Updated,
} from '../schema.js';
import { ensureUniqueId, findService, replaceIn, type Fields, type Outcome } from './common.js';

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
  const out: Fields = {
    protocol,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : overTls(protocol) ? 443 : 80,
  };
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
    else if (out.some((x) => x.name === u.name))
      errors[`upstreams[${i}].name`] = `upstream '${u.name}' is listed twice`;
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
    s.upstreams.length > 0
      ? [...s.upstreams]
      : s.host !== host && state.upstreams.some((u) => u.name === s.host)
        ? [{ name: s.host, weight: 0 }]
        : [];
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
    if (host !== undefined && !split.some((e) => e.name === host))
      throw SwitchyardError.schema({
        host: `must name one of the upstreams of the split (${split.map((e) => e.name).join(', ')})`,
      });
    host ??= heaviest(split);
  }
  if (host === undefined) throw SwitchyardError.schema({ host: 'required field missing' });
  const name = f.name;
  if (name !== null && state.services.some((s) => s.name === name))
    throw SwitchyardError.unique('service', 'name', name);
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
  return {
    state: { ...state, services: [...state.services, s] },
    entity: s,
    summary: `service ${serviceLabel(s)} created → ${describeTarget(s)}`,
  };
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
  return (
    s.upstreams.map((e) => `${e.name} ${total ? Math.round((e.weight * 100) / total) : 0}%`).join(' / ') +
    (how ? ` (sticky: ${how})` : '')
  );
}

export function updateService(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const s = findService(state, key);
  const { id: _id, created_at: _created, updated_at: _updated, ...f } = serviceFields(state, input, 'update');
  let next: Service = { ...s, ...f, updated_at: ctx.now };
  if (f.upstreams !== undefined) {
    const split = f.upstreams;
    const host = f.host;
    if (split.length > 0 && host !== undefined && !split.some((e) => e.name === host)) {
      throw SwitchyardError.schema({
        host: `must name one of the upstreams of the split (${split.map((e) => e.name).join(', ')})`,
      });
    }
    next = { ...next, host: host ?? heaviest(split) ?? s.host };
  } else if (f.host !== undefined && f.host !== s.host) {
    next = { ...next, ...pointHostAt(state, s, f.host) };
  } else if (f.host !== undefined && s.upstreams.length > 0) {
    next = { ...next, ...pointHostAt(state, s, f.host) };
  }
  if (next.name !== s.name && next.name !== null && state.services.some((x) => x.name === next.name))
    throw SwitchyardError.unique('service', 'name', next.name);
  checkServiceTls(next);
  checkServiceHashing(next);
  return {
    state: { ...state, services: replaceIn(state.services, s, next) },
    entity: next,
    summary: `service ${serviceLabel(next)} → ${describeTarget(next)}`,
  };
}

export function deleteService(state: State, key: string): Outcome {
  const s = findService(state, key);
  if (state.routes.some((r) => r.service?.id === s.id)) {
    throw new SwitchyardError(
      'foreign key violation',
      "an existing 'routes' entity references this 'services' entity",
      { '@referenced_by': 'routes' },
    );
  }
  return {
    state: { ...state, services: state.services.filter((x) => x !== s) },
    entity: s,
    summary: `service ${serviceLabel(s)} deleted`,
  };
}
