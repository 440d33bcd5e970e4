/**
 * The endpoints Kong generates from the route's `service` foreign key (kong/api/endpoints.lua):
 * `/services/{s}/routes` (list, create), `/services/{s}/routes/{r}` (a route seen through its
 * service) and `/routes/{r}/service` (a route's service), with Kong's semantics for each method.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from '../core/commands.js';
import { byNameOrId, type Route, type Service, type State } from '../core/model.js';
import { routeSchema } from '../core/schema.js';
import {
  created,
  keyFields,
  methodNotAllowed,
  noContent,
  notFound,
  ok,
  page,
  parseBody,
  replaceFields,
  routeJson,
  serviceJson,
  serviceReplacement,
  type Handler,
  type Reply,
} from './kong.js';

/** What these endpoints need of the admin server. */
export interface EntityApi {
  on(method: string, path: string, handler: Handler): void;
  state(): State;
  /** Dispatches a command as the admin API; the entity it made or changed. */
  run(command: Command): unknown;
}

function find<T extends { id: string; name: string | null }>(list: readonly T[], key: string): T {
  const e = byNameOrId(list, key);
  if (!e) throw notFound();
  return e;
}

/**
 * PUT /routes/{r} and PUT /services/{s}/routes/{r}: creates the route named (or with the id) in
 * the URL, or replaces it, every field the body leaves out back to its default. The URL's key
 * wins over the body's; `service`, when given, over both (the parent of a nested PUT).
 */
export function upsertRoute(
  api: EntityApi,
  key: string,
  body: Record<string, unknown>,
  service?: { id: string },
): Reply {
  const fields = { ...body, ...keyFields(key, 'name'), ...(service ? { service } : {}) };
  const r = byNameOrId(api.state().routes, key);
  if (!r) return ok(api.run({ op: 'route.create', fields }));
  const replaced = replaceFields(routeSchema, fields, ['id', 'created_at', 'updated_at', 'name']);
  delete replaced.id;
  return ok(api.run({ op: 'route.update', route: r.id, fields: replaced }));
}

export function defineServiceRoutes(api: EntityApi): void {
  const service = (key: string): Service => find(api.state().services, key);
  const route = (key: string): Route => find(api.state().routes, key);
  /** A route seen through a service: one of its own, or 404 as if it did not exist. */
  const own = (s: Service, key: string): Route => {
    const r = route(key);
    if (r.service?.id !== s.id) throw notFound();
    return r;
  };
  /** The service of a route; 404 when the route has none. */
  const serviceOf = (r: Route): Service => {
    const s = r.service && api.state().services.find((x) => x.id === r.service?.id);
    if (!s) throw notFound();
    return s;
  };

  api.on('GET', '/services/:s/routes', ({ url, params }) => {
    const s = service(params.s as string);
    return page(
      api
        .state()
        .routes.filter((r) => r.service?.id === s.id)
        .map(routeJson),
      url,
      true,
    );
  });
  api.on('POST', '/services/:s/routes', async ({ req, params }) => {
    const s = service(params.s as string);
    return created(api.run({ op: 'route.create', service: s.id, fields: await parseBody(req) }));
  });

  api.on('GET', '/services/:s/routes/:r', ({ params }) =>
    ok(routeJson(own(service(params.s as string), params.r as string))),
  );
  // A `service` in the body moves the route: Kong lets a PATCH do that.
  api.on('PATCH', '/services/:s/routes/:r', async ({ req, params }) => {
    const s = service(params.s as string);
    const fields = await parseBody(req);
    return ok(api.run({ op: 'route.update', route: own(s, params.r as string).id, fields }));
  });
  // Kong's upsert: the service comes from the URL, whatever the route belonged to before.
  api.on('PUT', '/services/:s/routes/:r', async ({ req, params }) => {
    const s = service(params.s as string);
    return upsertRoute(api, params.r as string, await parseBody(req), { id: s.id });
  });
  // Unlike DELETE /routes/{r}, a route that is not there (under this service) is a 404.
  api.on('DELETE', '/services/:s/routes/:r', ({ params }) => {
    const r = own(service(params.s as string), params.r as string);
    api.run({ op: 'route.delete', route: r.id });
    return noContent;
  });

  api.on('GET', '/routes/:r/service', ({ params }) => ok(serviceJson(serviceOf(route(params.r as string)))));
  api.on('PATCH', '/routes/:r/service', async ({ req, params }) => {
    const s = serviceOf(route(params.r as string));
    return ok(api.run({ op: 'service.update', service: s.id, fields: await parseBody(req) }));
  });
  // Replaces the route's service, or creates one and attaches the route to it.
  api.on('PUT', '/routes/:r/service', async ({ req, params }) => {
    const r = route(params.r as string);
    const body = await parseBody(req);
    const current = r.service && api.state().services.find((x) => x.id === r.service?.id);
    if (current)
      return ok(api.run({ op: 'service.update', service: current.id, fields: serviceReplacement(body) }));
    const id = randomUUID();
    api.run({
      op: 'batch',
      commands: [
        { op: 'service.create', fields: { ...body, id } },
        { op: 'route.update', route: r.id, fields: { service: { id } } },
      ],
    });
    return ok(serviceJson(service(id)));
  });
  // Kong will not delete a service through its route.
  api.on('DELETE', '/routes/:r/service', ({ params }) => {
    serviceOf(route(params.r as string));
    throw methodNotAllowed();
  });
}
