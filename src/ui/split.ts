/**
 * The ratio slider's arithmetic, pure. A split's weights are set so that the shares are exactly
 * the percentages asked for: the weights sum to 100 and are the percentages. Entries at weight 0
 * stay in the split, so "the other upstream" is always defined.
 */
import type { Command } from '../core/commands.js';
import { effectiveSplit, serviceLabel, type Service, type SplitEntry, type State } from '../core/model.js';
import { apportion, percentages } from '../core/traffic.js';

export type SplitAction =
  /** Move `delta` points of traffic towards the focused upstream (the second of two). */
  | { readonly kind: 'nudge'; readonly delta: number }
  /** Set the focused upstream's share (the second of two) to `pct` percent. */
  | { readonly kind: 'set'; readonly pct: number }
  /** Put 100% on the first or second upstream of the split. */
  | { readonly kind: 'all'; readonly side: 'first' | 'second' }
  /** Switch the whole service to the other upstream (Kong's `PATCH host`). */
  | { readonly kind: 'switch' };

export type Plan =
  | { readonly kind: 'command'; readonly command: Command }
  /** Nothing to change; `message` says why. */
  | { readonly kind: 'noop'; readonly message: string }
  /** A service on one upstream: ask which upstream to bring in. */
  | { readonly kind: 'pick'; readonly options: readonly string[] }
  | { readonly kind: 'error'; readonly message: string };

/** Exact share of each entry in percent (all 0 when every weight is 0). */
export function exactShares(split: readonly SplitEntry[]): number[] {
  const total = split.reduce((a, e) => a + e.weight, 0);
  return split.map((e) => (total > 0 ? (e.weight * 100) / total : 0));
}

/** Whole numbers summing to `total`, in proportion to `weights` (equally when all are 0). */
function distribute(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return apportion(sum > 0 ? weights : weights.map(() => 1), total);
}

/**
 * The split with entry `index` at exactly `pct` percent; the others share the rest in proportion
 * to their current weights (equally when they are all 0). Weights sum to 100.
 */
export function withShare(split: readonly SplitEntry[], index: number, pct: number): SplitEntry[] {
  const p = Math.max(0, Math.min(100, Math.round(pct)));
  if (split.length === 1) return [{ name: (split[0] as SplitEntry).name, weight: 100 }];
  const others = split.filter((_, i) => i !== index);
  const shares = distribute(
    others.map((e) => e.weight),
    100 - p,
  );
  let k = 0;
  return split.map((e, i) => ({ name: e.name, weight: i === index ? p : (shares[k++] as number) }));
}

export function sameSplit(a: readonly SplitEntry[], b: readonly SplitEntry[]): boolean {
  if (a.length !== b.length) return false;
  const sa = exactShares(a);
  const sb = exactShares(b);
  return a.every((e, i) => e.name === b[i]?.name && Math.abs((sa[i] as number) - (sb[i] as number)) < 1e-9);
}

export function describeSplit(split: readonly SplitEntry[]): string {
  const pct = percentages(split.map((e) => e.weight));
  return split.map((e, i) => `${e.name} ${pct[i]}%`).join(' / ');
}

/** Which entry the arrows and digits act on: the second of two, else the focused one. */
export function focusIndex(split: readonly SplitEntry[], focus: string | undefined): number {
  if (split.length <= 1) return 0;
  if (split.length === 2) return 1;
  const i = focus === undefined ? -1 : split.findIndex((e) => e.name === focus);
  return i === -1 ? 1 : i;
}

function heaviestIndex(split: readonly SplitEntry[]): number {
  let best = 0;
  split.forEach((e, i) => {
    if (e.weight > (split[best] as SplitEntry).weight) best = i;
  });
  return best;
}

/**
 * What a slider key does to a service: a command, nothing (and why), or a question first.
 * `bringIn` is the answer to that question for a service on a single upstream.
 */
export function planSplit(
  state: State,
  service: Service,
  action: SplitAction,
  focus?: string,
  bringIn?: string,
): Plan {
  const name = serviceLabel(service);
  const current = effectiveSplit(state, service);
  if (current === undefined) {
    return {
      kind: 'error',
      message: `service ${name} sends to the address ${service.host}:${service.port}, not an upstream; point it at one first (:switch ${name} UPSTREAM)`,
    };
  }
  if (current.length === 0) return { kind: 'error', message: `service ${name} has no upstream to split` };
  let split: readonly SplitEntry[] = current;
  if (split.length === 1) {
    const only = split[0] as SplitEntry;
    if (action.kind === 'all' && action.side === 'first')
      return { kind: 'noop', message: `service ${name} already sends 100% to ${only.name}` };
    if (bringIn === undefined) {
      const options = state.upstreams.map((u) => u.name).filter((n) => n !== only.name);
      if (options.length === 0)
        return {
          kind: 'error',
          message: `service ${name} is on ${only.name}, the only upstream: add another to split with`,
        };
      return { kind: 'pick', options };
    }
    if (!state.upstreams.some((u) => u.name === bringIn))
      return { kind: 'error', message: `no upstream named '${bringIn}'` };
    split = [
      { name: only.name, weight: 100 },
      { name: bringIn, weight: 0 },
    ];
  }
  if (action.kind === 'switch') {
    const host = split.findIndex((e) => e.name === service.host);
    const from = host === -1 ? heaviestIndex(split) : host;
    let to: number;
    if (split.length === 2) to = 1 - from;
    else {
      const f = focusIndex(split, focus);
      to = f !== from ? f : (from + 1) % split.length;
    }
    const target = (split[to] as SplitEntry).name;
    const after = split.map((e) => ({ name: e.name, weight: e.name === target ? 100 : 0 }));
    if (sameSplit(current, after) && service.host === target)
      return { kind: 'noop', message: `service ${name} already sends 100% to ${target}` };
    return {
      kind: 'command',
      command: { op: 'service.switch', service: service.id, upstream: target },
    };
  }
  const index = action.kind === 'all' ? (action.side === 'first' ? 0 : 1) : focusIndex(split, focus);
  const share = exactShares(split)[index] as number;
  const pct =
    action.kind === 'nudge' ? Math.round(share) + action.delta : action.kind === 'set' ? action.pct : 100;
  const after = withShare(split, index, pct);
  if (split === current && sameSplit(current, after)) {
    const e = split[index] as SplitEntry;
    return {
      kind: 'noop',
      message: `${e.name} already has ${Math.round(share)}% of service ${name} (${describeSplit(current)})`,
    };
  }
  return { kind: 'command', command: { op: 'service.split', service: service.id, split: after } };
}
