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
    this.current = continueFrom && continueFrom.current.length === peers.length ? continueFrom.current : new Float64Array(peers.length);
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
