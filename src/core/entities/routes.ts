/** The commands over Kong's routes: the service reference as Kong resolves it, and Kong's route shape check. */
import { SwitchyardError } from '../errors.js';
import { type Context, type Route, type State } from '../model.js';
import { routeSchema } from '../schema.js';
import {
  check,
  ensureUniqueId,
  findRoute,
  findService,
  replaceIn,
  type Fields,
  type Outcome,
} from './common.js';

function resolveServiceRef(state: State, ref: unknown): { id: string } | null {
  if (ref === null || ref === undefined) return null;
  const r = ref as { id?: string; name?: string };
  // Kong's wording: an id that names nothing is a foreign key violation, a name that names
  // nothing a foreign key left unresolved, and neither is a missing key.
  if (r.id !== undefined) {
    const s = state.services.find((x) => x.id === r.id);
    if (!s)
      throw new SwitchyardError(
        'foreign key violation',
        `the foreign key '{id="${r.id}"}' does not reference an existing 'services' entity.`,
        { 'service.id': r.id },
      );
    return { id: s.id };
  }
  if (!r.name) throw SwitchyardError.schema({ 'service.id': 'missing primary key' });
  const s = state.services.find((x) => x.name === r.name);
  if (!s) {
    const why = `the foreign key cannot be resolved with '{name="${r.name}"}' for an existing 'services' entity`;
    throw new SwitchyardError('foreign keys unresolved', `foreign key unresolved (service.name: ${why})`, {
      'service.name': why,
    });
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

export function createRoute(
  state: State,
  serviceKey: string | undefined,
  input: Fields,
  ctx: Context,
): Outcome {
  let service: { id: string } | null = null;
  if (serviceKey !== undefined) service = { id: findService(state, serviceKey).id };
  const f = check(routeSchema, input, 'create');
  if (service === null) service = resolveServiceRef(state, f.service);
  const name = f.name;
  if (name !== null && state.routes.some((r) => r.name === name))
    throw SwitchyardError.unique('route', 'name', name);
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
  return {
    state: { ...state, routes: [...state.routes, r] },
    entity: r,
    summary: `route ${describeRoute(r)} created`,
  };
}

export function describeRoute(r: Route): string {
  const host = r.hosts?.join(',') ?? '*';
  const path = r.paths?.join(',') ?? '';
  return r.name ? `${r.name} (${host}${path})` : `${host}${path}`;
}

export function updateRoute(state: State, key: string, input: Fields, ctx: Context): Outcome {
  const r = findRoute(state, key);
  const f = check(routeSchema, input, 'update', ['id', 'created_at', 'updated_at']);
  let service = r.service;
  if ('service' in f) service = resolveServiceRef(state, f.service);
  const next: Route = { ...r, ...f, service, updated_at: ctx.now };
  checkRouteShape(next);
  if (next.name !== r.name && next.name !== null && state.routes.some((x) => x.name === next.name))
    throw SwitchyardError.unique('route', 'name', next.name);
  return {
    state: { ...state, routes: replaceIn(state.routes, r, next) },
    entity: next,
    summary: `route ${describeRoute(next)} updated`,
  };
}

export function deleteRoute(state: State, key: string): Outcome {
  const r = findRoute(state, key);
  return {
    state: { ...state, routes: state.routes.filter((x) => x !== r) },
    entity: r,
    summary: `route ${describeRoute(r)} deleted`,
  };
}
