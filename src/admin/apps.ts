/** JSON shapes of the app (Kf) endpoints: apps with their live status, and routes with shares. */
import { sharesOf, type App, type State } from '../core/model.js';
import type { AppStatus } from '../apps/supervisor.js';
import type { StatsSnapshot } from '../proxy/stats.js';

export interface RouteShare {
  readonly route: string;
  readonly weight: number;
  readonly percent: number;
}

export interface RouteApps {
  readonly route: string;
  readonly host: string | null;
  readonly path: string | null;
  readonly service: string | null;
  readonly apps: readonly { readonly name: string; readonly weight: number; readonly percent: number; readonly state: string }[];
}

/** Every route, with the apps (or upstreams) its service splits over and the share each gets. */
export function routesWithApps(state: State): RouteApps[] {
  return state.routes.map((r) => {
    const svc = r.service ? state.services.find((s) => s.id === r.service?.id) : undefined;
    const split = svc ? (svc.upstreams.length ? svc.upstreams : state.upstreams.some((u) => u.name === svc.host) ? [{ name: svc.host, weight: 100 }] : []) : [];
    const stoppedApps = new Set(state.apps.filter((a) => a.state === 'stopped').map((a) => a.name));
    // A stopped app keeps its weight but takes no traffic: its share is 0 and the others' grow.
    const shares = sharesOf(split.map((e) => (stoppedApps.has(e.name) ? 0 : e.weight)));
    const host = r.hosts?.[0] ?? null;
    const path = r.paths?.[0] ?? null;
    return {
      route: `${host ?? '*'}${path ?? ''}`,
      host,
      path,
      service: svc ? (svc.name ?? svc.id) : null,
      apps: split.map((e, i) => ({
        name: e.name,
        weight: e.weight,
        percent: shares[i] ?? 0,
        state: stoppedApps.has(e.name) ? 'stopped' : state.apps.some((a) => a.name === e.name) ? 'started' : 'upstream',
      })),
    };
  });
}

export function appJson(app: App, state: State, status: AppStatus | undefined, snap: StatsSnapshot): Record<string, unknown> {
  const routes: RouteShare[] = [];
  for (const r of routesWithApps(state)) {
    const mine = r.apps.find((a) => a.name === app.name);
    if (mine) routes.push({ route: r.route, weight: mine.weight, percent: mine.percent });
  }
  const up = state.upstreams.find((u) => u.name === app.name);
  const c = up ? snap.upstreams[up.id] : undefined;
  return {
    ...app,
    status: status
      ? {
          healthy: status.healthy,
          desired: status.desired,
          rolling: status.rolling,
          crashed: status.crashed,
          log_file: status.logFile,
          instances: status.instances,
        }
      : null,
    addresses: up?.targets.map((t) => t.target) ?? [],
    routes,
    stats: { requests: c?.requests ?? 0, rate: c?.rate ?? 0, in_flight: c?.inFlight ?? 0, status: c?.status ?? null, p99: c?.p99 ?? null },
  };
}
