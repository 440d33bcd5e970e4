/**
 * What the panels show, computed from the state, the routing table's health flags and a stats
 * snapshot: plain rows, no React, so they are easy to test and cheap to rebuild a few times a
 * second.
 */
import {
  effectiveSplit,
  routeLabel,
  serviceLabel,
  type Route,
  type Service,
  type State,
  type Target,
  type Upstream,
} from '../core/model.js';
import type { RoutingTable } from '../core/table.js';
import type { CounterSnapshot, StatsSnapshot } from '../proxy/stats.js';
import { exactShares, focusIndex } from './split.js';
import type { Tone } from './theme.js';

export interface SplitPart {
  readonly name: string;
  readonly weight: number;
  /** Exact share in percent. */
  readonly share: number;
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
}

export interface Health {
  readonly tone: Tone;
  readonly symbol: 'live' | 'pending' | 'failing' | 'stopped';
  readonly word: string;
}

export interface TargetRow {
  readonly kind: 'upstream' | 'target';
  readonly key: string;
  readonly upstream: Upstream;
  readonly target?: Target;
  /** Position of the upstream in the state (its colour). */
  readonly upstreamIndex: number;
  readonly name: string;
  readonly weight: number;
  /** Configured share in percent: a target's within its upstream, an upstream's within the selected service. */
  readonly conf: number | undefined;
  /** Observed share of requests per second, same basis as `conf`. */
  readonly obs: number | undefined;
  readonly health: Health;
  readonly stats: CounterSnapshot | undefined;
}

function routeText(r: Route): string {
  const host = r.hosts?.length ? r.hosts.join(',') : r.name && !r.paths?.length ? routeLabel(r) : '*';
  const path = r.paths?.length ? r.paths.join(',') : '';
  return `${host}${path}`;
}

function matches(filter: string, ...texts: readonly string[]): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(f));
}

export function serviceRows(
  state: State,
  stats: StatsSnapshot,
  filter: string,
  focus: Readonly<Record<string, string>>,
): ServiceRow[] {
  const rows: ServiceRow[] = [];
  for (const s of state.services) {
    const routes = state.routes.filter((r) => r.service?.id === s.id).map(routeText);
    const name = serviceLabel(s);
    const split = effectiveSplit(state, s);
    if (!matches(filter, name, ...routes, ...(split ?? []).map((e) => e.name))) continue;
    const shares = split ? exactShares(split) : [];
    rows.push({
      key: s.id,
      service: s,
      name,
      routes,
      split: split?.map((e, i) => ({ name: e.name, weight: e.weight, share: shares[i] as number })),
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
    });
  }
  return rows;
}

const LIVE: Health = { tone: 'live', symbol: 'live', word: 'up' };
const OFF: Health = { tone: 'stopped', symbol: 'stopped', word: 'off' };
const DOWN: Health = { tone: 'failing', symbol: 'failing', word: 'down' };
const DRAIN: Health = { tone: 'pending', symbol: 'pending', word: 'drain' };
const STOPPED: Health = { tone: 'stopped', symbol: 'stopped', word: 'stop' };
const FAILING: Health = { tone: 'failing', symbol: 'failing', word: 'fail' };
const ERRORS: Health = { tone: 'pending', symbol: 'pending', word: 'errs' };

/** Attempts and failed attempts (connection errors, 5xx) between two snapshots. */
function recent(
  now: CounterSnapshot | undefined,
  before: CounterSnapshot | undefined,
): { attempts: number; failed: number } {
  if (!now) return { attempts: 0, failed: 0 };
  const failed = now.errors + now.status['5xx'] - ((before?.errors ?? 0) + (before?.status['5xx'] ?? 0));
  return { attempts: now.requests - (before?.requests ?? 0), failed: Math.max(0, failed) };
}

/** Passive health of each target key, from the routing table in force. */
export function healthMap(table: RoutingTable): ReadonlyMap<string, boolean> {
  const m = new Map<string, boolean>();
  for (const u of table.upstreams) for (const t of u.targets) m.set(t.key, t.health.healthy);
  return m;
}

/**
 * A target's state: off (weight 0), draining (weight 0, requests still in flight), down (the
 * proxy skips it), failing (most of its recent attempts failed), erroring (some did), or up.
 */
function targetHealth(
  t: Target,
  healthy: boolean,
  stats: CounterSnapshot | undefined,
  before: CounterSnapshot | undefined,
): Health {
  if (t.weight === 0) return (stats?.inFlight ?? 0) > 0 ? DRAIN : OFF;
  if (!healthy) return DOWN;
  const { attempts, failed } = recent(stats, before);
  if (failed > 0 && failed * 2 >= attempts) return FAILING;
  if (failed > 0) return ERRORS;
  return LIVE;
}

function upstreamHealth(u: Upstream, targets: readonly Health[]): Health {
  const weighted = targets.filter((h) => h !== OFF && h !== DRAIN);
  if (weighted.length === 0) return { ...OFF, word: u.targets.length ? 'off' : 'empty' };
  const up = weighted.filter((h) => h === LIVE).length;
  const word = `${up}/${weighted.length}`;
  if (up === weighted.length) return { ...LIVE, word };
  if (up === 0) return { ...DOWN, word };
  return { tone: 'pending', symbol: 'pending', word };
}

/**
 * Upstreams (each followed by its targets). Shares: a target's within its upstream; an
 * upstream's within `selected`, the service under the cursor (none when it is not in its split).
 */
export function targetRows(
  state: State,
  stats: StatsSnapshot,
  health: ReadonlyMap<string, boolean>,
  selected: Service | null,
  filter: string,
  before: StatsSnapshot = stats,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const split = selected ? effectiveSplit(state, selected) : undefined;
  const splitShares = split ? exactShares(split) : [];
  const splitRate = split ? split.reduce((a, e) => a + (rateOfUpstream(state, stats, e.name) ?? 0), 0) : 0;
  // An app's upstream has the app's name; a stopped app takes no traffic.
  const stopped = new Set(state.apps.filter((a) => a.state === 'stopped').map((a) => a.name));
  state.upstreams.forEach((u, upstreamIndex) => {
    const targets = u.targets.filter((t) => matches(filter, u.name, t.target));
    if (targets.length === 0 && !matches(filter, u.name)) return;
    const us = stats.upstreams[u.id];
    const healthOf = (t: Target) =>
      targetHealth(
        t,
        health.get(`${u.id}/${t.target}`) !== false,
        stats.targets[`${u.id}/${t.target}`],
        before.targets[`${u.id}/${t.target}`],
      );
    const inSplit = split ? split.findIndex((e) => e.name === u.name) : -1;
    rows.push({
      kind: 'upstream',
      key: u.id,
      upstream: u,
      upstreamIndex,
      name: u.name,
      weight: u.targets.reduce((a, t) => a + t.weight, 0),
      conf: inSplit === -1 ? undefined : splitShares[inSplit],
      obs: inSplit === -1 || splitRate <= 0 ? undefined : ((us?.rate ?? 0) * 100) / splitRate,
      health: stopped.has(u.name) ? STOPPED : upstreamHealth(u, u.targets.map(healthOf)),
      stats: us,
    });
    const totalWeight = u.targets.reduce((a, t) => a + t.weight, 0);
    const upstreamRate = u.targets.reduce((a, t) => a + (stats.targets[`${u.id}/${t.target}`]?.rate ?? 0), 0);
    for (const t of targets) {
      const key = `${u.id}/${t.target}`;
      const ts = stats.targets[key];
      rows.push({
        kind: 'target',
        key,
        upstream: u,
        target: t,
        upstreamIndex,
        name: t.target,
        weight: t.weight,
        conf: totalWeight > 0 ? (t.weight * 100) / totalWeight : 0,
        obs: upstreamRate > 0 ? ((ts?.rate ?? 0) * 100) / upstreamRate : undefined,
        health: healthOf(t),
        stats: ts,
      });
    }
  });
  return rows;
}

function rateOfUpstream(state: State, stats: StatsSnapshot, name: string): number | undefined {
  const u = state.upstreams.find((x) => x.name === name);
  return u ? stats.upstreams[u.id]?.rate : undefined;
}
