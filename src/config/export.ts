/**
 * Writing a State as a declarative document: Kong's format with switchyard's extensions, or
 * (`kong` flavour) what Kong itself accepts, saying in `notes` what that leaves out.
 */
import YAML from 'yaml';
import type { Route, Service, State } from '../core/model.js';
import { same } from '../core/same.js';
import {
  HASHING_FIELDS,
  appSchema,
  deploymentSchema,
  healthchecksSchema,
  routeSchema,
  serviceSchema,
  upstreamSchema,
  validate,
  type Schema,
} from '../core/schema.js';

/** Fields worth writing: set, and not the schema's default (an empty list is not null: it is written). */
function meaningful(schema: Schema, entity: object, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (skip.includes(k) || v === null || v === undefined) continue;
    const f = schema[k];
    if (f && 'default' in f && same(f.default, v)) continue;
    out[k] = v;
  }
  return out;
}

const SKIP = ['id', 'created_at', 'updated_at'];

function exportRoute(r: Route): Record<string, unknown> {
  return meaningful(routeSchema, r, [...SKIP, 'service']);
}

/**
 * `switchyard` (the default) is Kong's declarative format plus switchyard's extension fields (a
 * service's weighted `upstreams`, `apps`); `kong` is what Kong itself accepts: without them, each
 * split service pointing at its heaviest upstream (Kong's `host`), which `notes` says.
 */
export type DeclarativeFlavour = 'switchyard' | 'kong';

export function toDeclarative(
  state: State,
  flavour: DeclarativeFlavour = 'switchyard',
  notes: string[] = [],
): Record<string, unknown> {
  const kong = flavour === 'kong';
  const byService = new Map<string, Route[]>();
  const loose: Route[] = [];
  for (const r of state.routes) {
    if (r.service) byService.set(r.service.id, [...(byService.get(r.service.id) ?? []), r]);
    else loose.push(r);
  }
  const service = (s: Service) => {
    // A service's hashing fields are switchyard's (Kong hashes in upstreams only).
    const { name, host, ...rest } = meaningful(serviceSchema, s, [
      ...SKIP,
      'url',
      'upstreams',
      ...(kong ? HASHING_FIELDS : []),
    ]);
    if (kong && s.hash_on !== 'none')
      notes.push(
        `service ${s.name ?? s.id}: Kong has no sticky split between upstreams; exported without hash_on ${s.hash_on}`,
      );
    const out: Record<string, unknown> = { ...(name ? { name } : {}), host, ...rest };
    const live = s.upstreams.filter((e) => e.weight > 0);
    if (s.upstreams.length && !kong)
      out.upstreams = s.upstreams.map((e) => ({ name: e.name, weight: e.weight }));
    else if (live.length > 1)
      notes.push(
        `service ${s.name ?? s.id}: Kong has no weighted split between upstreams; exported with host ${s.host} (${live.map((e) => `${e.name} ${e.weight}`).join(', ')} in switchyard)`,
      );
    const routes = byService.get(s.id);
    if (routes?.length) out.routes = routes.map(exportRoute);
    return out;
  };
  const doc: Record<string, unknown> = { _format_version: '3.0' };
  if (state.services.length) doc.services = state.services.map(service);
  if (loose.length) doc.routes = loose.map(exportRoute);
  if (state.upstreams.length) {
    const defaults = JSON.stringify(validate(healthchecksSchema, {}, 'create').value);
    doc.upstreams = state.upstreams.map((u) => ({
      ...meaningful(upstreamSchema, u, [
        ...SKIP,
        'targets',
        ...(JSON.stringify(u.healthchecks) === defaults ? ['healthchecks'] : []),
      ]),
      targets: u.targets.map((t) => ({
        target: t.target,
        weight: t.weight,
        ...(t.tags !== null ? { tags: t.tags } : {}),
        // switchyard's extension; Kong keeps a manual health verdict in memory only.
        ...(t.manual_health && !kong ? { manual_health: t.manual_health } : {}),
      })),
    }));
  }
  if (state.apps.length && !kong)
    doc.apps = state.apps.map((a) => meaningful(appSchema, a, [...SKIP, 'generation']));
  else if (state.apps.length)
    notes.push(`${state.apps.length} app(s) left out: Kong has no apps; their upstreams are exported`);
  // A deployment is a record of what happened, known by its id: written whole, times included.
  if (state.deployments.length && !kong)
    doc.deployments = state.deployments.map((d) => meaningful(deploymentSchema, d, []));
  else if (state.deployments.length)
    notes.push(`${state.deployments.length} deployment(s) left out: Kong has no deployments`);
  return doc;
}

export function exportYaml(
  state: State,
  flavour: DeclarativeFlavour = 'switchyard',
  notes: string[] = [],
): string {
  return YAML.stringify(toDeclarative(state, flavour, notes), { lineWidth: 0 });
}
