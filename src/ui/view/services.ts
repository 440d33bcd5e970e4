/**
 * The routes → services pane's rows: each service with the routes that reach it and its split
 * as really in force (stopped apps, weight 0, unhealthy targets: core/traffic.ts), then routes
 * with no service. Plain rows, no React.
 */
import { routeLabel, serviceLabel, type Route, type Service, type State } from '../../core/model.js';
import { ALL_HEALTHY, serviceServes, splitInForce, type HealthOf } from '../../core/traffic.js';
import type { CounterSnapshot, StatsSnapshot } from '../../proxy/stats.js';
import { focusIndex } from '../split.js';
import { matches } from './common.js';

export interface SplitPart {
  readonly name: string;
  /** Its weight in the split, as configured (what the slider moves). */
  readonly weight: number;
  /** The share it really gets, exact, in percent (see core/traffic.ts). */
  readonly share: number;
  /** The same in whole percent; a split's sum to 100, or are all 0 when nothing takes traffic. */
  readonly percent: number;
  /** No target that can take traffic (a stopped app, no targets, all at weight 0 or down): it gets nothing. */
  readonly idle: boolean;
}

export interface ServiceRow {
  readonly key: string;
  /** The service, or null for a route that has none. */
  readonly service: Service | null;
  readonly name: string;
  /** The routes that reach it, as `host/path`. */
  readonly routes: readonly string[];
  /** Its split over upstreams; undefined when it sends to a literal address. */
  readonly split: readonly SplitPart[] | undefined;
  /** Which part the arrows move (the second of two, or the focused one of more). */
  readonly focus: number;
  /** `host:port` for a service on a literal address. */
  readonly address?: string;
  readonly stats: CounterSnapshot | undefined;
  /** Nothing it sends to can take traffic: its routes answer 503. */
  readonly noTarget: boolean;
}

function routeText(r: Route): string {
  const host = r.hosts?.length ? r.hosts.join(',') : r.name && !r.paths?.length ? routeLabel(r) : '*';
  const path = r.paths?.length ? r.paths.join(',') : '';
  return `${host}${path}`;
}

export function serviceRows(
  state: State,
  stats: StatsSnapshot,
  filter: string,
  focus: Readonly<Record<string, string>>,
  healthy: HealthOf = ALL_HEALTHY,
): ServiceRow[] {
  const rows: ServiceRow[] = [];
  for (const s of state.services) {
    const routes = state.routes.filter((r) => r.service?.id === s.id).map(routeText);
    const name = serviceLabel(s);
    const split = splitInForce(state, s, healthy);
    if (!matches(filter, name, ...routes, ...(split ?? []).map((e) => e.name))) continue;
    rows.push({
      key: s.id,
      service: s,
      name,
      routes,
      split: split?.map((p) => ({
        name: p.name,
        weight: p.weight,
        share: p.share * 100,
        percent: p.percent,
        idle: !p.serving,
      })),
      noTarget: !serviceServes(state, s, healthy),
      focus: split ? focusIndex(split, focus[s.id]) : 0,
      address: split ? undefined : `${s.host}:${s.port}`,
      stats: stats.services[s.id],
    });
  }
  for (const r of state.routes) {
    if (r.service !== null && state.services.some((s) => s.id === r.service?.id)) continue;
    const text = routeText(r);
    if (!matches(filter, text)) continue;
    rows.push({
      key: r.id,
      service: null,
      name: '',
      routes: [text],
      split: undefined,
      focus: 0,
      stats: stats.routes[r.id],
      noTarget: false,
    });
  }
  return rows;
}
