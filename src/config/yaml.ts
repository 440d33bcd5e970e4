/**
 * Kong's declarative format (services with nested routes, upstreams with nested targets), in and
 * out. Loading goes through the same commands as every other change, so a bad file is rejected
 * whole with the path of the bad field: `upstreams[1].targets[0].weight: value should be …`.
 */
import YAML from 'yaml';
import { putDeployment, restoreApp } from '../core/apps.js';
import { execute, prefixed, type Command, type Fields } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';
import { emptyState, type Context, type Route, type Service, type State } from '../core/model.js';
import { isLegacyFormat, migrateLegacyRoute } from '../core/router.js';
import { appSchema, deploymentSchema, healthchecksSchema, routeSchema, serviceSchema, upstreamSchema, validate, type Schema } from '../core/schema.js';

const TOP_LEVEL = new Set(['_format_version', '_transform', '_info', 'services', 'routes', 'upstreams', 'targets', 'apps', 'deployments']);

/** Parses YAML (or JSON) text; syntax errors name the line and column. */
export function parseDocument(text: string, source = 'config'): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new SwitchyardError('invalid', `${source}: malformed YAML${where}: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

function list(doc: Record<string, unknown>, key: string, path: string): Record<string, unknown>[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw SwitchyardError.schema({ [path]: 'expected an array' });
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw SwitchyardError.schema({ [`${path}[${i}]`]: 'expected a record' });
    return x as Record<string, unknown>;
  });
}

function serviceRef(v: unknown): unknown {
  return typeof v === 'string' ? { name: v } : v;
}

/** Builds a State from a declarative document, all or nothing. */
export function fromDeclarative(raw: unknown, ctx: Context): State {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw SwitchyardError.schema({ '@entity': 'expected a mapping with services, routes and upstreams' });
  }
  const doc = raw as Record<string, unknown>;
  const unknown = Object.keys(doc).filter((k) => !TOP_LEVEL.has(k));
  if (unknown.length) throw SwitchyardError.schema(Object.fromEntries(unknown.map((k) => [k, 'unknown field (switchyard reads services, routes, upstreams and targets)'])));
  const fv = doc._format_version;
  if (fv !== undefined && !['1.1', '2.1', '3.0'].includes(String(fv))) throw SwitchyardError.schema({ _format_version: `unsupported version ${String(fv)}; expected "3.0"` });

  let state: State = emptyState;
  const run = (path: string, cmd: Command) => {
    // Kong 3 migrates a pre-3.0 file's paths (regexes without `~`) as it loads them.
    if (cmd.op === 'route.create' && isLegacyFormat(fv)) cmd = { ...cmd, fields: migrateLegacyRoute(cmd.fields) };
    try {
      state = execute(state, cmd, ctx).state;
    } catch (e) {
      throw prefixed(e, path);
    }
  };
  list(doc, 'upstreams', 'upstreams').forEach((u, i) => run(`upstreams[${i}]`, { op: 'upstream.create', fields: u }));
  list(doc, 'targets', 'targets').forEach((t, i) => {
    const { upstream, ...fields } = t;
    const name = typeof upstream === 'object' && upstream !== null ? ((upstream as Fields).name ?? (upstream as Fields).id) : upstream;
    if (typeof name !== 'string') throw SwitchyardError.schema({ [`targets[${i}].upstream`]: 'required field missing' });
    run(`targets[${i}]`, { op: 'target.create', upstream: name, fields });
  });
  // switchyard's extension: apps (Kf), each over the upstream of its name.
  list(doc, 'apps', 'apps').forEach((a, i) => {
    try {
      state = restoreApp(state, a, ctx).state;
    } catch (e) {
      throw prefixed(e, `apps[${i}]`);
    }
  });
  list(doc, 'services', 'services').forEach((s, i) => {
    const { routes: _nested, ...fields } = s;
    run(`services[${i}]`, { op: 'service.create', fields });
    const created = state.services[state.services.length - 1]!;
    list(s, 'routes', `services[${i}].routes`).forEach((r, j) => run(`services[${i}].routes[${j}]`, { op: 'route.create', service: created.id, fields: r }));
  });
  list(doc, 'routes', 'routes').forEach((r, i) => run(`routes[${i}]`, { op: 'route.create', fields: { ...r, ...(r.service !== undefined ? { service: serviceRef(r.service) } : {}) } }));
  // switchyard's extension: blue-green deployments (SAP), records known by their id.
  list(doc, 'deployments', 'deployments').forEach((d, i) => {
    try {
      state = putDeployment(state, d, { ...ctx, now: (d.updated_at as number | undefined) ?? ctx.now }).state;
    } catch (e) {
      throw prefixed(e, `deployments[${i}]`);
    }
  });
  return state;
}

export function loadDeclarative(text: string, ctx: Context, source = 'config'): State {
  return fromDeclarative(parseDocument(text, source), ctx);
}

/** Fields worth writing: set, and not the schema's default (an empty list is not null: it is written). */
function meaningful(schema: Schema, entity: object, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (skip.includes(k) || v === null || v === undefined) continue;
    const f = schema[k];
    if (f && 'default' in f && JSON.stringify(f.default) === JSON.stringify(v)) continue;
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

export function toDeclarative(state: State, flavour: DeclarativeFlavour = 'switchyard', notes: string[] = []): Record<string, unknown> {
  const kong = flavour === 'kong';
  const byService = new Map<string, Route[]>();
  const loose: Route[] = [];
  for (const r of state.routes) {
    if (r.service) byService.set(r.service.id, [...(byService.get(r.service.id) ?? []), r]);
    else loose.push(r);
  }
  const service = (s: Service) => {
    const { name, host, ...rest } = meaningful(serviceSchema, s, [...SKIP, 'url', 'upstreams']);
    const out: Record<string, unknown> = { ...(name ? { name } : {}), host, ...rest };
    const live = s.upstreams.filter((e) => e.weight > 0);
    if (s.upstreams.length && !kong) out.upstreams = s.upstreams.map((e) => ({ name: e.name, weight: e.weight }));
    else if (live.length > 1) notes.push(`service ${s.name ?? s.id}: Kong has no weighted split between upstreams; exported with host ${s.host} (${live.map((e) => `${e.name} ${e.weight}`).join(', ')} in switchyard)`);
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
      ...meaningful(upstreamSchema, u, [...SKIP, 'targets', ...(JSON.stringify(u.healthchecks) === defaults ? ['healthchecks'] : [])]),
      targets: u.targets.map((t) => ({
        target: t.target,
        weight: t.weight,
        ...(t.tags !== null ? { tags: t.tags } : {}),
        // switchyard's extension; Kong keeps a manual health verdict in memory only.
        ...(t.manual_health && !kong ? { manual_health: t.manual_health } : {}),
      })),
    }));
  }
  if (state.apps.length && !kong) doc.apps = state.apps.map((a) => meaningful(appSchema, a, [...SKIP, 'generation']));
  else if (state.apps.length) notes.push(`${state.apps.length} app(s) left out: Kong has no apps; their upstreams are exported`);
  // A deployment is a record of what happened, known by its id: written whole, times included.
  if (state.deployments.length && !kong) doc.deployments = state.deployments.map((d) => meaningful(deploymentSchema, d, []));
  else if (state.deployments.length) notes.push(`${state.deployments.length} deployment(s) left out: Kong has no deployments`);
  return doc;
}

export function exportYaml(state: State, flavour: DeclarativeFlavour = 'switchyard', notes: string[] = []): string {
  return YAML.stringify(toDeclarative(state, flavour, notes), { lineWidth: 0 });
}
