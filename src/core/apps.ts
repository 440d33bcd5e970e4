/**
 * Kf's and SAP's vocabulary on the one model: an app is an upstream with a lifecycle, and a Kf
 * route (`HOST.DOMAIN[/PATH]`) is a Kong route whose service splits over app upstreams by
 * weight. Every verb here is a pure command made of the primitive ones, so it is validated and
 * applied all-or-nothing like any other change.
 */
import { executeEntity, type EntityCommand, type Fields, type Outcome } from './entities.js';
import { SwitchyardError } from './errors.js';
import type { App, Context, Deployment, Route, Service, SplitEntry, State } from './model.js';
import { appSchema, checkAppName, deploymentSchema, isHostname, validate } from './schema.js';
import { ALL_HEALTHY, splitInForce, type HealthOf } from './traffic.js';

/** Services and routes that map-route made carry this tag. */
export const KF_TAG = 'kf-route';

export interface KfRoute {
  readonly host: string;
  readonly path: string | null;
}

/** `my-app.my-space.example.com/api` → host and path; Kf's DOMAIN + --hostname + --path form too. */
export function parseRoute(spec: string): KfRoute {
  const m = /^([^/]+)(\/.*)?$/.exec(spec.trim());
  const host = m?.[1]?.toLowerCase();
  if (!m || !host || !isHostname(host) || !host.includes('.')) {
    throw SwitchyardError.schema({ route: `invalid route '${spec}': expected HOST.DOMAIN[/PATH], e.g. my-app.my-space.example.com` });
  }
  const path = m[2] && m[2] !== '/' ? m[2].replace(/\/+$/, '') : null;
  if (path && /\s/.test(path)) throw SwitchyardError.schema({ route: `invalid path in route '${spec}'` });
  return { host, path };
}

export function kfRoute(domain: string, hostname: string | undefined, path?: string): KfRoute {
  const p = path ? (path.startsWith('/') ? path : `/${path}`) : '';
  return parseRoute(`${hostname ? `${hostname}.` : ''}${domain}${p}`);
}

export function routeText(r: KfRoute): string {
  return `${r.host}${r.path ?? ''}`;
}

/** The name map-route gives a route's service: Kong names allow no '/', so the path's become '-'. */
function kfName(r: KfRoute): string {
  return `${r.host}${r.path ? r.path.replace(/[^A-Za-z0-9.\-_~]/g, '-') : ''}`;
}

export function findKfRoute(state: State, r: KfRoute): Route | undefined {
  return state.routes.find(
    (x) => x.hosts?.length === 1 && x.hosts[0] === r.host && ((x.paths?.length ?? 0) === 0 ? r.path === null : x.paths?.length === 1 && x.paths[0] === r.path),
  );
}

export function findApp(state: State, name: string): App {
  const a = state.apps.find((x) => x.name === name || x.id === name);
  if (!a) throw new SwitchyardError('not found', `app '${name}' not found`);
  return a;
}

function run(state: State, ctx: Context, cmd: EntityCommand): State {
  return executeEntity(state, cmd, ctx).state;
}

function replaceApp(state: State, app: App, next: App | null): State {
  return { ...state, apps: next ? state.apps.map((a) => (a === app ? next : a)) : state.apps.filter((a) => a !== app) };
}

export type AppCommand =
  | { readonly op: 'app.push'; readonly fields: Fields }
  | { readonly op: 'app.map-route'; readonly app: string; readonly route: string; readonly weight?: unknown }
  | { readonly op: 'app.unmap-route'; readonly app: string; readonly route: string }
  | { readonly op: 'app.start' | 'app.stop' | 'app.restart' | 'app.delete'; readonly app: string }
  /** Renames an app and its upstream, routes and all: the same processes, no interruption. */
  | { readonly op: 'app.rename'; readonly app: string; readonly name: string }
  /** Deletes a Kf route and the service map-route made for it. */
  | { readonly op: 'kf-route.delete'; readonly route: string }
  /** Records a blue-green deployment (created or moved to its next state). */
  | { readonly op: 'deployment.put'; readonly deployment: Fields };

function checkWeight(raw: unknown): number {
  const { value, errors } = validate({ weight: { type: 'integer', required: true, between: [0, 65535] } } as const, { weight: raw }, 'create');
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  return value.weight;
}

/** Kf's `push`: create the app, or replace it (rolling, by the supervisor) when it exists. */
function push(state: State, input: Fields, ctx: Context): Outcome {
  const { route, no_route: noRoute, ...fields } = input as Fields & { route?: unknown; no_route?: unknown };
  const { value: f, errors } = validate(appSchema, fields, 'create');
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  const name = f.name;
  const command = f.command;
  const targets = f.targets ?? null;
  if (command && targets?.length) throw SwitchyardError.schema({ command: 'give either a command or targets, not both' });
  if (!command && !targets?.length) {
    throw SwitchyardError.schema({
      command: 'push needs --command CMD (a process switchyard starts, with PORT set), --target HOST:PORT (an instance you run), or a Procfile (web: CMD) or package.json start script in the current directory',
    });
  }
  if (route !== undefined && route !== null && noRoute === true) throw SwitchyardError.schema({ route: 'give --route or --no-route, not both' });
  const env = f.env;
  if (targets?.length && env && Object.keys(env).length) {
    throw SwitchyardError.schema({ env: 'applies to an app switchyard starts (--command); an app given by --target runs with its own environment' });
  }
  const existing = state.apps.find((a) => a.name === name);
  // What a push sets, on a new app or on the one it replaces.
  const pushed = {
    state: 'started' as const,
    command,
    env: f.env,
    instances: f.instances,
    targets,
    health_path: f.health_path ?? null,
    cwd: f.cwd ?? null,
    updated_at: ctx.now,
  };
  let next: State = state;
  const targetList = targets ?? [];
  if (!existing) {
    if (state.upstreams.some((u) => u.name === name)) throw SwitchyardError.unique('upstream', 'name', name);
    // No targets yet: the supervisor adds each instance once its port answers.
    next = run(next, ctx, { op: 'upstream.create', fields: { name, tags: ['app'] } });
    const app: App = { id: ctx.newId(), name, ...pushed, generation: 1, created_at: ctx.now, tags: null };
    next = { ...next, apps: [...next.apps, app] };
  } else {
    next = replaceApp(next, existing, { ...existing, ...pushed, generation: existing.generation + 1 });
    // An app given by addresses takes the new ones at once; a process app is replaced by the supervisor.
    // Addresses no longer given leave at once; new ones are added by the supervisor once they answer.
    const up = next.upstreams.find((u) => u.name === name);
    if (up && existing.targets !== null) {
      for (const t of up.targets) if (!targetList.includes(t.target)) next = run(next, ctx, { op: 'target.delete', upstream: name, target: t.id });
    }
  }
  let summary = `app ${name} ${existing ? 'pushed again (rolling replace)' : 'pushed'}`;
  if (typeof route === 'string') {
    const r = parseRoute(route);
    const mapped = isMapped(next, name, r);
    if (!mapped) next = mapRoute(next, name, r, 1, ctx).state;
    summary += `, route ${routeText(r)}`;
  } else if (route !== undefined && route !== null) throw SwitchyardError.schema({ route: 'expected a string HOST.DOMAIN[/PATH]' });
  return { state: next, entity: next.apps.find((a) => a.name === name), summary };
}

function isMapped(state: State, app: string, r: KfRoute): boolean {
  const route = findKfRoute(state, r);
  const svc = route?.service ? state.services.find((s) => s.id === route.service?.id) : undefined;
  return svc?.upstreams.some((e) => e.name === app) ?? false;
}

/** Kf's `map-route`: add the app to the route at this weight, or update its weight in place. */
function mapRoute(state: State, appName: string, r: KfRoute, weight: number, ctx: Context): Outcome {
  const app = findApp(state, appName);
  let next = state;
  let route = findKfRoute(next, r);
  const name = kfName(r);
  if (!route) {
    next = run(next, ctx, { op: 'route.create', fields: { hosts: [r.host], ...(r.path ? { paths: [r.path] } : {}), tags: [KF_TAG] } });
    route = next.routes[next.routes.length - 1]!;
  }
  let service: Service | undefined = route.service ? next.services.find((s) => s.id === route!.service!.id) : undefined;
  if (!service) {
    const serviceName = next.services.some((s) => s.name === name) ? `${name}-${ctx.newId().slice(0, 8)}` : name;
    next = run(next, ctx, { op: 'service.create', fields: { name: serviceName, upstreams: [{ name: app.name, weight }], tags: [KF_TAG] } });
    service = next.services[next.services.length - 1]!;
    next = run(next, ctx, { op: 'route.update', route: route.id, fields: { service: { id: service.id } } });
  } else {
    const base: SplitEntry[] = service.upstreams.length ? [...service.upstreams] : next.upstreams.some((u) => u.name === service!.host) ? [{ name: service.host, weight: 100 }] : [];
    const split = base.some((e) => e.name === app.name) ? base.map((e) => (e.name === app.name ? { name: e.name, weight } : e)) : [...base, { name: app.name, weight }];
    next = run(next, ctx, { op: 'service.split', service: service.id, split });
  }
  return { state: next, summary: `route ${routeText(r)}: ${app.name} weight ${weight} (${describeShares(next, r)})` };
}

/** One app (or plain upstream) a route's service splits over: its weight there and the share it really gets. */
export interface RouteApp {
  readonly name: string;
  readonly weight: number;
  /** Whole percent of the route's traffic it gets (0 when stopped or none of its targets takes traffic). */
  readonly percent: number;
  readonly state: 'started' | 'stopped' | 'upstream';
}

export interface RouteApps {
  /** `host/path` (`*` for a route without hosts). */
  readonly route: string;
  readonly host: string | null;
  readonly path: string | null;
  readonly service: string | null;
  readonly apps: readonly RouteApp[];
}

/** One route an app is on, with its weight and its share of the route's traffic. */
export interface RouteShare {
  readonly route: string;
  readonly weight: number;
  readonly percent: number;
}

/**
 * Every route with the apps (or upstreams) its service splits over, each at its weight and the
 * share it really gets (`splitInForce`): what `switchyard routes`, the apps pane and the admin
 * API's /apps and /app-routes all show.
 */
export function routesWithApps(state: State, healthy: HealthOf = ALL_HEALTHY): RouteApps[] {
  return state.routes.map((r) => routeApps(state, r, healthy));
}

/** One route of `routesWithApps`. */
export function routeApps(state: State, r: Route, healthy: HealthOf = ALL_HEALTHY): RouteApps {
  const svc = r.service ? state.services.find((s) => s.id === r.service?.id) : undefined;
  const parts = svc ? (splitInForce(state, svc, healthy) ?? []) : [];
  const host = r.hosts?.[0] ?? null;
  const path = r.paths?.[0] ?? null;
  return {
    route: `${host ?? '*'}${path ?? ''}`,
    host,
    path,
    service: svc ? (svc.name ?? svc.id) : null,
    apps: parts.map((p) => ({
      name: p.name,
      weight: p.weight,
      percent: p.percent,
      state: p.stopped ? 'stopped' : state.apps.some((a) => a.name === p.name) ? 'started' : 'upstream',
    })),
  };
}

/** The routes each app is on, with shares: `routesWithApps` by app. */
export function routesByApp(state: State, healthy: HealthOf = ALL_HEALTHY): ReadonlyMap<string, RouteShare[]> {
  const out = new Map<string, RouteShare[]>();
  for (const r of routesWithApps(state, healthy)) {
    for (const a of r.apps) {
      const list = out.get(a.name) ?? [];
      list.push({ route: r.route, weight: a.weight, percent: a.percent });
      out.set(a.name, list);
    }
  }
  return out;
}

/** `app-v1 80% / app-v2 20%` for a Kf route: the shares its apps really get. */
export function describeShares(state: State, r: KfRoute): string {
  const route = findKfRoute(state, r);
  const apps = route ? routeApps(state, route).apps : [];
  if (!apps.length) return 'no apps';
  return apps.map((a) => `${a.name} ${a.percent}%`).join(' / ');
}

function unmapRoute(state: State, appName: string, r: KfRoute, ctx: Context): Outcome {
  const app = findApp(state, appName);
  const route = findKfRoute(state, r);
  const svc = route?.service ? state.services.find((s) => s.id === route.service?.id) : undefined;
  if (!route || !svc || !svc.upstreams.some((e) => e.name === app.name)) {
    throw new SwitchyardError('not found', `app '${app.name}' is not mapped to route ${routeText(r)}`);
  }
  const next = detach(state, svc, app.name, ctx);
  return { state: next, summary: `route ${routeText(r)}: ${app.name} unmapped (${describeShares(next, r)})` };
}

/** Removes an app from a service's split; a Kf route left with no app keeps its route, without a service. */
function detach(state: State, svc: Service, appName: string, ctx: Context): State {
  const split = svc.upstreams.filter((e) => e.name !== appName);
  if (split.length > 0) return run(state, ctx, { op: 'service.split', service: svc.id, split });
  let next = state;
  for (const r of next.routes.filter((x) => x.service?.id === svc.id)) next = run(next, ctx, { op: 'route.update', route: r.id, fields: { service: null } });
  return run(next, ctx, { op: 'service.delete', service: svc.id });
}

function deleteApp(state: State, app: App, ctx: Context): Outcome {
  let next = state;
  for (const svc of state.services) {
    if (svc.upstreams.some((e) => e.name === app.name)) next = detach(next, next.services.find((s) => s.id === svc.id)!, app.name, ctx);
    else if (svc.host === app.name) {
      throw new SwitchyardError('foreign key violation', `app '${app.name}' is the host of service '${svc.name ?? svc.id}'; switch that service elsewhere first`, { '@referenced_by': 'services' });
    }
  }
  next = run(next, ctx, { op: 'upstream.delete', upstream: app.name });
  return { state: replaceApp(next, next.apps.find((a) => a.id === app.id)!, null), entity: app, summary: `app ${app.name} deleted` };
}

export function executeApp(state: State, cmd: AppCommand, ctx: Context): Outcome {
  switch (cmd.op) {
    case 'app.push':
      return push(state, cmd.fields, ctx);
    case 'app.map-route': {
      const r = parseRoute(cmd.route);
      return mapRoute(state, cmd.app, r, cmd.weight === undefined ? 1 : checkWeight(cmd.weight), ctx);
    }
    case 'app.unmap-route':
      return unmapRoute(state, cmd.app, parseRoute(cmd.route), ctx);
    case 'app.delete':
      return deleteApp(state, findApp(state, cmd.app), ctx);
    case 'app.rename': {
      const app = findApp(state, cmd.app);
      const bad = checkAppName(cmd.name);
      if (bad) throw SwitchyardError.schema({ name: bad });
      if (state.apps.some((a) => a.name === cmd.name)) throw SwitchyardError.unique('app', 'name', cmd.name);
      const next = run(state, ctx, { op: 'upstream.update', upstream: app.name, fields: { name: cmd.name } });
      return { state: replaceApp(next, app, { ...app, name: cmd.name, updated_at: ctx.now }), summary: `app ${app.name} renamed to ${cmd.name}` };
    }
    case 'deployment.put':
      return putDeployment(state, cmd.deployment, ctx);
    case 'kf-route.delete': {
      const r = parseRoute(cmd.route);
      const route = findKfRoute(state, r);
      if (!route) throw new SwitchyardError('not found', `route ${routeText(r)} not found`);
      let next = run(state, ctx, { op: 'route.delete', route: route.id });
      const svc = route.service ? next.services.find((s) => s.id === route.service?.id) : undefined;
      if (svc && !next.routes.some((x) => x.service?.id === svc.id)) next = run(next, ctx, { op: 'service.delete', service: svc.id });
      return { state: next, summary: `route ${routeText(r)} deleted` };
    }
    case 'app.start':
    case 'app.stop':
    case 'app.restart': {
      const app = findApp(state, cmd.app);
      const next: App =
        cmd.op === 'app.restart'
          ? { ...app, state: 'started', generation: app.generation + 1, updated_at: ctx.now }
          : { ...app, state: cmd.op === 'app.start' ? 'started' : 'stopped', updated_at: ctx.now };
      const verb = cmd.op === 'app.start' ? 'started' : cmd.op === 'app.stop' ? 'stopped' : 'restarting';
      return { state: replaceApp(state, app, next), entity: next, summary: `app ${app.name} ${verb}` };
    }
  }
}

/** Restores an app from a state file or declarative config; its upstream comes first. */
export function restoreApp(state: State, input: Fields, ctx: Context): Outcome {
  const { value: f, errors } = validate(appSchema, input, 'create');
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  const name = f.name;
  if (state.apps.some((a) => a.name === name)) throw SwitchyardError.unique('app', 'name', name);
  let next = state;
  if (!next.upstreams.some((u) => u.name === name)) next = run(next, ctx, { op: 'upstream.create', fields: { name, tags: ['app'] } });
  const app: App = {
    id: f.id ?? ctx.newId(),
    name,
    state: f.state,
    command: f.command ?? null,
    env: f.env,
    instances: f.instances,
    targets: f.targets ?? null,
    health_path: f.health_path ?? null,
    cwd: f.cwd ?? null,
    generation: f.generation,
    created_at: f.created_at ?? ctx.now,
    updated_at: f.updated_at ?? ctx.now,
    tags: f.tags ?? null,
  };
  return { state: { ...next, apps: [...next.apps, app] }, entity: app, summary: `app ${name} restored` };
}

/** Creates or replaces a deployment record, validated like everything restored from disk. */
export function putDeployment(state: State, input: Fields, ctx: Context): Outcome {
  const { value, errors } = validate(deploymentSchema, { created_at: ctx.now, ...input, updated_at: ctx.now }, 'create');
  if (Object.keys(errors).length) throw SwitchyardError.schema(errors);
  const d: Deployment = { ...value, created_at: value.created_at ?? ctx.now, updated_at: value.updated_at ?? ctx.now };
  const names = new Set<string>();
  d.modules.forEach((m, i) => {
    if (names.has(m.name)) throw SwitchyardError.schema({ [`modules[${i}].name`]: `duplicate module '${m.name}'` });
    names.add(m.name);
  });
  const exists = state.deployments.some((x) => x.id === d.id);
  const deployments = exists ? state.deployments.map((x) => (x.id === d.id ? d : x)) : [...state.deployments, d];
  return { state: { ...state, deployments }, entity: d, summary: `deployment ${d.id} (${d.mta}): ${d.state}${d.message ? ` (${d.message})` : ''}` };
}
