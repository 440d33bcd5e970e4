import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeShares, parseRoute, routesWithApps } from '../../src/core/apps.js';
import type { Service } from '../../src/core/model.js';
import { Store } from '../../src/core/store.js';
import { pickTarget, pickUpstream, tableHealth } from '../../src/core/table.js';
import { apportion, percentages, serviceServes, splitInForce, splitShares, type HealthOf } from '../../src/core/traffic.js';

/** Three address apps on one Kf route at 5/3/2, each with its targets in its upstream (as the supervisor admits them). */
function three(): Store {
  const store = new Store();
  const apps: [string, number, string[]][] = [
    ['a', 5, ['127.0.0.1:3001', '127.0.0.1:3002']],
    ['b', 3, ['127.0.0.1:3003']],
    ['c', 2, ['127.0.0.1:3004', '127.0.0.1:3005']],
  ];
  for (const [name, weight, targets] of apps) {
    store.dispatch({ op: 'app.push', fields: { name, targets, no_route: true } });
    for (const t of targets) store.dispatch({ op: 'target.create', upstream: name, fields: { target: t } });
    store.dispatch({ op: 'app.map-route', app: name, route: 'shop.example.com', weight });
  }
  return store;
}

const service = (store: Store): Service => store.state.services[0]!;

function inForce(store: Store, healthy?: HealthOf) {
  return splitInForce(store.state, service(store), healthy)!.map((p) => [p.name, p.serving, p.share, p.percent]);
}

/** Marks a target down in the routing table in force, as passive health or Kong's POST …/unhealthy does. */
function markDown(store: Store, address: string): void {
  for (const u of store.table.upstreams) for (const t of u.targets) if (t.address === address) t.health.healthy = false;
}

/** What the request path does: `n` picks of upstream then target, counted by upstream name and by target address. */
function picks(store: Store, n: number): { upstreams: Record<string, number>; targets: Record<string, number> } {
  const entry = store.table.services[0]!;
  const upstreams: Record<string, number> = {};
  const targets: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const u = pickUpstream(entry);
    if (!u) continue;
    const t = pickTarget(u)!;
    upstreams[u.name] = (upstreams[u.name] ?? 0) + 1;
    targets[t.address] = (targets[t.address] ?? 0) + 1;
  }
  return { upstreams, targets };
}

describe('apportion (largest remainder, the one in switchyard)', () => {
  it('sums to the total exactly, each part within one of its exact share, nothing for a weight of 0', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 1000 }), (weights, total) => {
        const out = apportion(weights, total);
        const sum = weights.reduce((a, b) => a + b, 0);
        expect(out).toHaveLength(weights.length);
        if (sum === 0 || total === 0) {
          expect(out.every((x) => x === 0)).toBe(true);
          return;
        }
        expect(out.reduce((a, b) => a + b, 0)).toBe(total);
        out.forEach((x, i) => {
          const exact = ((weights[i] as number) * total) / sum;
          expect(Number.isInteger(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(Math.floor(exact));
          expect(x).toBeLessThanOrEqual(Math.ceil(exact));
          if (weights[i] === 0) expect(x).toBe(0);
        });
      }),
    );
  });

  it('gives ties to the earlier entry, and percentages sum to 100', () => {
    expect(apportion([1, 1, 1], 2)).toEqual([1, 1, 0]);
    expect(percentages([1, 1, 1])).toEqual([34, 33, 33]);
    expect(percentages([1, 0, 2])).toEqual([33, 0, 67]);
    expect(percentages([0, 0])).toEqual([0, 0]);
    expect(percentages([0.25, 0.75])).toEqual([25, 75]);
  });
});

describe('splitShares', () => {
  it('leaves an upstream with no target that takes traffic out of the total, and a target likewise', () => {
    const up = (weight: number, ...targets: [number, boolean][]) => ({ weight, targets: targets.map(([w, healthy]) => ({ weight: w, healthy })) });
    expect(splitShares([up(5, [100, true], [100, false]), up(3, [100, false]), up(2, [0, true])])).toEqual([
      { serving: true, share: 1, targets: [1, 0] },
      { serving: false, share: 0, targets: [0] },
      { serving: false, share: 0, targets: [0] },
    ]);
    // Serving, but at weight 0 in the split: nothing.
    expect(splitShares([up(0, [1, true]), up(1, [1, true])]).map((s) => s.share)).toEqual([0, 1]);
    expect(splitShares([]).length).toBe(0);
  });
});

describe('the split in force (what the proxy really does)', () => {
  it('all started and healthy: in proportion to the weights, and exactly what the picks give', () => {
    const store = three();
    expect(inForce(store)).toEqual([
      ['a', true, 0.5, 50],
      ['b', true, 0.3, 30],
      ['c', true, 0.2, 20],
    ]);
    expect(picks(store, 100).upstreams).toEqual({ a: 50, b: 30, c: 20 });
    expect(serviceServes(store.state, service(store))).toBe(true);
  });

  it('a stopped address app keeps its targets and weight but gets nothing; the others grow, as the picks do', () => {
    const store = three();
    store.dispatch({ op: 'app.stop', app: 'a' });
    // Its addresses are still in its upstream, at their weight.
    expect(store.state.upstreams.find((u) => u.name === 'a')!.targets.map((t) => t.weight)).toEqual([100, 100]);
    expect(inForce(store)).toEqual([
      ['a', false, 0, 0],
      ['b', true, 0.6, 60],
      ['c', true, 0.4, 40],
    ]);
    const part = splitInForce(store.state, service(store))![0]!;
    expect(part.stopped).toBe(true);
    expect(part.targets.map((t) => [t.weight, t.serving])).toEqual([
      [0, false],
      [0, false],
    ]);
    expect(picks(store, 50).upstreams).toEqual({ b: 30, c: 20 });
    expect(routesWithApps(store.state)[0]!.apps.map((a) => [a.name, a.weight, a.percent, a.state])).toEqual([
      ['a', 5, 0, 'stopped'],
      ['b', 3, 60, 'started'],
      ['c', 2, 40, 'started'],
    ]);
    expect(describeShares(store.state, parseRoute('shop.example.com'))).toBe('a 0% / b 60% / c 40%');
  });

  it('weight 0: a target at 0 gets nothing of its upstream; an upstream with every target at 0 nothing of the service', () => {
    const store = three();
    store.dispatch({ op: 'target.update', upstream: 'c', target: '127.0.0.1:3004', fields: { weight: 0 } });
    const c = splitInForce(store.state, service(store))![2]!;
    expect(c.targets.map((t) => [t.target.target, t.share])).toEqual([
      ['127.0.0.1:3004', 0],
      ['127.0.0.1:3005', 1],
    ]);
    store.dispatch({ op: 'target.update', upstream: 'c', target: '127.0.0.1:3005', fields: { weight: 0 } });
    expect(inForce(store).map((p) => p.slice(0, 2).concat(p[3]!))).toEqual([
      ['a', true, 63],
      ['b', true, 37],
      ['c', false, 0],
    ]);
    // An upstream at weight 0 in the split, its targets all able: nothing either.
    store.dispatch({ op: 'app.map-route', app: 'b', route: 'shop.example.com', weight: 0 });
    expect(inForce(store).map((p) => p[3])).toEqual([100, 0, 0]);
    expect(picks(store, 10).upstreams).toEqual({ a: 10 });
  });

  it('an unhealthy target is skipped: its upstream splits among the rest, and an upstream all down gets nothing', () => {
    const store = three();
    markDown(store, '127.0.0.1:3001');
    markDown(store, '127.0.0.1:3003');
    const health = tableHealth(store.table);
    const parts = splitInForce(store.state, service(store), health)!;
    expect(parts.map((p) => [p.name, p.serving, p.percent])).toEqual([
      ['a', true, 71],
      ['b', false, 0],
      ['c', true, 29],
    ]);
    expect(parts[0]!.targets.map((t) => [t.target.target, t.healthy, t.share])).toEqual([
      ['127.0.0.1:3001', false, 0],
      ['127.0.0.1:3002', true, 1],
    ]);
    expect(picks(store, 70)).toEqual({ upstreams: { a: 50, c: 20 }, targets: { '127.0.0.1:3002': 50, '127.0.0.1:3004': 10, '127.0.0.1:3005': 10 } });
    // Without health (all healthy), the same state gives the configured shares.
    expect(inForce(store).map((p) => p[3])).toEqual([50, 30, 20]);
  });

  it('nothing takes traffic: every share 0, and the service does not serve (the proxy answers 503)', () => {
    const store = three();
    for (const app of ['a', 'b', 'c']) store.dispatch({ op: 'app.stop', app });
    expect(inForce(store).map((p) => p[3])).toEqual([0, 0, 0]);
    expect(serviceServes(store.state, service(store))).toBe(false);
    expect(picks(store, 5).upstreams).toEqual({});
  });

  it('a disabled service sends nothing; a literal address has no split and serves while its target is healthy', () => {
    const store = three();
    store.dispatch({ op: 'service.update', service: service(store).id, fields: { enabled: false } });
    expect(inForce(store).map((p) => [p[1], p[3]])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);
    expect(serviceServes(store.state, service(store))).toBe(false);

    const lit = new Store();
    lit.dispatch({ op: 'service.create', fields: { name: 'lit', url: 'http://127.0.0.1:9/' } });
    const s = lit.state.services[0]!;
    expect(splitInForce(lit.state, s)).toBeUndefined();
    expect(serviceServes(lit.state, s)).toBe(true);
    expect(serviceServes(lit.state, s, (k) => k !== `${s.id}/127.0.0.1:9`)).toBe(false);
  });
});
