/**
 * The changes each phase of a blue-green deployment makes, as commands computed from the state
 * (pure: the deployer dispatches them): which colour the new version takes, its push, its
 * temporary routes, the productive routes' shares, stickiness, and what an abort or a cleanup
 * takes back.
 */
import { findKfRoute, parseRoute, routeApps } from '../core/apps.js';
import type { Command } from '../core/commands.js';
import { leftovers, tempRoutesLeft } from '../core/deployments.js';
import type { Deployment, DeploymentModule, State } from '../core/model.js';
import type { Hashing } from '../core/schema.js';
import type { Manifest } from './manifest.js';
import { tempRoute } from './routes.js';

/** The app of a module that serves its productive routes now, if any. */
function liveApp(state: State, module: string, routes: readonly string[]): string | null {
  const candidates = [`${module}-blue`, `${module}-green`, module].filter((n) =>
    state.apps.some((a) => a.name === n),
  );
  for (const r of routes) {
    const route = findKfRoute(state, parseRoute(r));
    const apps = route ? routeApps(state, route).apps : [];
    const live = apps
      .filter((e) => e.weight > 0 && candidates.includes(e.name))
      .sort((a, b) => b.weight - a.weight)[0];
    if (live) return live.name;
  }
  return candidates[0] ?? null;
}

/**
 * Each module's old app (the live one) and new app (the other colour), and the renames that make
 * an app deployed without colours the blue version (same processes, no interruption).
 */
export function colours(
  state: State,
  manifest: Manifest,
): { modules: DeploymentModule[]; renames: Command[] } {
  const modules: DeploymentModule[] = [];
  const renames: Command[] = [];
  for (const m of manifest.modules) {
    let old = liveApp(state, m.app, m.routes);
    if (old === m.app) {
      renames.push({ op: 'app.rename', app: m.app, name: `${m.app}-blue` });
      old = `${m.app}-blue`;
    }
    const next = old === `${m.app}-blue` ? `${m.app}-green` : `${m.app}-blue`;
    modules.push({
      name: m.name,
      old_app: old,
      new_app: next,
      routes: m.routes,
      temp_routes: old ? m.routes.map(tempRoute) : [],
    });
  }
  return { modules, renames };
}

/** The new apps, pushed with no route (commands run in `cwd` unless the module says where). */
export function pushes(manifest: Manifest, modules: readonly DeploymentModule[], cwd?: string): Command[] {
  return manifest.modules.map((m, i) => ({
    op: 'app.push',
    fields: {
      name: modules[i]!.new_app,
      ...(m.command ? { command: m.command, cwd: m.cwd ?? cwd ?? null } : { targets: m.targets }),
      instances: m.instances,
      env: m.env,
      health_path: m.health_path,
      no_route: true,
    },
  }));
}

/** A first deployment: nothing to compare with, the new apps go live on the productive routes. */
export function goLive(modules: readonly DeploymentModule[]): Command[] {
  return modules.flatMap((m) =>
    m.routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 1 }) as Command),
  );
}

/**
 * Pending: the new apps answer on temporary routes, and sit on the productive ones at weight 0:
 * no traffic, but a request pinned with X-Switchyard-Upstream reaches them there.
 */
export function pending(modules: readonly DeploymentModule[]): Command[] {
  return modules.flatMap((m) => [
    ...m.temp_routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 1 }) as Command),
    ...m.routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 0 }) as Command),
  ]);
}

/** The productive routes at `share`% new version (Kf weights: new = share, old = 100 - share). */
export function shiftTo(state: State, d: Deployment, share: number): Command[] {
  return d.modules.flatMap((m) =>
    m.routes.flatMap((r) => [
      { op: 'app.map-route', app: m.new_app, route: r, weight: share } as Command,
      ...(m.old_app && state.apps.some((a) => a.name === m.old_app)
        ? [{ op: 'app.map-route', app: m.old_app, route: r, weight: 100 - share } as Command]
        : []),
    ]),
  );
}

/** The productive routes' services hash on `hashing` (nothing when null): each user keeps its version. */
export function stickTo(state: State, d: Deployment, hashing: Hashing | null): Command[] {
  if (hashing === null) return [];
  const fields: Record<string, unknown> = { ...hashing };
  const services = new Set<string>();
  for (const m of d.modules)
    for (const r of m.routes) {
      const id = findKfRoute(state, parseRoute(r))?.service?.id;
      if (id) services.add(id);
    }
  return [...services].map((service) => ({ op: 'service.update', service, fields }) as Command);
}

/** Resumed: the productive routes all to the new apps, the temporary routes gone. */
export function finishing(state: State, d: Deployment): Command[] {
  const temps: Command[] = tempRoutesLeft(state, d).map(
    (r) => ({ op: 'kf-route.delete', route: r }) as Command,
  );
  return [...shiftTo(state, d, 100), ...temps];
}

/**
 * Aborted: the old version takes everything back (the new apps and temporary routes stay for
 * inspection); a deploy still starting has what it started stopped (kept, like any aborted
 * version, until cleanup).
 */
export function aborting(state: State, d: Deployment): Command[] {
  const restore = d.state === 'resuming' ? shiftTo(state, d, 0) : [];
  const stops: Command[] =
    d.state === 'deploying'
      ? d.modules
          .filter((m) => state.apps.some((a) => a.name === m.new_app && a.state === 'started'))
          .map((m) => ({ op: 'app.stop', app: m.new_app }) as Command)
      : [];
  return [...restore, ...stops];
}

/**
 * Cleaned up: what an aborted or failed deployment left goes, its new apps and temporary routes
 * (the new app of a failed first deploy too, as it never went live).
 */
export function cleaning(state: State, d: Deployment): Command[] {
  const left = leftovers(state, d);
  return [
    ...left.routes.map((r) => ({ op: 'kf-route.delete', route: r }) as Command),
    ...left.apps.map((a) => ({ op: 'app.delete', app: a }) as Command),
  ];
}
