/**
 * Kong 3's traditional_compatible router, case by case: tests translated from Kong's
 * `spec/01-unit/08-router_spec.lua` (each named after the case it comes from, where switchyard
 * has the fields), `spec/fixtures/router_path_handling_tests.lua` (every row), Kong's
 * `normalize` and `migrate_path_280_300.lua`, and the route checks of `routes.lua`.
 */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import {
  checkRegex,
  joinUpstreamPath,
  migrateLegacyPath,
  normalizePath,
  splitRouteId,
} from '../../src/core/router.js';
import { Store } from '../../src/core/store.js';
import { match, upstreamPath, type HeaderSource, type RoutingTable } from '../../src/core/table.js';

type RouteFields = Record<string, unknown>;

/** A table of routes with Kong's spec ids (…8101, …8102, …), all on one service. */
function tableOf(routes: RouteFields[], servicePath?: string): RoutingTable {
  const store = new Store();
  store.dispatch({
    op: 'service.create',
    fields: { name: 's', url: `http://127.0.0.1:1${servicePath ?? ''}` },
  });
  const commands = routes.map((r, i) => ({
    op: 'route.create' as const,
    service: r.serviceless ? undefined : 's',
    fields: { id: idOf(i + 1), name: `r${i + 1}`, ...withoutFlags(r) },
  }));
  store.dispatch({ op: 'batch', commands });
  return store.table;
}

function withoutFlags(r: RouteFields): RouteFields {
  const { serviceless: _s, ...rest } = r;
  return rest;
}

const idOf = (n: number) => `e8fb37f1-102d-461e-9c51-6608a6bb${8100 + n}`;

function headersOf(h: Record<string, string | string[]>): HeaderSource {
  return {
    headersDistinct: Object.fromEntries(
      Object.entries(h).map(([k, v]) => [k.toLowerCase().replace(/_/g, '-'), Array.isArray(v) ? v : [v]]),
    ),
  };
}

/** Kong's `router:select(method, uri, host, scheme, …, headers)` → the matched route's name. */
function select(
  t: RoutingTable,
  method: string,
  uri: string,
  host?: string,
  headers: Record<string, string | string[]> = {},
  port = 0,
): string | undefined {
  return match(t, host, normalizePath(uri), method, port, headersOf(headers))?.name;
}

describe('Kong 08-router_spec select()', () => {
  // The use_case of `describe("select()")`: route N is r<N>.
  const t = tableOf([
    { hosts: ['domain-1.org', 'domain-2.org'] },
    { methods: ['TRACE'] },
    { paths: ['/my-route'] },
    { paths: ['/route-4'], hosts: ['domain-1.org', 'domain-2.org'] },
    { hosts: ['domain-1.org', 'domain-2.org'], methods: ['POST', 'PUT', 'PATCH'] },
    { methods: ['POST', 'PUT', 'PATCH'], paths: ['/route-6'] },
    {
      hosts: ['domain-with-uri-1.org', 'domain-with-uri-2.org'],
      methods: ['POST', 'PUT', 'PATCH'],
      paths: ['/my-route-uri'],
    },
    { serviceless: true, paths: ['/serviceless'] },
    { headers: { location: ['my-location-1', 'my-location-2'] } },
    { headers: { location: ['my-location-1'], version: ['v1', 'v2'] } },
    { headers: { location: ['my-location-1', 'my-location-2'] }, paths: ['/headers-uri'] },
    {
      hosts: ['domain-with-headers-1.org', 'domain-with-headers-2.org'],
      headers: { location: ['my-location-1', 'my-location-2'] },
      methods: ['POST', 'PUT', 'PATCH'],
      paths: ['/headers-host-uri-method'],
    },
    { hosts: ['domain-1.org:321', 'domain-2.org'] },
    { hosts: ['domain-3.org:321'] },
    { headers: { user_agent: ['~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd'] } },
  ]);

  it('[host]', () => expect(select(t, 'GET', '/', 'domain-1.org')).toBe('r1'));
  it('[host] ignores default port', () => expect(select(t, 'GET', '/', 'domain-1.org:80')).toBe('r1'));
  it('[host] matches specific port', () => expect(select(t, 'GET', '/', 'domain-1.org:321')).toBe('r13'));
  it('[host] matches specific port on port-only route', () =>
    expect(select(t, 'GET', '/', 'domain-3.org:321')).toBe('r14'));
  it('[host] fails just because of port on port-only route', () =>
    expect(select(t, 'GET', '/', 'domain-3.org:123')).toBeUndefined());
  it('[host] a port-specific host also matches the port the request arrived on (net.dst.port)', () => {
    expect(select(t, 'GET', '/', 'domain-3.org', {}, 321)).toBe('r14');
    expect(select(t, 'GET', '/', 'domain-3.org', {}, 8000)).toBeUndefined();
  });
  it('[uri]', () => expect(select(t, 'GET', '/my-route', 'domain.org')).toBe('r3'));
  it('[uri + empty host]', () => expect(select(t, 'GET', '/my-route-uri', '')).toBe('r3'));
  it('[method]', () => expect(select(t, 'TRACE', '/', 'domain.org')).toBe('r2'));
  it('[host + uri]', () => expect(select(t, 'GET', '/route-4', 'domain-1.org')).toBe('r4'));
  it('[host + method]', () => expect(select(t, 'POST', '/', 'domain-1.org')).toBe('r5'));
  it('[uri + method]', () => expect(select(t, 'PUT', '/route-6', 'domain.org')).toBe('r6'));
  it('[host + uri + method]', () =>
    expect(select(t, 'PUT', '/my-route-uri', 'domain-with-uri-2.org')).toBe('r7'));
  it('single [headers] value', () => {
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-1' })).toBe('r9');
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-2' })).toBe('r9');
    expect(select(t, 'GET', '/', undefined, { location: ['my-location-3', 'my-location-2'] })).toBe('r9');
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-3' })).toBeUndefined();
  });
  it('multiple [headers] values', () => {
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-1', version: 'v1' })).toBe('r10');
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-1', version: 'v2' })).toBe('r10');
    expect(select(t, 'GET', '/', undefined, { location: 'my-location-2', version: 'v2' })).toBe('r9');
  });
  it('[headers + uri]', () =>
    expect(select(t, 'GET', '/headers-uri', undefined, { location: 'my-location-2' })).toBe('r11'));
  it('[host + headers + uri + method]', () => {
    expect(
      select(t, 'PUT', '/headers-host-uri-method', 'domain-with-headers-1.org', {
        location: 'my-location-2',
      }),
    ).toBe('r12');
  });
  it('[serviceless]', () => {
    const e = match(t, undefined, '/serviceless', 'GET');
    expect(e?.name).toBe('r8');
    expect(e?.service).toBeNull();
  });
  it('[headers] regex value (~*), case-insensitive', () => {
    expect(
      select(t, 'GET', '/', undefined, { user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)' }),
    ).toBe('r15');
    expect(select(t, 'GET', '/', undefined, { user_agent: 'curl/8.0' })).toBeUndefined();
  });
  it('misses: invalid [host], invalid method, uri not in prefix, invalid [headers]', () => {
    expect(select(t, 'GET', '/', 'domain-3.org')).toBeUndefined();
    expect(select(t, 'GET', '/my-route-uri', 'domain-with-uri-2.org')).toBe('r3'); // r7 takes POST, PUT, PATCH only
    expect(select(t, 'GET', '/prefix/my-route', 'domain.org')).toBeUndefined();
    expect(select(t, 'GET', '/', undefined, { location: 'invalid-location' })).toBeUndefined();
  });
});

describe('Kong 08-router_spec [uri prefix] and priority', () => {
  it('does not supersede another route with a longer [uri]', () => {
    const t = tableOf([{ paths: ['/my-route/hello'] }, { paths: ['/my-route'] }]);
    expect(select(t, 'GET', '/my-route/hello', 'domain.org')).toBe('r1');
    expect(select(t, 'GET', '/my-route/hello/world', 'domain.org')).toBe('r1');
    expect(select(t, 'GET', '/my-route', 'domain.org')).toBe('r2');
    expect(select(t, 'GET', '/my-route/world', 'domain.org')).toBe('r2');
  });
  it('does not supersede another route with a longer [uri] while [methods] are also defined', () => {
    const t = tableOf([
      { methods: ['POST', 'PUT', 'GET'], paths: ['/my-route'] },
      { methods: ['POST', 'PUT', 'GET'], paths: ['/my-route/hello'] },
    ]);
    expect(select(t, 'GET', '/my-route/hello', 'domain.org')).toBe('r2');
    expect(select(t, 'GET', '/my-route', 'domain.org')).toBe('r1');
  });
  it('does not superseds another route with a longer [uri] while [hosts] are also defined', () => {
    const t = tableOf([
      { hosts: ['domain.org'], paths: ['/my-route'] },
      { hosts: ['domain.org'], paths: ['/my-route/hello'] },
    ]);
    expect(select(t, 'GET', '/my-route/hello', 'domain.org')).toBe('r2');
    expect(select(t, 'GET', '/my-route', 'domain.org')).toBe('r1');
  });
  it('only matches [uri prefix] as a prefix (anchored mode)', () => {
    const t = tableOf([{ paths: ['/something/my-route'] }, { hosts: ['example.com'], paths: ['/my-route'] }]);
    expect(select(t, 'GET', '/something/my-route', 'example.com')).toBe('r1');
  });
  it('[host] and [uri] have higher priority than [method] (edge-cases)', () => {
    const t = tableOf([{ hosts: ['domain-1.org'] }, { methods: ['GET'] }, { paths: ['/my-route'] }]);
    expect(select(t, 'GET', '/', 'domain-1.org')).toBe('r1');
    expect(select(t, 'GET', '/my-route', 'domain-2.org')).toBe('r3');
  });
  it('half [uri] and [host] match does not supersede another route (edge-cases)', () => {
    const t = tableOf([
      { hosts: ['host1.com'], paths: ['/v1/path'] },
      { hosts: ['host2.com'], paths: ['/'] },
    ]);
    expect(select(t, 'GET', '/v1/path', 'host1.com')).toBe('r1');
    expect(select(t, 'GET', '/v1/path', 'host2.com')).toBe('r2');
  });
  it('[method] does not supersede [uri prefix] (edge-cases)', () => {
    const t = tableOf([{ methods: ['GET'] }, { paths: ['/example'] }]);
    expect(select(t, 'GET', '/example', 'domain.org')).toBe('r2');
    expect(select(t, 'GET', '/', 'domain.org')).toBe('r1');
  });
  it('[method] does not supersede [wildcard host] (edge-cases)', () => {
    const t = tableOf([{ methods: ['GET'] }, { hosts: ['domain.*'] }]);
    expect(select(t, 'GET', '/', 'nothing.com')).toBe('r1');
    expect(select(t, 'GET', '/', 'domain.com')).toBe('r2');
  });
  it('root / [uri]: does not supersede another route, acts as a catch-all route', () => {
    const t = tableOf([{ paths: ['/'] }, { paths: ['/my-route'] }]);
    expect(select(t, 'GET', '/my-route', 'domain.org')).toBe('r2');
    expect(select(t, 'GET', '/foo/bar', 'domain.org')).toBe('r1');
  });
  it('more [headers] has priority over longer [paths]', () => {
    const t = tableOf([
      { headers: { version: ['v1'] }, paths: ['/my-route/hello'] },
      { headers: { version: ['v1'], location: ['us-east'] }, paths: ['/my-route'] },
    ]);
    expect(select(t, 'GET', '/my-route/hello', 'domain.org', { version: 'v1', location: 'us-east' })).toBe(
      'r2',
    );
    expect(
      select(t, 'GET', '/my-route/hello/world', 'domain.org', { version: 'v1', location: 'us-east' }),
    ).toBe('r2');
  });
  it('evaluates Routes with more [headers] first', () => {
    const t = tableOf([
      { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'] } },
      { headers: { version: ['v1', 'v2'], user_agent: ['foo', 'bar'], location: ['east', 'west'] } },
    ]);
    expect(
      select(t, 'GET', '/', undefined, { version: 'v1', user_agent: 'foo', location: ['north', 'west'] }),
    ).toBe('r2');
  });
  it('[headers] names are case-insensitive', () => {
    const t = tableOf([{ headers: { USER_AGENT: ['foo', 'bar'] } }, { headers: { user_agent: ['baz'] } }]);
    expect(select(t, 'GET', '/', undefined, { 'User-Agent': 'foo' })).toBe('r1');
    expect(select(t, 'GET', '/', undefined, { 'user-agent': 'baz' })).toBe('r2');
  });
  it('[headers] matches values in a case-insensitive way', () => {
    const t = tableOf([{ headers: { foo_header: ['Foo', 'BAR'] } }]);
    expect(select(t, 'GET', '/', undefined, { foo_header: 'FOO' })).toBe('r1');
    expect(select(t, 'GET', '/', undefined, { foo_header: 'bar' })).toBe('r1');
    expect(select(t, 'GET', '/', undefined, { foo_header: 'baz' })).toBeUndefined();
  });
  it('a GET / route beats a plain /api/v1 route (match weight before path length)', () => {
    const t = tableOf([{ paths: ['/api/v1'] }, { methods: ['GET'], paths: ['/'] }]);
    expect(select(t, 'GET', '/api/v1/users', 'x')).toBe('r2');
    expect(select(t, 'POST', '/api/v1/users', 'x')).toBe('r1');
  });
  it('ties go to the higher route id (the ATC router keys matchers by priority, then id)', () => {
    const t = tableOf([{ paths: ['/same'] }, { paths: ['/same'] }]);
    expect(select(t, 'GET', '/same', 'x')).toBe('r2');
  });
  it('a route with paths of several lengths is split: each group has its own priority', () => {
    // r1's /a and /a/b/c are two matchers; r2's /a/b sits between them.
    const t = tableOf([{ paths: ['/a', '/a/b/c'] }, { paths: ['/a/b'] }]);
    expect(select(t, 'GET', '/a/b/c/d', 'x')).toBe('r1');
    expect(select(t, 'GET', '/a/b/x', 'x')).toBe('r2');
    expect(select(t, 'GET', '/a/x', 'x')).toBe('r1');
    // Kong's ids for the groups: UUID v5 of `id#index` in Kong's namespace (stable across rebuilds).
    expect(splitRouteId(idOf(1), 1)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(splitRouteId(idOf(1), 1)).not.toBe(splitRouteId(idOf(1), 2));
  });
  it('indexes a thousand prefixes on one host and still picks by priority', () => {
    const routes: RouteFields[] = [];
    for (let i = 0; i < 1000; i++) routes.push({ hosts: ['api.test'], paths: [`/p${i}`] });
    routes.push({ hosts: ['api.test'], methods: ['GET'], paths: ['/'] });
    const t = tableOf(routes);
    expect(select(t, 'GET', '/p999/x', 'api.test')).toBe('r1001');
    expect(select(t, 'POST', '/p999/x', 'api.test')).toBe('r1000');
  });
});

describe('Kong 08-router_spec [uri regex]', () => {
  it('matches with [uri regex]', () => {
    const t = tableOf([{ paths: ['~/users/\\d+/profile'] }]);
    expect(select(t, 'GET', '/users/123/profile', 'domain.org')).toBe('r1');
    expect(select(t, 'GET', '/users/abc/profile', 'domain.org')).toBeUndefined();
  });
  it('matches the right route when several ones have a [uri regex]', () => {
    const t = tableOf([
      { paths: ['~/route/persons/\\d{3}'] },
      { paths: ['~/route/persons/\\d{3}/following'] },
      { paths: ['~/route/persons/\\d{3}/[a-z]+'] },
    ]);
    expect(select(t, 'GET', '/route/persons/456', 'domain.org')).toBe('r1');
    expect(select(t, 'GET', '/route/persons/456/following', 'domain.org')).toBe('r3'); // equal priority: the higher id
  });
  it('matches a [uri regex] even if a [prefix uri] got a match', () => {
    const t = tableOf([{ paths: ['/route/persons'] }, { paths: ['~/route/persons/\\d+/profile'] }]);
    expect(select(t, 'GET', '/route/persons/123/profile', 'domain.org')).toBe('r2');
  });
  it('matches a [uri regex] even if a [uri] got an exact match', () => {
    const t = tableOf([{ paths: ['/route/fixture'] }, { paths: ['~/route/(fixture)'] }]);
    expect(select(t, 'GET', '/route/fixture', 'domain.org')).toBe('r2');
  });
  it('matches from the beginning of the request URI [uri regex]', () => {
    const t = tableOf([{ paths: ['~/prefix/[0-9]+'] }]);
    expect(select(t, 'GET', '/extra/prefix/123', 'domain.org')).toBeUndefined();
  });
  it('regex_priority orders regex routes', () => {
    const t = tableOf([
      { paths: ['~/api/.*'], regex_priority: 0 },
      { paths: ['~/api/v\\d+'], regex_priority: 5 },
    ]);
    expect(select(t, 'GET', '/api/v2/x', 'x')).toBe('r2');
    expect(select(t, 'GET', '/api/other', 'x')).toBe('r1');
  });
  it('named captures are JavaScript named groups; strip_path strips what the regex matched', () => {
    const t = tableOf([{ paths: ['~/users/(?<id>\\d+)'] }], '/svc');
    const e = match(t, 'x', '/users/42/orders', 'GET')!;
    expect(e.regexes[0]!.exec('/users/42/orders')?.groups).toEqual({ id: '42' });
    expect(upstreamPath(e, '/users/42/orders?x=1')).toBe('/svc/orders?x=1');
  });
});

describe('Kong 08-router_spec [wildcard host]', () => {
  const t = tableOf([
    { hosts: ['*.route.com'] },
    { hosts: ['route.*'] },
    { hosts: ['plain.route.com'], paths: ['/path'] },
    { hosts: ['*.route.com'], paths: ['/path'] },
  ]);
  it('matches leftmost wildcards', () => expect(select(t, 'GET', '/', 'foo.route.com')).toBe('r1'));
  it('matches rightmost wildcards', () => expect(select(t, 'GET', '/', 'route.org')).toBe('r2'));
  it('matches any port in request', () => expect(select(t, 'GET', '/', 'route.org:123')).toBe('r2'));
  it('matches [plain host + path] even if a matching [wildcard host] exists', () =>
    expect(select(t, 'GET', '/path', 'plain.route.com')).toBe('r3'));
  it('matches [wildcard host + path] even if a similar [plain host] exists', () =>
    expect(select(t, 'GET', '/path', 'foo.route.com')).toBe('r4'));
  it('does not take precedence over a plain host', () => {
    const u = tableOf([{ hosts: ['*.example.com'] }, { hosts: ['plain.example.com'] }]);
    expect(select(u, 'GET', '/', 'plain.example.com')).toBe('r2');
    expect(select(u, 'GET', '/', 'other.example.com')).toBe('r1');
  });
  it('matches port-specific routes', () => {
    const u = tableOf([
      { hosts: ['*.route.com'] },
      { hosts: ['route.*'] },
      { hosts: ['*.route.net:123'] },
      { hosts: ['route.*:123'] },
    ]);
    expect(select(u, 'GET', '/', 'foo.route.net:123')).toBe('r3');
    expect(select(u, 'GET', '/', 'foo.route.net:456')).toBeUndefined();
    expect(select(u, 'GET', '/', 'route.org:123')).toBe('r4');
  });
  it('prefers port-specific even for http default port', () => {
    const u = tableOf([{ hosts: ['*.route.com'] }, { hosts: ['route.*'] }, { hosts: ['route.*:80'] }]);
    expect(select(u, 'GET', '/', 'route.org:123')).toBe('r2');
    expect(select(u, 'GET', '/', 'route.org:80')).toBe('r3');
  });
});

describe('Kong 08-router_spec normalization stopgap measurements', () => {
  it('matches against plain text paths', () => {
    const t = tableOf([{ paths: ['/plain/a.b.c'] }, { paths: ['/admin'] }, { paths: ['/public'] }]);
    expect(select(t, 'GET', '/plain/a.b%2Ec', 'x')).toBe('r1');
    expect(select(t, 'GET', '/plain/a.b.c', 'x')).toBe('r1');
    expect(select(t, 'GET', '/%70ublic/x', 'x')).toBe('r3');
    expect(select(t, 'GET', '/public/../admin/secret', 'x')).toBe('r2');
    expect(select(t, 'GET', '/public/%2e%2e/admin/secret', 'x')).toBe('r2');
    expect(select(t, 'GET', '//public//x', 'x')).toBe('r3');
  });
  it('matches against regex paths', () => {
    const t = tableOf([{ paths: ['~/reg.*/a.b.c'] }]);
    expect(select(t, 'GET', '/regex/a.b%2Ec', 'x')).toBe('r1');
  });
});

describe("Kong's normalize (kong/tools/uri.lua)", () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/public/../admin/secret', '/admin/secret'],
    ['/a/./b/../c', '/a/c'],
    ['/../../a', '/a'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['//a///b', '/a/b'],
    ['/%70ublic/x', '/public/x'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%3fb', '/a%3Fb'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b', '/a b'],
    ['/route%2E%2E/req', '/route../req'],
    ['/%2e%2e/x', '/x'],
  ])('%s → %s', (input, out) => expect(normalizePath(input)).toBe(out));
  it('returns the very same string when there is nothing to do (the common case allocates nothing)', () => {
    const p = '/api/v1/users';
    expect(normalizePath(p)).toBe(p);
  });
});

describe('router_path_handling_tests.lua: every row, expanded (strip_path × path_handling)', () => {
  // service_path, route_path (null: matched by host), strip_path, path_handling, request_path, expected_path
  type Row = [string, string | null, boolean | boolean[], string | string[], string, string];
  const rows: Row[] = [
    ['/', '/', [false, true], ['v0', 'v1'], '/', '/'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route', '/route'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/', [false, true], ['v0', 'v1'], '/routereq', '/routereq'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route/req', '/route/req'],
    ['/', '/route', false, ['v0', 'v1'], '/route', '/route'],
    ['/', '/route', false, ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/route', false, ['v0', 'v1'], '/routereq', '/routereq'],
    ['/', '/route', true, ['v0', 'v1'], '/route', '/'],
    ['/', '/route', true, ['v0', 'v1'], '/route/', '/'],
    ['/', '/route', true, ['v0', 'v1'], '/routereq', '/req'],
    ['/', '/route/', false, ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/route/', false, ['v0', 'v1'], '/route/req', '/route/req'],
    ['/', '/route/', true, ['v0', 'v1'], '/route/', '/'],
    ['/', '/route/', true, ['v0', 'v1'], '/route/req', '/req'],
    ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
    ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
    ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
    ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
    ['/srv/', '/rou', false, ['v0', 'v1'], '/rou', '/srv/rou'],
    ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
    ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
    ['/service', '/', [false, true], ['v0', 'v1'], '/', '/service'],
    ['/service', '/', [false, true], 'v0', '/route', '/service/route'],
    ['/service', '/', [false, true], 'v1', '/route', '/serviceroute'],
    ['/service', '/', [false, true], 'v0', '/route/', '/service/route/'],
    ['/service', '/', [false, true], 'v1', '/route/', '/serviceroute/'],
    ['/service', '/', [false, true], 'v0', '/routereq', '/service/routereq'],
    ['/service', '/', [false, true], 'v1', '/routereq', '/serviceroutereq'],
    ['/service', '/', [false, true], 'v0', '/route/req', '/service/route/req'],
    ['/service', '/', [false, true], 'v1', '/route/req', '/serviceroute/req'],
    ['/service', '/route', false, 'v0', '/route', '/service/route'],
    ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
    ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
    ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
    ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
    ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
    ['/service', '/route', true, ['v0', 'v1'], '/route', '/service'],
    ['/service', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
    ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
    ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
    ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
    ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
    ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
    ['/service', '/route/', true, 'v0', '/route/', '/service/'],
    ['/service', '/route/', true, 'v1', '/route/', '/service'],
    ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
    ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
    ['/service/', '/', [false, true], 'v0', '/route/', '/service/route/'],
    ['/service/', '/', [false, true], 'v1', '/route/', '/service/route/'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/', '/service/'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/routereq', '/service/routereq'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/route/req', '/service/route/req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service/', '/route', false, ['v0', 'v1'], '/routereq', '/service/routereq'],
    ['/service/', '/route', true, 'v0', '/route', '/service'],
    ['/service/', '/route', true, 'v1', '/route', '/service/'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service/', '/route', true, ['v0', 'v1'], '/routereq', '/service/req'],
    ['/service/', '/route/', false, ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service/', '/route/', false, ['v0', 'v1'], '/route/req', '/service/route/req'],
    ['/service/', '/route/', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service/', '/route/', true, ['v0', 'v1'], '/route/req', '/service/req'],
    ['/', null, [false, true], ['v0', 'v1'], '/', '/'],
    ['/', null, [false, true], ['v0', 'v1'], '/route', '/route'],
    ['/', null, [false, true], ['v0', 'v1'], '/route/', '/route/'],
    ['/service', null, [false, true], ['v0', 'v1'], '/', '/service'],
    ['/service', null, [false, true], 'v0', '/route', '/service/route'],
    ['/service', null, [false, true], 'v1', '/route', '/serviceroute'],
    ['/service', null, [false, true], 'v0', '/route/', '/service/route/'],
    ['/service', null, [false, true], 'v1', '/route/', '/serviceroute/'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/', '/service/'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service', '/route', true, 'v0', '/route./req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route./req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route./req', '/service/req'],
    ['/service', '/route', true, 'v0', '/route%2E/req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route%2E/req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route%2E/req', '/service/req'],
    ['/service', '/route', true, 'v0', '/route%2e/req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route%2e/req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route%2e/req', '/service/req'],
    ['/service', '/route', true, 'v0', '/route../req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route../req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route../req', '/service/req'],
    ['/service', '/route', true, 'v0', '/route%2E%2E/req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route%2E%2E/req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route%2E%2E/req', '/service/req'],
    ['/service', '/route', true, 'v0', '/route%2e%2E/req', '/service/req'],
    ['/service', '/route', true, 'v1', '/route%2e%2E/req', '/servicereq'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route%2e%2E/req', '/service/req'],
    ['/service', '/route', false, 'v0', '/route./req', '/service/route./req'],
    ['/service', '/route', false, 'v1', '/route./req', '/serviceroute./req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route./req', '/service/route./req'],
    ['/service', '/route', false, 'v0', '/route%2E/req', '/service/route./req'],
    ['/service', '/route', false, 'v1', '/route%2E/req', '/serviceroute./req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route%2E/req', '/service/route./req'],
    ['/service', '/route', false, 'v0', '/route%2e/req', '/service/route./req'],
    ['/service', '/route', false, 'v1', '/route%2e/req', '/serviceroute./req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route%2e/req', '/service/route./req'],
    ['/service', '/route', false, 'v0', '/route../req', '/service/route../req'],
    ['/service', '/route', false, 'v1', '/route../req', '/serviceroute../req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route../req', '/service/route../req'],
    ['/service', '/route', false, 'v0', '/route%2E%2E/req', '/service/route../req'],
    ['/service', '/route', false, 'v1', '/route%2E%2E/req', '/serviceroute../req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route%2E%2E/req', '/service/route../req'],
    ['/service', '/route', false, 'v0', '/route%2e%2E/req', '/service/route../req'],
    ['/service', '/route', false, 'v1', '/route%2e%2E/req', '/serviceroute../req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route%2e%2E/req', '/service/route../req'],
  ];
  const expanded: [number, string, string | null, boolean, string, string, string][] = [];
  rows.forEach(([svc, route, strip, handling, req, want], i) => {
    for (const s of Array.isArray(strip) ? strip : [strip])
      for (const h of Array.isArray(handling) ? handling : [handling])
        expanded.push([i + 1, svc, route, s, h, req, want]);
  });

  it('has all 113 rows', () => expect(rows).toHaveLength(113));

  it.each(expanded)(
    'row %i: service %s, route %s, strip_path %s, %s: %s → %s',
    (_i, svc, route, strip, handling, req, want) => {
      const t = tableOf(
        [
          route === null
            ? { hosts: ['localbin.test'], strip_path: strip, path_handling: handling }
            : { paths: [route], strip_path: strip, path_handling: handling },
        ],
        svc,
      );
      const e = match(t, 'localbin.test', normalizePath(req), 'GET')!;
      expect(e).toBeDefined();
      expect(upstreamPath(e, req)).toBe(want);
    },
  );

  it('POST /add_user/ on a route /add_user with service path /users → /users/add_user/ (strip_path off)', () => {
    expect(joinUpstreamPath('v0', false, '/users', '/add_user/', 9)).toBe('/users/add_user/');
  });
});

describe('upstream URL: normalised and escaped as Kong sends it, the query as received', () => {
  it('sends the normalised path, re-escaped, and the raw query', () => {
    const t = tableOf([{ paths: ['/admin'] }]);
    const e = match(t, 'x', normalizePath('/public/../admin/secret'), 'GET')!;
    expect(upstreamPath(e, '/public/../admin/secret?a=%2F&b')).toBe('/secret?a=%2F&b');
    expect(upstreamPath(e, '/admin/a%20b')).toBe('/a%20b');
    expect(upstreamPath(e, '/admin/x?')).toBe('/x?');
  });
});

describe("migrate_path_280_300.lua (a pre-3.0 file's paths)", () => {
  it.each([
    ['/foo', '/foo'],
    ['/foo/bar', '/foo/bar'],
    ['/foo/../bar', '/bar'],
    ['/%c3%a4', '/%C3%A4'],
    ['/foo/\\d+', '~/foo/\\d+'],
    ['/foo/(?<name>\\w+)', '~/foo/(?<name>\\w+)'],
    ['/foo/%5Cd+', '~/foo/\\\\d+'],
    ['/foo/%2E+', '~/foo/\\.+'],
    ['/foo/%2F', '/foo/%2F'],
    ['/foo/[a-z]+%7C', '~/foo/[a-z]+\\|'],
    ['/foo/%40', '/foo/%40'],
    ['/foo/%40+', '~/foo/%40+'],
    ['/x*', '~/x*'],
  ])('%s → %s', (input, out) => expect(migrateLegacyPath(input)).toBe(out));
});

describe("route checks (routes.lua, typedefs.lua), with JavaScript's regex limits", () => {
  function refused(fields: RouteFields): Record<string, string> {
    const store = new Store();
    try {
      store.dispatch({ op: 'route.create', fields: { hosts: ['x.test'], ...fields } });
    } catch (e) {
      return (e as SwitchyardError).fields ?? {};
    }
    throw new Error('accepted');
  }
  it('refuses what Kong refuses, with its words', () => {
    expect(refused({ paths: ['foo'] })).toEqual({
      'paths[0]': 'should start with: / (fixed path) or ~/ (regex path)',
    });
    expect(refused({ paths: ['/foo//bar'] })).toEqual({ 'paths[0]': 'must not have empty segments' });
    expect(refused({ paths: ['/foo%zz'] })).toEqual({ 'paths[0]': "invalid url-encoded value: '%zz'" });
    expect(refused({ paths: ['/foo/../bar'] })).toEqual({
      'paths[0]': "non-normalized path, consider use '/bar' instead",
    });
    expect(refused({ paths: ['/%70ublic'] })).toEqual({
      'paths[0]': "non-normalized path, consider use '/public' instead",
    });
    expect(refused({ paths: ['~/(unclosed'] })['paths[0]']).toMatch(/^invalid regex: '\/\(unclosed'/);
    expect(refused({ headers: { host: ['x'] } })).toEqual({
      'headers.host': "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    });
    expect(refused({ headers: { 'x y': ['x'] } })).toEqual({
      'headers.x y': "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    });
    expect(refused({ https_redirect_status_code: 303 })).toEqual({
      https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308',
    });
    expect(refused({ protocols: [] })).toEqual({ protocols: 'length must be at least 1' });
    expect(refused({ path_handling: 'v2' })).toEqual({ path_handling: 'expected one of: v0, v1' });
    expect(refused({ hosts: null, protocols: ['https'] })).toEqual({
      '@entity': "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
    });
  });
  it.each([
    ['/a++', 'possessive quantifier'],
    ['/a*+', 'possessive quantifier'],
    ['/a{2}+', 'possessive quantifier'],
    ['/a\\A', '\\A'],
    ['/a\\z', '\\z'],
    ['/a\\Z', '\\Z'],
    ['/(?>a)', 'atomic group'],
    ['/(?i)a', 'inline flag'],
    ['/(?i:a)', 'inline flag'],
    ['/(?P<n>a)', '(?<name>…)'],
    ['/[[:alpha:]]', 'POSIX class'],
    ['/\\p{L}', 'Unicode property'],
    ['/(?=a)', 'look-around'],
    ['/(a)\\1', 'back-reference'],
    ['/\\Qa.b\\E', 'quoted literal'],
    ['/(?#c)a', 'comment'],
    ['/(?R)', 'recursion'],
  ])('refuses %s, naming %s', (re, what) => {
    expect(checkRegex(re)).toContain(what);
    expect(refused({ paths: ['~' + re] })['paths[0]']).toContain(what);
  });
  it.each([
    ['/a+?'],
    ['/a*?b'],
    ['/(?<id>\\d+)/x'],
    ['/a{2,3}'],
    ['/[\\-_.]+'],
    ['/\\.json$'],
    ['/(?:a|b)'],
    ['/a\\-b'],
  ])('accepts %s', (re) => expect(checkRegex(re)).toBeUndefined());
});

describe('a pre-3.0 declarative file is migrated on load', () => {
  it("gives its regex paths their '~' (and keeps a 3.0 file's paths as written)", async () => {
    const { loadDeclarative } = await import('../../src/config/yaml.js');
    const ctx = {
      now: 1,
      newId: (() => {
        let n = 0;
        return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
      })(),
    };
    const doc = (v: string) =>
      `_format_version: "${v}"\nservices:\n  - name: s\n    url: http://127.0.0.1:1\n    routes:\n      - name: r\n        paths: ['/users/\\d+', '/plain']\n`;
    expect(loadDeclarative(doc('2.1'), ctx).routes[0]!.paths).toEqual(['~/users/\\d+', '/plain']);
    expect(loadDeclarative(doc('3.0'), ctx).routes[0]!.paths).toEqual(['/users/\\d+', '/plain']);
  });
});
