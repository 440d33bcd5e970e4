/** JSON shapes of the app (Kf) endpoints: apps with their live status, and routes with shares. */
import { routesByApp } from '../core/apps.js';
import type { App, State } from '../core/model.js';
import type { HealthOf } from '../core/traffic.js';
import type { AppStatus } from '../apps/supervisor.js';
import type { StatsSnapshot } from '../proxy/stats.js';

export function appJson(app: App, state: State, status: AppStatus | undefined, snap: StatsSnapshot, healthy?: HealthOf): Record<string, unknown> {
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
    stats: { requests: c?.requests ?? 0, rate: c?.rate ?? 0, in_flight: c?.inFlight ?? 0, status: c?.status ?? null, p99: c?.p99 ?? null },
  };
}
