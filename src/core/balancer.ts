/**
 * Smooth weighted round-robin, as nginx's ngx_http_upstream_get_peer does it: deterministic, and
 * every window of sum(weights) picks matches the weights exactly. Weight 0 is never picked.
 *
 * `available` lets the caller skip unhealthy or already-tried peers *inside* the one pass, as
 * nginx does: a skipped peer's current weight does not move and its weight is not in the total,
 * so the peers left split exactly by their own weights. Never pick, look, and pick again: each
 * pick advances the rotation, and a second one skews the split. `ctx` is handed to `available`
 * so a predicate defined once can depend on the request (what it already tried) without a
 * closure per request.
 */
export class Balancer<T> {
  readonly peers: readonly T[];
  readonly weights: readonly number[];
  private readonly current: Float64Array;

  /** With `continueFrom` (same weights), the rotation goes on where that balancer was. */
  constructor(peers: readonly T[], weights: readonly number[], continueFrom?: Balancer<unknown>) {
    this.peers = peers;
    this.weights = weights;
    this.current =
      continueFrom && continueFrom.current.length === peers.length
        ? continueFrom.current
        : new Float64Array(peers.length);
  }

  /** Index of the next peer, or -1 when none with weight > 0 is available. */
  pickIndex<C = undefined>(available?: (peer: T, ctx: C) => boolean, ctx?: C): number {
    const w = this.weights;
    const cur = this.current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number;
      if (wi === 0 || (available !== undefined && !available(this.peers[i] as T, ctx as C))) continue;
      cur[i] = (cur[i] as number) + wi;
      total += wi;
      if (best === -1 || (cur[i] as number) > (cur[best] as number)) best = i;
    }
    if (best !== -1) cur[best] = (cur[best] as number) - total;
    return best;
  }

  pick<C = undefined>(available?: (peer: T, ctx: C) => boolean, ctx?: C): T | undefined {
    const i = this.pickIndex(available, ctx);
    return i === -1 ? undefined : this.peers[i];
  }
}

/*
 * Sticky picks: weighted rendezvous hashing (HRW). Every peer scores a key with its own hash of
 * it, scaled by its weight (score = weight / -ln(u), u the hash in (0, 1)), and the highest score
 * wins. Changing one peer's weight or removing one peer only changes that peer's scores, so a
 * key moves only onto a peer that gained weight, or off a peer that lost it or left; the same
 * weights always give the same pick. No ring to rebuild, nothing kept per key.
 */

/** A string's 32-bit hash (FNV-1a over UTF-16 code units, then murmur3's finaliser). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The peer a key (`hashString` of it) goes to among those `available`: the highest weighted
 * rendezvous score; -1 when none with weight > 0 is available. `seeds` are the peers' own hashes
 * (of a name that lasts: a target's address, an upstream's name).
 */
export function rendezvous<T, C>(
  peers: readonly T[],
  weights: readonly number[],
  seeds: Uint32Array,
  key: number,
  available: (peer: T, ctx: C) => boolean,
  ctx: C,
): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < peers.length; i++) {
    const w = weights[i] as number;
    if (w === 0 || !available(peers[i] as T, ctx)) continue;
    const u = (fmix32((key ^ (seeds[i] as number)) >>> 0) + 0.5) / 4294967296;
    const score = w / -Math.log(u);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** What least-connections and latency know of a target: kept across compiles, as its health is. */
export interface TargetLoad {
  /** Requests in flight to it (through this proxy). */
  active: number;
  /** Kong's latency EWMA of its response times (ms), and when it was last updated (ms, the caller's clock). */
  ewma: number;
  touched: number;
}

export function newLoad(ewma = 0, touched = -Infinity): TargetLoad {
  return { active: 0, ewma, touched };
}

/** Kong's latency balancer (latency.lua): the EWMA decays over 10 s towards what is seen now. */
const DECAY_MS = 10_000;

/** The EWMA as it stands at `now` with a sample of `rtt` (0: only its decay, as Kong scores). */
function decayed(l: TargetLoad, rtt: number, now: number): number {
  const td = now - l.touched;
  const w = Math.exp(-(td > 0 ? td : 0) / DECAY_MS);
  return l.ewma * w + rtt * (1 - w);
}

/** A response came back after `rtt` ms: fold it into the target's EWMA (Kong's afterBalance). */
export function observe(l: TargetLoad, rtt: number, now: number): void {
  l.ewma = decayed(l, rtt, now);
  l.touched = now;
}

/** Kong's least-connections score: requests in flight per weight ((active + 1) / weight, the weight applied by `lowest`). */
export function inFlightScore(l: TargetLoad): number {
  return l.active + 1;
}

/**
 * Kong's latency score: the target's EWMA of response times decayed to `now`, so a target that
 * was slow gets tried again once its bad record has faded.
 */
export function latencyScore(l: TargetLoad, now: number): number {
  return decayed(l, 0, now);
}

/**
 * Kong's least-connections and latency balancers: the available peer with the lowest
 * `score(load, now) / weight`; among equals, a rotation (`start`) so that idle targets share the
 * traffic by turns.
 */
export function lowest<T, C>(
  peers: readonly T[],
  weights: readonly number[],
  loads: readonly TargetLoad[],
  start: number,
  score: (l: TargetLoad, now: number) => number,
  now: number,
  available: (peer: T, ctx: C) => boolean,
  ctx: C,
): number {
  const n = peers.length;
  let best = -1;
  let bestScore = Infinity;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    const w = weights[i] as number;
    if (w === 0 || !available(peers[i] as T, ctx)) continue;
    const v = score(loads[i] as TargetLoad, now) / w;
    if (v < bestScore) {
      best = i;
      bestScore = v;
    }
  }
  return best;
}
