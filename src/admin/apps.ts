/**
 * Kf's verbs over HTTP (`/apps`: push, map-route, unmap-route, start, stop, restart, delete,
 * logs; `/app-routes`), and the JSON of an app with its live status, addresses, routes and shares.
 */
import type { AppStatus } from '../apps/supervisor.js';
import { findApp, routesByApp, routesWithApps } from '../core/apps.js';
import type { App, State } from '../core/model.js';
import { tableHealth } from '../core/table.js';
import type { HealthOf } from '../core/traffic.js';
import type { StatsSnapshot } from '../proxy/stats.js';
import { parseBody } from './body.js';
import type { AdminContext } from './context.js';
import { HttpError, namingMissing, noContent, ok } from './kong.js';
import type { Handler, Method, Router } from './router.js';

export function appJson(
  app: App,
  state: State,
  status: AppStatus | undefined,
  snap: StatsSnapshot,
  healthy?: HealthOf,
): Record<string, unknown> {
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
    routes: routesByApp(state, healthy).get(app.name) ?? [],
    stats: {
      requests: c?.requests ?? 0,
      rate: c?.rate ?? 0,
      in_flight: c?.inFlight ?? 0,
      status: c?.status ?? null,
      p99: c?.p99 ?? null,
    },
  };
}

/** `route=HOST.DOMAIN/PATH`, or Kf's `domain` + `hostname` (+ `path`). */
function routeSpec(body: Record<string, unknown>): string {
  if (typeof body.route === 'string') return body.route;
  if (typeof body.domain !== 'string')
    throw new HttpError(400, {
      message: 'give route=HOST.DOMAIN[/PATH], or domain (with hostname and path)',
    });
  const host =
    typeof body.hostname === 'string' && body.hostname ? `${body.hostname}.${body.domain}` : body.domain;
  const path =
    typeof body.path === 'string' && body.path
      ? body.path.startsWith('/')
        ? body.path
        : `/${body.path}`
      : '';
  return `${host}${path}`;
}

export function defineApps(router: Router, ctx: AdminContext): void {
  const { store, stats, supervisor } = ctx;
  // Targets' health as the proxy sees it: the shares the app endpoints give are the ones it routes by.
  const health = (): HealthOf => tableHealth(store.table);
  const appReply = (name: string): Record<string, unknown> => {
    const app = findApp(store.state, name);
    return appJson(app, store.state, supervisor?.status(app.name), stats.snapshot(), health());
  };
  // Not Kong's endpoints: a missing app is worth its name in the 404.
  const on = <P extends string>(method: Method, path: P, handler: Handler<P>): void =>
    router.on(method, path, namingMissing(handler));

  on('GET', '/apps', () => {
    const snap = stats.snapshot();
    const h = health();
    return ok({
      data: store.state.apps.map((a) => appJson(a, store.state, supervisor?.status(a.name), snap, h)),
      next: null,
    });
  });
  on('POST', '/apps', async ({ req }) => {
    const fields = await parseBody(req);
    const existed = store.state.apps.some((a) => a.name === fields.name);
    const outcome = store.dispatch({ op: 'app.push', fields }, 'admin');
    const name = (outcome.entity as { name: string }).name;
    return { status: existed ? 200 : 201, body: { ...appReply(name), summary: outcome.summary } };
  });
  on('GET', '/apps/:a', ({ params }) => ok(appReply(params.a)));
  on('DELETE', '/apps/:a', ({ params }) => {
    store.dispatch({ op: 'app.delete', app: params.a }, 'admin');
    return noContent;
  });
  for (const verb of ['start', 'stop', 'restart'] as const) {
    on('POST', `/apps/:a/${verb}`, ({ params }) => {
      const outcome = store.dispatch({ op: `app.${verb}`, app: params.a }, 'admin');
      return ok({ ...appReply(params.a), summary: outcome.summary });
    });
  }
  on('POST', '/apps/:a/routes', async ({ req, params }) => {
    const body = await parseBody(req);
    const outcome = store.dispatch(
      { op: 'app.map-route', app: params.a, route: routeSpec(body), weight: body.weight },
      'admin',
    );
    return ok({ summary: outcome.summary, routes: routesWithApps(outcome.state, health()) });
  });
  on('DELETE', '/apps/:a/routes', ({ url, params }) => {
    const q = Object.fromEntries(url.searchParams);
    const outcome = store.dispatch({ op: 'app.unmap-route', app: params.a, route: routeSpec(q) }, 'admin');
    return ok({ summary: outcome.summary, routes: routesWithApps(outcome.state, health()) });
  });
  on('GET', '/apps/:a/logs', ({ url, params }) => {
    const app = findApp(store.state, params.a);
    const n = Math.min(10_000, Math.max(1, Number(url.searchParams.get('lines') ?? 100) || 100));
    const lines = supervisor?.logs(app.name, n) ?? [];
    return {
      status: 200,
      text: lines.map((l) => `${l}\n`).join(''),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    };
  });
  on('GET', '/app-routes', () => ok({ data: routesWithApps(store.state, health()), next: null }));
}
