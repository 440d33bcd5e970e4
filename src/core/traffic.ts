/**
 * Who takes traffic, and what share each really gets: the one place these rules live. `compile`
 * builds the routing table by them, the request path picks by them, and every surface that shows
 * a share (the UI, the admin API and so the CLI, the HAProxy planner) reads it from here, so what
 * is shown is what the proxy does.
 *
 * - A stopped app takes no traffic: its upstream's targets stay, at their weight, but the weight
 *   in force is 0.
 * - A target takes traffic when its weight in force is above 0 and it is healthy.
 * - An upstream takes traffic when one of its targets does; a service splits between the
 *   upstreams that take traffic, in proportion to their weights (the others are left out of the
 *   total), and an upstream between its targets that take traffic, likewise.
 * - A disabled service sends nothing.
 */
import { effectiveSplit, type Service, type State, type Target, type Upstream } from './model.js';

/**
 * Largest remainder: whole numbers summing to exactly `total`, in proportion to `weights` (ties go
 * to the earlier entry); all 0 when no weight is above 0. The one apportioning in switchyard:
 * percentages, a slider's weights, a bar's cells.
 */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const raw = weights.map((w) => (w * total) / sum);
  const out = raw.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i] = (out[i] as number) + 1;
    rest--;
  }
  return out;
}

/** Whole percentages summing to exactly 100 (all 0 when nothing has weight). */
export function percentages(weights: readonly number[]): number[] {
  return apportion(weights, 100);
}

/** Health of a target by its routing-table key (`upstreamId/host:port`; `serviceId/host:port` for a literal host). */
export type HealthOf = (key: string) => boolean;

export const ALL_HEALTHY: HealthOf = () => true;

/** A target's key in the routing table, stable across compiles. */
export function targetKey(owner: string, address: string): string {
  return `${owner}/${address}`;
}

/** The names of the stopped apps (an app's upstream has its name). */
export function stoppedApps(state: State): ReadonlySet<string> {
  return new Set(state.apps.filter((a) => a.state === 'stopped').map((a) => a.name));
}

/** The weight a target routes by: its own, or 0 in the upstream of a stopped app. */
export function weightInForce(weight: number, appStopped: boolean): number {
  return appStopped ? 0 : weight;
}

/** Whether a target takes traffic: a weight in force above 0, and healthy. */
export function takesTraffic(weight: number, healthy: boolean): boolean {
  return weight > 0 && healthy;
}

/** What the share arithmetic needs of a target: its weight in force, its health. */
export interface TargetLoad {
  readonly weight: number;
  readonly healthy: boolean;
}

/** …and of an upstream in a split: its weight there, its targets. */
export interface UpstreamLoad {
  readonly weight: number;
  readonly targets: readonly TargetLoad[];
}

export interface UpstreamShare {
  /** One of its targets takes traffic. */
  readonly serving: boolean;
  /** Its share of the service's traffic, 0..1. */
  readonly share: number;
  /** Each target's share of the upstream's traffic, 0..1. */
  readonly targets: readonly number[];
}

/** Shares within one level: in proportion to the weights of the entries that take traffic. */
function level(weights: readonly number[], serving: readonly boolean[]): number[] {
  const total = weights.reduce((a, w, i) => a + (serving[i] ? w : 0), 0);
  return weights.map((w, i) => (serving[i] && total > 0 ? w / total : 0));
}

/** What each upstream of a split, and each of its targets, really gets: what the two picks of the request path do. */
export function splitShares(upstreams: readonly UpstreamLoad[]): UpstreamShare[] {
  const within = upstreams.map((u) => {
    const up = u.targets.map((t) => takesTraffic(t.weight, t.healthy));
    return { serving: up.some(Boolean), targets: level(u.targets.map((t) => t.weight), up) };
  });
  const shares = level(
    upstreams.map((u) => u.weight),
    within.map((w) => w.serving),
  );
  return within.map((w, i) => ({ serving: w.serving, share: shares[i] as number, targets: w.targets }));
}

export interface TargetInForce {
  readonly target: Target;
  /** Its key in the routing table. */
  readonly key: string;
  /** The weight it routes by (0 in a stopped app). */
  readonly weight: number;
  readonly healthy: boolean;
  readonly serving: boolean;
  /** Its share of its upstream's traffic, 0..1. */
  readonly share: number;
}

export interface UpstreamInForce {
  readonly name: string;
  /** Undefined when no upstream has this name (a split naming one that is gone). */
  readonly upstream: Upstream | undefined;
  /** The upstream of a stopped app. */
  readonly stopped: boolean;
  /** One of its targets takes traffic. */
  readonly serving: boolean;
  readonly targets: readonly TargetInForce[];
}

function inForce(state: State, name: string, healthy: HealthOf, stopped: ReadonlySet<string>): UpstreamInForce {
  const upstream = state.upstreams.find((u) => u.name === name);
  const off = stopped.has(name);
  const loads = (upstream?.targets ?? []).map((t) => {
    const key = targetKey(upstream!.id, t.target);
    return { target: t, key, weight: weightInForce(t.weight, off), healthy: healthy(key) };
  });
  const [shares] = splitShares([{ weight: 1, targets: loads }]);
  const targets = loads.map((t, i) => ({ ...t, serving: takesTraffic(t.weight, t.healthy), share: shares?.targets[i] ?? 0 }));
  return { name, upstream, stopped: off, serving: shares?.serving ?? false, targets };
}

/** An upstream's targets with the weights they route by and their shares of it. */
export function upstreamInForce(state: State, name: string, healthy: HealthOf = ALL_HEALTHY): UpstreamInForce {
  return inForce(state, name, healthy, stoppedApps(state));
}

/** One upstream of a service's split, with what it really gets. */
export interface PartInForce extends UpstreamInForce {
  /** Its weight in the split, as configured. */
  readonly weight: number;
  /** Its share of the service's traffic, 0..1. */
  readonly share: number;
  /** The same in whole percent; a split's percents sum to 100, or are all 0 when nothing takes traffic. */
  readonly percent: number;
}

/**
 * A service's split as the proxy routes it: each upstream with its configured weight, whether it
 * can take traffic, and the share it really gets. `undefined`: the service sends to a literal
 * host:port (see `serviceServes`).
 */
export function splitInForce(state: State, s: Service, healthy: HealthOf = ALL_HEALTHY): PartInForce[] | undefined {
  const split = effectiveSplit(state, s);
  if (split === undefined) return undefined;
  const stopped = stoppedApps(state);
  const ups = split.map((e) => ({ ...inForce(state, e.name, healthy, stopped), weight: e.weight }));
  const shares = splitShares(ups).map((x) => (s.enabled ? x.share : 0));
  const percents = percentages(shares);
  return ups.map((u, i) => ({ ...u, share: shares[i] as number, percent: percents[i] as number }));
}

/** Whether a request routed to this service can reach a target; when not, the proxy answers 503. */
export function serviceServes(state: State, s: Service, healthy: HealthOf = ALL_HEALTHY): boolean {
  if (!s.enabled) return false;
  const parts = splitInForce(state, s, healthy);
  if (parts === undefined) return healthy(targetKey(s.id, `${s.host}:${s.port}`));
  return parts.some((p) => p.share > 0);
}

/**
 * Why a service that serves nothing (`serviceServes` false, by the configuration) does not: the
 * sentence an operator reads before confirming such a change, and after it.
 */
export function whyIdle(state: State, s: Service): string {
  if (!s.enabled) return 'the service is disabled';
  const parts = splitInForce(state, s);
  if (parts === undefined) return `its address ${s.host}:${s.port} is down`;
  if (parts.length === 0) return 'it splits over no upstream';
  const weighted = parts.filter((p) => p.weight > 0);
  if (weighted.length === 0) return `all its weights are 0`;
  const reasons = weighted.map((p) => {
    if (p.upstream === undefined) return `there is no upstream ${p.name}`;
    if (p.stopped) return `app ${p.name} is stopped`;
    if (p.targets.length === 0) return `${p.name} has no targets`;
    return `every target of ${p.name} has weight 0`;
  });
  return reasons.join('; ');
}
