/**
 * The upstreams → targets pane's rows: each upstream, then its targets, with the share each is
 * configured to get and the share it really got, and a health word from the routing table and
 * the recent counters. Plain rows, no React.
 */
import type { Service, State, Target, Upstream } from '../../core/model.js';
import { splitInForce, upstreamInForce, type HealthOf } from '../../core/traffic.js';
import type { CounterSnapshot, StatsSnapshot } from '../../proxy/stats.js';
import { matches, type Health } from './common.js';

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

/**
 * A target's state: off (weight 0 in force, as in a stopped app), draining (the same, requests
 * still in flight), down (the proxy skips it), failing (most of its recent attempts failed),
 * erroring (some did), or up.
 */
function targetHealth(
  weight: number,
  healthy: boolean,
  stats: CounterSnapshot | undefined,
  before: CounterSnapshot | undefined,
): Health {
  if (weight === 0) return (stats?.inFlight ?? 0) > 0 ? DRAIN : OFF;
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
  healthy: HealthOf,
  selected: Service | null,
  filter: string,
  before: StatsSnapshot = stats,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const split = selected ? splitInForce(state, selected, healthy) : undefined;
  const splitRate = split ? split.reduce((a, e) => a + (rateOfUpstream(state, stats, e.name) ?? 0), 0) : 0;
  state.upstreams.forEach((u, upstreamIndex) => {
    const targets = u.targets.filter((t) => matches(filter, u.name, t.target));
    if (targets.length === 0 && !matches(filter, u.name)) return;
    const us = stats.upstreams[u.id];
    const inForce = upstreamInForce(state, u.name, healthy);
    const healthOf = (t: (typeof inForce.targets)[number]) =>
      targetHealth(t.weight, t.healthy, stats.targets[t.key], before.targets[t.key]);
    const part = split?.find((e) => e.name === u.name);
    rows.push({
      kind: 'upstream',
      key: u.id,
      upstream: u,
      upstreamIndex,
      name: u.name,
      weight: u.targets.reduce((a, t) => a + t.weight, 0),
      conf: part ? part.share * 100 : undefined,
      obs: !part || splitRate <= 0 ? undefined : ((us?.rate ?? 0) * 100) / splitRate,
      health: inForce.stopped ? STOPPED : upstreamHealth(u, inForce.targets.map(healthOf)),
      stats: us,
    });
    const upstreamRate = inForce.targets.reduce((a, t) => a + (stats.targets[t.key]?.rate ?? 0), 0);
    for (const t of inForce.targets) {
      if (!targets.includes(t.target)) continue;
      const ts = stats.targets[t.key];
      rows.push({
        kind: 'target',
        key: t.key,
        upstream: u,
        target: t.target,
        upstreamIndex,
        name: t.target.target,
        weight: t.target.weight,
        conf: t.share * 100,
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
