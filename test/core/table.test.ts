import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { joinUpstreamPath, escapePath, normalizePath } from '../../src/core/router.js';
import { match, type UpstreamEntry, pickTarget, pickUpstream, upstreamPath, upstreamUrl } from '../../src/core/table.js';

function withRoutes(n: number): Store {
  const store = new Store();
  store.dispatch({ op: 'service.create', fields: { name: 's', url: 'http://127.0.0.1:1' } });
  const commands = [];
  for (let i = 0; i < n; i++) commands.push({ op: 'route.create' as const, service: 's', fields: { name: `r${i}`, hosts: ['api.localhost'], paths: [`/p${i}`] } });
  commands.push({ op: 'route.create' as const, service: 's', fields: { name: 'deep', hosts: ['api.localhost'], paths: ['/p1/deeper'] } });
  commands.push({ op: 'route.create' as const, service: 's', fields: { name: 'post-only', hosts: ['api.localhost'], paths: ['/p2'], methods: ['POST'] } });
  commands.push({ op: 'route.create' as const, service: 's', fields: { name: 'any', paths: ['/'] } });
  commands.push({ op: 'route.create' as const, service: 's', fields: { name: 'wild', hosts: ['*.example.com'] } });
  store.dispatch({ op: 'batch', commands });
  return store;
}

describe('route matching', () => {
  it.each([3, 1000])(
    "finds the longest prefix among %i path routes on one host, methods first, in Kong's priority order",
    (n) => {
      const t = withRoutes(n).table;
      const name = (host: string, path: string, method = 'GET') => match(t, host, path, method)?.name;
      expect(name('api.localhost', '/p1/deeper/x')).toBe('deep');
      expect(name('api.localhost', '/p1/other')).toBe('r1');
      expect(name('API.localhost:8000', '/p2')).toBe('r2');
      expect(name('api.localhost', '/p2', 'POST')).toBe('post-only');
      // A route that names the host wins over one that does not; without a match there, the host-less one.
      expect(name('api.localhost', '/nothing')).toBe('any');
      expect(name('other.localhost', '/p1')).toBe('any');
      // Kong 3 orders by priority, not by tier: `/` (a path, length 1) outranks a wildcard host
      // without paths (a host, but not a plain one, length 0), so the path-only route takes it.
      expect(name('a.example.com', '/p1')).toBe('any');
      if (n === 1000) expect(name('api.localhost', '/p999/x')).toBe('r999');
    },
  );

  it("strips the matched prefix and prepends the service's path", () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 's', url: 'http://127.0.0.1:1/base' } });
    store.dispatch({ op: 'route.create', service: 's', fields: { hosts: ['h.localhost'], paths: ['/api'] } });
    const e = match(store.table, 'h.localhost', '/api/x?q=1', 'GET')!;
    expect(upstreamPath(e, '/api/x?q=1')).toBe('/base/x?q=1');
    expect(upstreamPath(e, '/api')).toBe('/base');
    expect(upstreamPath(e, '/api?q')).toBe('/base?q');
    expect(upstreamPath(e, '/apix')).toBe('/base/x');
  });
});

describe("the upstream URL's short way (no service path, nothing stripped)", () => {
  it('gives what Kong\'s join gives, for both path_handlings, with and without strip_path', () => {
    const paths = ['/', '/a', '/a/b/', '/.well-known/x', '/..x/y', '/a%20b', '/a|b', '/%2e%2e/a', '/a//b/./c/../d'];
    for (const handling of ['v0', 'v1'] as const)
      for (const strip of [true, false])
        for (const url of [null, 'http://127.0.0.1:1', 'http://127.0.0.1:1/']) {
          const store = new Store();
          store.dispatch({ op: 'service.create', fields: { name: 's', url: url ?? 'http://127.0.0.1:1' } });
          store.dispatch({ op: 'route.create', service: 's', fields: { name: 'h', hosts: ['h.localhost'], strip_path: strip, path_handling: handling } });
          store.dispatch({ op: 'route.create', service: 's', fields: { name: 'p', hosts: ['p.localhost'], paths: ['/a'], strip_path: strip, path_handling: handling } });
          for (const raw of paths)
            for (const [host, matched] of [['h.localhost', 0], ['p.localhost', 2]] as const) {
              const e = match(store.table, host, raw, 'GET');
              if (e === undefined) continue;
              const path = normalizePath(raw);
              const kong = escapePath(joinUpstreamPath(handling, strip, e.service?.path ?? null, path, matched));
              expect(upstreamUrl(e, path, matched, `${raw}?q=1`), `${handling} strip=${strip} ${url} ${host} ${raw}`).toBe(`${kong}?q=1`);
            }
        }
  });
});

describe('the picks the request path makes', () => {
  function count(list: string[]): Record<string, number> {
    return list.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
  }

  it('targets 5/3/2 with the 3 unhealthy: exactly 500/200 per 700 picks, every window of 7 exact', () => {
    const store = new Store();
    store.dispatch({ op: 'upstream.create', fields: { name: 'pool', targets: [{ target: '10.0.0.1:80', weight: 5 }, { target: '10.0.0.2:80', weight: 3 }, { target: '10.0.0.3:80', weight: 2 }] } });
    const u = store.table.upstreams[0]!;
    // A whole rotation with all three up, then the 3 goes down.
    expect(count(Array.from({ length: 10 }, () => pickTarget(u)!.address))).toEqual({ '10.0.0.1:80': 5, '10.0.0.2:80': 3, '10.0.0.3:80': 2 });
    u.targets[1]!.health.healthy = false;
    const seq = Array.from({ length: 700 }, () => pickTarget(u)!.address);
    expect(count(seq)).toEqual({ '10.0.0.1:80': 500, '10.0.0.3:80': 200 });
    for (let i = 0; i + 7 <= seq.length; i++) expect(count(seq.slice(i, i + 7)), `window at ${i}`).toEqual({ '10.0.0.1:80': 5, '10.0.0.3:80': 2 });
  });

  it('upstreams 5/3/2 with every target of the 3 down: exactly 500/200 per 700 picks, every window of 7 exact', () => {
    const store = new Store();
    const commands = ['blue', 'green', 'red'].map((name, i) => ({ op: 'upstream.create' as const, fields: { name, targets: [{ target: `10.0.0.${i + 1}:80` }] } }));
    store.dispatch({ op: 'batch', commands });
    store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue', upstreams: [{ name: 'blue', weight: 5 }, { name: 'green', weight: 3 }, { name: 'red', weight: 2 }] } });
    const s = store.table.services[0]!;
    expect(count(Array.from({ length: 10 }, () => pickUpstream(s)!.name))).toEqual({ blue: 5, green: 3, red: 2 });
    s.upstreams[1]!.targets[0]!.health.healthy = false;
    const seq = Array.from({ length: 700 }, () => pickUpstream(s)!.name);
    expect(count(seq)).toEqual({ blue: 500, red: 200 });
    for (let i = 0; i + 7 <= seq.length; i++) expect(count(seq.slice(i, i + 7)), `window at ${i}`).toEqual({ blue: 5, red: 2 });
  });

  it('skips what a retry already tried, at both levels', () => {
    const store = new Store();
    store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '10.0.0.1:80' }, { target: '10.0.0.2:80' }] } });
    store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '10.0.0.3:80' }] } });
    store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue', upstreams: [{ name: 'blue', weight: 1 }, { name: 'green', weight: 1 }] } });
    const s = store.table.services[0]!;
    const [blue, green] = s.upstreams as [UpstreamEntry, UpstreamEntry];
    expect(pickTarget(blue, [blue.targets[0]!])).toBe(blue.targets[1]);
    expect(pickTarget(blue, [...blue.targets])).toBeUndefined();
    expect(pickUpstream(s, [...blue.targets])).toBe(green);
    expect(pickUpstream(s, [...blue.targets, ...green.targets])).toBeUndefined();
  });
});
