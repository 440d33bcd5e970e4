/** The apps pane's rows: each app's state, instances, rate and the routes it is on. Plain rows, no React. */
import type { AppStatus } from '../../apps/supervisor.js';
import { routesByApp, type RouteShare } from '../../core/apps.js';
import type { App, State } from '../../core/model.js';
import { ALL_HEALTHY, type HealthOf } from '../../core/traffic.js';
import type { CounterSnapshot, StatsSnapshot } from '../../proxy/stats.js';
import { matches, type Health } from './common.js';

export interface AppRow {
  readonly key: string;
  readonly app: App;
  readonly name: string;
  /** started (green), starting or rolling (orange), crashed (red), stopped (gray). */
  readonly health: Health;
  /** Instances that answer, and how many there should be. */
  readonly healthy: number;
  readonly total: number;
  readonly rate: number;
  readonly requests: number;
  readonly routes: readonly RouteShare[];
  readonly crashed: AppStatus['crashed'];
  /** A process switchyard runs (so it has a log), not addresses given by the user. */
  readonly process: boolean;
}

/** What the UI reads of the supervisor. */
export type AppStatusOf = (name: string) => AppStatus | undefined;

function upstreamStats(state: State, stats: StatsSnapshot, name: string): CounterSnapshot | undefined {
  const u = state.upstreams.find((x) => x.name === name);
  return u ? stats.upstreams[u.id] : undefined;
}

function appHealth(app: App, st: AppStatus | undefined): Health {
  if (st?.crashed) return { tone: 'failing', symbol: 'failing', word: 'crashed' };
  if (app.state === 'stopped') return { tone: 'stopped', symbol: 'stopped', word: 'stopped' };
  if (st?.rolling) return { tone: 'pending', symbol: 'pending', word: 'rolling' };
  if (st && st.healthy < st.desired) return { tone: 'pending', symbol: 'pending', word: 'starting' };
  return { tone: 'live', symbol: 'live', word: 'started' };
}

export function appRow(
  app: App,
  state: State,
  stats: StatsSnapshot,
  statusOf: AppStatusOf | undefined,
  routes: ReadonlyMap<string, RouteShare[]>,
): AppRow {
  const st = statusOf?.(app.name);
  const c = upstreamStats(state, stats, app.name);
  const targets = state.upstreams.find((u) => u.name === app.name)?.targets.length ?? 0;
  return {
    key: app.id,
    app,
    name: app.name,
    health: appHealth(app, st),
    healthy: st?.healthy ?? (app.state === 'started' ? targets : 0),
    total: app.command === null ? (app.targets?.length ?? targets) : app.instances,
    rate: c?.rate ?? 0,
    requests: c?.requests ?? 0,
    routes: routes.get(app.name) ?? [],
    crashed: st?.crashed ?? null,
    process: app.command !== null,
  };
}

/** The apps, each with its state, instances, rate and the routes it is on. */
export function appRows(
  state: State,
  stats: StatsSnapshot,
  statusOf: AppStatusOf | undefined,
  filter: string,
  healthy: HealthOf = ALL_HEALTHY,
): AppRow[] {
  const routes = routesByApp(state, healthy);
  return state.apps
    .filter((a) => matches(filter, a.name, ...(routes.get(a.name) ?? []).map((r) => r.route)))
    .map((a) => appRow(a, state, stats, statusOf, routes));
}
