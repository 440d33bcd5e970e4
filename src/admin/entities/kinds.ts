/**
 * Kong's four entities as registrations of the generated endpoints (crud.ts): their schemas,
 * keys, JSON shapes and core commands, and where each departs from Kong's defaults (an upstream
 * hides its targets, targets are keyed by address and live only under their upstream).
 */
import { normalizeTarget, type Fields } from '../../core/commands.js';
import { byNameOrId, type Route, type Service, type Target, type Upstream } from '../../core/model.js';
import { routeSchema, serviceSchema, targetSchema, upstreamSchema } from '../../core/schema.js';
import { notFound } from '../kong.js';
import type { Router } from '../router.js';
import { defineEntity, replaceFields, type EntityDef, type EntityEnv } from './crud.js';
import { defineTargetHealth } from './health.js';

export function upstreamJson(u: Upstream): Omit<Upstream, 'targets'> {
  // Kong's upstream has no targets field: they live under /upstreams/{u}/targets.
  const { targets: _targets, ...rest } = u;
  return rest;
}

export function targetJson(t: Target, u: Upstream): Record<string, unknown> {
  return {
    id: t.id,
    target: t.target,
    weight: t.weight,
    upstream: { id: u.id },
    created_at: t.created_at,
    tags: t.tags,
  };
}

/**
 * A service's fields for PUT (an upsert that replaces): what the body leaves out is reset, except
 * that with `url`, host/port/path/protocol come from it. Without host, url or a split there is no
 * host: Kong counts that as `host: required field missing`, beside the body's own errors.
 */
export function serviceReplacement(body: Fields): Fields {
  const hasUrl = body.url !== undefined;
  const keep = [
    'id',
    'created_at',
    'updated_at',
    'name',
    'url',
    'upstreams',
    ...(hasUrl ? ['host', 'port', 'path', 'protocol'] : []),
  ];
  const fields = replaceFields(serviceSchema, body, keep);
  delete fields.id;
  const split = Array.isArray(body.upstreams) && body.upstreams.length > 0;
  if (body.host === undefined && !hasUrl && !split) fields.host = null;
  fields.upstreams ??= [];
  return fields;
}

/** A target by id, by address as given, or by its address normalised (`host` → `host:8000`). */
function findTarget(u: Upstream, key: string): Target | undefined {
  return (
    u.targets.find((t) => t.id === key) ??
    u.targets.find((t) => t.target === key) ??
    u.targets.find((t) => t.target === normalizeTarget(key))
  );
}

/** A target's upstream: the generated endpoints always pass it (targets have no top-level endpoints). */
function held(u: Upstream | undefined): Upstream {
  if (!u) throw notFound();
  return u;
}

export const upstreams: EntityDef<Upstream> = {
  collection: 'upstreams',
  schema: upstreamSchema,
  endpointKey: 'name',
  putKeeps: ['targets'],
  topLevel: true,
  putCreates: true,
  list: (state) => state.upstreams,
  find: (state, key) => byNameOrId(state.upstreams, key),
  json: upstreamJson,
  create: (fields) => ({ op: 'upstream.create', fields }),
  update: (u, fields) => ({ op: 'upstream.update', upstream: u.id, fields }),
  remove: (u) => ({ op: 'upstream.delete', upstream: u.id }),
};

export const targets: EntityDef<Target, Upstream> = {
  collection: 'targets',
  schema: targetSchema,
  endpointKey: 'target',
  putKeeps: ['upstream'],
  // Kong disables /targets/{t}: a target is reached through its upstream, which holds it.
  topLevel: false,
  putCreates: false,
  foreign: {
    field: 'upstream',
    parent: upstreams,
    parentOf: (state, t) => state.upstreams.find((u) => u.targets.includes(t)),
    reverse: false,
  },
  listAliases: ['all'],
  list: (_state, u) => u?.targets ?? [],
  find: (_state, key, u) => (u ? findTarget(u, key) : undefined),
  json: (t, u) => targetJson(t, held(u)),
  create: (fields, u) => ({ op: 'target.create', upstream: held(u).id, fields }),
  update: (t, fields, u) => ({ op: 'target.update', upstream: held(u).id, target: t.id, fields }),
  remove: (t, u) => ({ op: 'target.delete', upstream: held(u).id, target: t.id }),
  extra: defineTargetHealth,
};

export const services: EntityDef<Service> = {
  collection: 'services',
  schema: serviceSchema,
  endpointKey: 'name',
  replacement: serviceReplacement,
  topLevel: true,
  putCreates: true,
  list: (state) => state.services,
  find: (state, key) => byNameOrId(state.services, key),
  json: (s) => s,
  create: (fields) => ({ op: 'service.create', fields }),
  update: (s, fields) => ({ op: 'service.update', service: s.id, fields }),
  remove: (s) => ({ op: 'service.delete', service: s.id }),
};

export const routes: EntityDef<Route, Service> = {
  collection: 'routes',
  schema: routeSchema,
  endpointKey: 'name',
  topLevel: true,
  putCreates: true,
  foreign: {
    field: 'service',
    parent: services,
    parentOf: (state, r) => (r.service ? state.services.find((s) => s.id === r.service?.id) : undefined),
    reverse: true,
  },
  list: (state, s) => (s ? state.routes.filter((r) => r.service?.id === s.id) : state.routes),
  // Under a service, only its own routes: another's is 404 as if it did not exist.
  find: (state, key, s) => {
    const r = byNameOrId(state.routes, key);
    return r && (!s || r.service?.id === s.id) ? r : undefined;
  },
  json: (r) => r,
  create: (fields, s) => (s ? { op: 'route.create', service: s.id, fields } : { op: 'route.create', fields }),
  update: (r, fields) => ({ op: 'route.update', route: r.id, fields }),
  remove: (r) => ({ op: 'route.delete', route: r.id }),
};

/** Kong's entity endpoints, all four from their registrations. */
export function defineEntities(router: Router, env: EntityEnv): void {
  defineEntity(router, env, upstreams);
  defineEntity(router, env, targets);
  defineEntity(router, env, services);
  defineEntity(router, env, routes);
}
