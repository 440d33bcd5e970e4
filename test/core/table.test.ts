import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { match, upstreamPath } from '../../src/core/table.js';

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
  it.each([3, 1000])('finds the longest prefix among %i path routes on one host, methods and fallbacks included', (n) => {
    const t = withRoutes(n).table;
    const name = (host: string, path: string, method = 'GET') => match(t, host, path, method)?.name;
    expect(name('api.localhost', '/p1/deeper/x')).toBe('deep');
    expect(name('api.localhost', '/p1/other')).toBe('r1');
    expect(name('API.localhost:8000', '/p2')).toBe('r2');
    expect(name('api.localhost', '/p2', 'POST')).toBe('post-only');
    // A route that names the host wins over one that does not; without a match there, the host-less one.
    expect(name('api.localhost', '/nothing')).toBe('any');
    expect(name('other.localhost', '/p1')).toBe('any');
    expect(name('a.example.com', '/p1')).toBe('wild');
    if (n === 1000) expect(name('api.localhost', '/p999/x')).toBe('r999');
  });

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
