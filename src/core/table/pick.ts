/** The request path's balancer picks (upstream of a split, target of an upstream) and load accounting. */
import { inFlightScore, latencyScore, lowest, observe, rendezvous } from '../balancer.js';
import { takesTraffic, type HealthOf } from '../traffic.js';
import type { RoutingTable, ServiceEntry, TargetEntry, UpstreamEntry } from './entries.js';

/** Each target's health as the request path sees it, by key (a key the table does not hold: healthy). */
export function tableHealth(table: RoutingTable): HealthOf {
  const down = new Set<string>();
  for (const u of table.upstreams) for (const t of u.targets) if (!t.health.healthy) down.add(t.key);
  return (key) => !down.has(key);
}

/*
 * The picks the request path makes. Each is ONE smooth-weighted-round-robin pass with
 * availability checked inline (nginx's ngx_http_upstream_get_peer): a target that is down, or an
 * upstream with no target that can take traffic, is skipped inside the pass and left out of its
 * total, so what is left splits exactly by its own weights. Picking first and picking again when
 * the first was down would advance the rotation twice and skew the split (5/3/2 with the 3 down
 * gave 490/210 instead of 500/200). The predicates are made once here; what a retry already tried
 * is handed to them as the balancer's context, so a pick allocates nothing.
 */

const NOTHING_TRIED: readonly TargetEntry[] = [];

function untried(t: TargetEntry, tried: readonly TargetEntry[]): boolean {
  return tried.length === 0 || !tried.includes(t);
}

/** For the target pick: the balancer itself passes over weight 0, so `takesTraffic` comes down to health here. */
function targetUp(t: TargetEntry, tried: readonly TargetEntry[]): boolean {
  return t.health.healthy && untried(t, tried);
}

function upstreamUp(u: UpstreamEntry, tried: readonly TargetEntry[]): boolean {
  const targets = u.targets;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as TargetEntry;
    if (takesTraffic(t.weight, t.health.healthy) && untried(t, tried)) return true;
  }
  return false;
}

/**
 * The service's next upstream among those with a target that can take traffic (and was not
 * tried). With a `key` (`requestKey` of the service's `hash`), the sticky one: the key's
 * rendezvous pick by the split's weights; without (-1), smooth WRR.
 */
export function pickUpstream(
  service: ServiceEntry,
  tried: readonly TargetEntry[] | null = null,
  key = -1,
): UpstreamEntry | undefined {
  const b = service.balancer;
  if (key === -1 || service.hash === null) return b.pick(upstreamUp, tried ?? NOTHING_TRIED);
  const i = rendezvous(b.peers, b.weights, service.seeds, key, upstreamUp, tried ?? NOTHING_TRIED);
  return i === -1 ? undefined : b.peers[i];
}

/**
 * The upstream's next healthy target (not among `tried`) by its algorithm, or undefined when
 * there is none. `key`: the request's (`requestKey` of the upstream's `hash`; -1 without one,
 * which round-robin takes); `now` (ms): the clock the latency EWMAs are kept on.
 */
export function pickTarget(
  u: UpstreamEntry,
  tried: readonly TargetEntry[] | null = null,
  key = -1,
  now = 0,
): TargetEntry | undefined {
  const b = u.balancer;
  const ctx = tried ?? NOTHING_TRIED;
  let i: number;
  switch (u.algorithm) {
    case 'round-robin':
      return b.pick(targetUp, ctx);
    case 'consistent-hashing':
      if (key === -1) return b.pick(targetUp, ctx);
      i = rendezvous(b.peers, b.weights, u.seeds, key, targetUp, ctx);
      break;
    case 'least-connections':
    case 'latency': {
      const score = u.algorithm === 'latency' ? latencyScore : inFlightScore;
      i = lowest(b.peers, b.weights, u.loads, u.turn.n++ % b.peers.length, score, now, targetUp, ctx);
      break;
    }
  }
  return i === -1 ? undefined : b.peers[i];
}

/** An attempt went to `t` (least-connections and latency count it; the others pay nothing). */
export function attemptStarted(u: UpstreamEntry, t: TargetEntry): void {
  if (u.tracksLoad) t.load.active++;
}

/** The attempt on `t` ended after `ms` (at `now`, on pickTarget's clock): Kong's afterBalance. */
export function attemptEnded(u: UpstreamEntry, t: TargetEntry, ms: number, now: number): void {
  if (!u.tracksLoad) return;
  if (t.load.active > 0) t.load.active--;
  if (u.algorithm === 'latency') observe(t.load, ms, now);
}
