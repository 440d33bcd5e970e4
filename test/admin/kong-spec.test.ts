/**
 * Kong's own Admin API specs, translated case by case for the fields switchyard has
 * (spec/02-integration/04-admin_api/07-upstreams, 08-targets, 09-routes_routes, 10-services_routes),
 * plus the nested endpoints kong/api/endpoints.lua generates from the route's `service` foreign key
 * (/services/{s}/routes/{r}, /routes/{r}/service), run against a real engine.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, form, json, start, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await start();
});
afterEach(async () => {
  await h?.close();
});

const T = { timeout: 5000 };
const notFound = { message: 'Not found' };
const notAllowed = { message: 'Method not allowed' };

async function ok<B = Record<string, unknown>>(path: string, init?: RequestInit, status = 201): Promise<B> {
  const r = await call(h.adminUrl, path, init);
  expect(r.status, `${init?.method ?? 'GET'} ${path}: ${r.text}`).toBe(status);
  return r.body as B;
}
const service = (fields: Record<string, unknown> = {}) =>
  ok<{ id: string; name: string | null }>('/services', json({ host: 'example.com', ...fields }));
const route = (fields: Record<string, unknown> = {}) =>
  ok<{ id: string; name: string | null; service: { id: string } | null }>(
    '/routes',
    json({ paths: ['/my-route'], ...fields }),
  );

describe('09-routes_routes_spec: OPTIONS /routes, /routes/{route}', () => {
  it('returns allow and CORS headers with OPTIONS method', T, async () => {
    for (const [path, allow] of [
      ['/routes', 'GET, HEAD, OPTIONS, POST'],
      ['/routes/test', 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT'],
    ] as const) {
      const res = await fetch(h.adminUrl + path, { method: 'OPTIONS', signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('access-control-allow-methods')).toBe(allow);
      expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('answers HEAD wherever it answers GET (attach_routes adds HEAD)', T, async () => {
    await route();
    const res = await fetch(h.adminUrl + '/routes', { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('09-routes_routes_spec: POST /routes', () => {
  it('creates a route with application/json and form-urlencoded', T, async () => {
    const s = await service();
    const j = await ok<Record<string, unknown>>(
      '/routes',
      json({ protocols: ['http'], hosts: ['my.route.test'], service: { id: s.id } }),
    );
    expect(j).toMatchObject({
      hosts: ['my.route.test'],
      name: null,
      paths: null,
      preserve_host: false,
      strip_path: true,
    });
    expect(typeof j.created_at).toBe('number');
    const f = await ok<Record<string, unknown>>(
      '/routes',
      form([
        ['protocols', 'http'],
        ['hosts', 'my.route.test'],
        ['service.id', s.id],
      ]),
    );
    expect(f).toMatchObject({ hosts: ['my.route.test'], protocols: ['http'], service: { id: s.id } });
  });

  it('creates a route without service', T, async () => {
    expect(await ok('/routes', json({ protocols: ['http'], hosts: ['my.route.test'] }))).toMatchObject({
      service: null,
    });
  });

  it('creates a complex route (form arrays with [n] keys)', T, async () => {
    const s = await service();
    const pairs: [string, string][] = [
      ['protocols[1]', 'http'],
      ['methods[1]', 'GET'],
      ['methods[2]', 'POST'],
      ['methods[3]', 'PATCH'],
      ['hosts[1]', 'foo.api.test'],
      ['hosts[2]', 'bar.api.test'],
      ['paths[1]', '/foo'],
      ['paths[2]', '/bar'],
      ['service.id', s.id],
    ];
    expect(await ok('/routes', form(pairs))).toMatchObject({
      hosts: ['foo.api.test', 'bar.api.test'],
      paths: ['/foo', '/bar'],
      methods: ['GET', 'POST', 'PATCH'],
      service: { id: s.id },
    });
  });

  it('creates a complex route by referencing a service by name', T, async () => {
    const s = await service({ name: 'named' });
    expect(
      await ok('/routes', json({ methods: ['GET'], hosts: ['foo.api.test'], service: { name: 'named' } })),
    ).toMatchObject({ service: { id: s.id } });
  });

  it('errors: handles malformed JSON body', T, async () => {
    const r = await call(h.adminUrl, '/routes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello": "world"',
    });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"message":"Cannot parse JSON body"}');
  });

  it('errors: handles invalid input (missing params: @entity is a list)', T, async () => {
    const r = await call(h.adminUrl, '/routes', json({}));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, name: 'schema violation' });
    expect(Array.isArray(r.body.fields['@entity'])).toBe(true);
    expect(r.body.fields['@entity'][0]).toBe("must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'");
    expect(r.body.message).toBe(`schema violation (${r.body.fields['@entity'][0]})`);
  });

  it(
    'errors: handles invalid input (invalid foreign entity reference by name: foreign keys unresolved)',
    T,
    async () => {
      const r = await call(
        h.adminUrl,
        '/routes',
        json({ methods: ['GET'], service: { name: 'non-existing' } }),
      );
      expect(r.status).toBe(400);
      const why = `the foreign key cannot be resolved with '{name="non-existing"}' for an existing 'services' entity`;
      expect(r.body).toEqual({
        code: 13,
        name: 'foreign keys unresolved',
        message: `foreign key unresolved (service.name: ${why})`,
        fields: { service: { name: why } },
      });
    },
  );

  it('errors: a service id that does not exist is a foreign key violation naming the key', T, async () => {
    const id = randomUUID();
    const r = await call(h.adminUrl, '/routes', json({ methods: ['GET'], service: { id } }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id } },
    });
  });

  it('errors: handles invalid input (protocols.1: expected one of)', T, async () => {
    const r = await call(h.adminUrl, '/routes', json({ methods: ['GET'], protocols: ['foo', 'http'] }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 2,
      name: 'schema violation',
      fields: { protocols: ['expected one of: http, https'] },
    });
  });
});

describe('09-routes_routes_spec: GET /routes', () => {
  it('retrieves the first page, and paginates a set', T, async () => {
    for (let i = 1; i <= 10; i++) await route({ paths: [`/route-${i}`] });
    expect((await ok<{ data: unknown[] }>('/routes', undefined, 200)).data).toHaveLength(10);
    let offset: string | undefined;
    const sizes: number[] = [];
    const seen = new Set<string>();
    for (let i = 1; i <= 4; i++) {
      const q = new URLSearchParams({ size: '3', ...(offset ? { offset } : {}) });
      const p = await ok<{ data: { id: string }[]; offset?: string }>(
        `/routes?${q.toString()}`,
        undefined,
        200,
      );
      sizes.push(p.data.length);
      for (const r of p.data) seen.add(r.id);
      offset = p.offset;
    }
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(seen.size).toBe(10);
  });

  it('with no data: data property is an empty array and not an empty hash', T, async () => {
    const r = await call(h.adminUrl, '/routes');
    expect(r.text).toContain('"data":[]');
    expect(r.body).toEqual({ data: [], next: null });
  });

  it('errors: handles invalid filters', T, async () => {
    expect(await call(h.adminUrl, '/routes?foo=bar')).toMatchObject({
      status: 200,
      body: { data: [], next: null },
    });
  });

  it('errors: handles invalid size', T, async () => {
    expect(await call(h.adminUrl, '/routes?size=x')).toMatchObject({
      status: 400,
      body: { code: 9, name: 'invalid size', message: 'size must be a number' },
    });
  });

  it('errors: handles invalid offsets', T, async () => {
    expect(await call(h.adminUrl, '/routes?offset=x')).toMatchObject({
      status: 400,
      body: { code: 7, name: 'invalid offset', message: "'x' is not a valid offset: bad base64 encoding" },
    });
    expect(await call(h.adminUrl, '/routes?offset=%7Cpotato%7C')).toMatchObject({
      status: 400,
      body: { code: 7, name: 'invalid offset' },
    });
  });

  it('errors: ignores an invalid body', T, async () => {
    const r = await call(h.adminUrl, '/routes', {
      method: 'GET',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
  });

  it('returns HTTP 405 on invalid method', T, async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH'])
      expect(await call(h.adminUrl, '/routes', json({}, method))).toMatchObject({
        status: 405,
        body: notAllowed,
      });
  });
});

describe('09-routes_routes_spec: /routes/{route}', () => {
  it('GET retrieves by id, by name, and by percent-escaped name', T, async () => {
    const r = await route({ name: 'my-route' });
    expect(await ok(`/routes/${r.id}`, undefined, 200)).toEqual(r);
    expect(await ok('/routes/my-route', undefined, 200)).toEqual(r);
    expect(await ok('/routes/my%2Droute', undefined, 200)).toEqual(r);
  });

  it('GET returns 404 if not found (by id, by name)', T, async () => {
    expect(await call(h.adminUrl, `/routes/${randomUUID()}`)).toMatchObject({ status: 404, body: notFound });
    expect(await call(h.adminUrl, '/routes/not-found')).toMatchObject({ status: 404, body: notFound });
  });

  it('PUT creates if not found (by id and by name), with or without service', T, async () => {
    const s = await service();
    const id = randomUUID();
    expect(
      await ok(`/routes/${id}`, json({ paths: ['/updated-paths'], service: { id: s.id } }, 'PUT'), 200),
    ).toMatchObject({ id, paths: ['/updated-paths'], hosts: null, methods: null, service: { id: s.id } });
    const id2 = randomUUID();
    expect(await ok(`/routes/${id2}`, form({ paths: '/updated-paths' }, 'PUT'), 200)).toMatchObject({
      id: id2,
      service: null,
    });
    expect(await ok('/routes/my-route', json({ paths: ['/updated-paths'] }, 'PUT'), 200)).toMatchObject({
      name: 'my-route',
    });
  });

  it('PUT updates if found (by id, by name): omitted fields go back to their defaults', T, async () => {
    const r = await route({ name: 'my-put-route', hosts: ['a.test'], methods: ['GET'], strip_path: false });
    const put = await ok<Record<string, unknown>>(
      '/routes/my-put-route',
      json({ paths: ['/updated-paths'], service: null }, 'PUT'),
      200,
    );
    expect(put).toMatchObject({
      id: r.id,
      name: 'my-put-route',
      paths: ['/updated-paths'],
      hosts: null,
      methods: null,
      strip_path: true,
    });
  });

  it('PUT: the name in the URL wins over a name in the body', T, async () => {
    expect(
      await ok('/routes/from-url', json({ name: 'from-body', paths: ['/x'] }, 'PUT'), 200),
    ).toMatchObject({ name: 'from-url' });
  });

  it('PUT handles same parameter in url and params gracefully (400)', T, async () => {
    const r = await call(
      h.adminUrl,
      '/routes/my-put-route',
      form(
        [
          ['routes.test[1].test', 'test'],
          ['tags', 'test'],
        ],
        'PUT',
      ),
    );
    expect(r.status).toBe(400);
  });

  it('PUT errors: handles invalid input (missing params on create)', T, async () => {
    const r = await call(h.adminUrl, `/routes/${randomUUID()}`, json({}, 'PUT'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, name: 'schema violation' });
    expect(h.store.state.routes).toEqual([]);
  });

  it('PATCH updates if found: null clears, arrays replace', T, async () => {
    const r = await route({ name: 'my-patch-route', hosts: ['a.test'], methods: ['GET'] });
    expect(
      await ok(
        `/routes/${r.id}`,
        json({ methods: null, hosts: null, paths: ['/updated-paths'] }, 'PATCH'),
        200,
      ),
    ).toMatchObject({ paths: ['/updated-paths'], hosts: null, methods: null });
    // A form clears a field with an empty value.
    expect(
      await ok(
        '/routes/my-patch-route',
        form(
          [
            ['hosts', 'my-updated.tld'],
            ['paths', ''],
          ],
          'PATCH',
        ),
        200,
      ),
    ).toMatchObject({ paths: null, hosts: ['my-updated.tld'] });
  });

  it('PATCH updates strip_path, and allows updating sets and arrays with an empty array', T, async () => {
    const r = await route({ strip_path: false });
    expect(await ok(`/routes/${r.id}`, form({ strip_path: 'true' }, 'PATCH'), 200)).toMatchObject({
      strip_path: true,
    });
    const e = await call(
      h.adminUrl,
      `/routes/${r.id}`,
      json({ methods: [], paths: [], hosts: ['my-updated.tld'] }, 'PATCH'),
    );
    expect(e.status).toBe(200);
    expect(e.text).toContain('"methods":[]');
    expect(e.text).toContain('"paths":[]');
  });

  it('PATCH removes service association', T, async () => {
    const s = await service();
    const r = await route({ name: 'my-patch-route', service: { id: s.id } });
    expect(await ok(`/routes/${r.name}`, json({ service: null }, 'PATCH'), 200)).toMatchObject({
      service: null,
    });
  });

  it('PATCH errors: returns 404 if not found', T, async () => {
    expect(await call(h.adminUrl, `/routes/${randomUUID()}`, json({ paths: ['/x'] }, 'PATCH'))).toMatchObject(
      { status: 404, body: notFound },
    );
  });

  it('PATCH errors: handles invalid input, leaving the route as it was', T, async () => {
    const r = await route();
    const before = JSON.stringify(h.store.state);
    const bad = await call(h.adminUrl, `/routes/${r.id}`, form({ strip_path: 'maybe' }, 'PATCH'));
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      code: 2,
      name: 'schema violation',
      message: 'schema violation (strip_path: expected a boolean)',
      fields: { strip_path: 'expected a boolean' },
    });
    expect(JSON.stringify(h.store.state)).toBe(before);
  });

  it('DELETE deletes a route (by id, by name) and returns HTTP 204 even if not found', T, async () => {
    const a = await route();
    await route({ name: 'my-delete-route', paths: ['/b'] });
    expect(await call(h.adminUrl, `/routes/${a.id}`, { method: 'DELETE' })).toMatchObject({
      status: 204,
      text: '',
    });
    expect(await call(h.adminUrl, '/routes/my-delete-route', { method: 'DELETE' })).toMatchObject({
      status: 204,
      text: '',
    });
    expect(h.store.state.routes).toEqual([]);
    expect((await call(h.adminUrl, `/routes/${randomUUID()}`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('09-routes_routes_spec: /routes/{route}/service', () => {
  it('GET retrieves by id and by name; 404 if the route is not found', T, async () => {
    const s = await service({ path: '/' });
    const r = await route({ name: 'my-get-route', service: { id: s.id } });
    expect(await ok(`/routes/${r.id}/service`, undefined, 200)).toEqual(s);
    expect(await ok('/routes/my-get-route/service', undefined, 200)).toEqual(s);
    expect((await call(h.adminUrl, `/routes/${randomUUID()}/service`)).status).toBe(404);
    expect((await call(h.adminUrl, '/routes/my-in-existent-route/service')).status).toBe(404);
  });

  it('PATCH updates if found (by id, by name), and with url', T, async () => {
    const s = await service({ name: 'svc', path: '/' });
    const r = await route({ name: 'my-service-patch-route', service: { id: s.id } });
    expect(
      await ok(
        `/routes/${r.id}/service`,
        json({ name: 'name-svc', host: 'edited-example.com', path: null }, 'PATCH'),
        200,
      ),
    ).toMatchObject({ id: s.id, name: 'name-svc', host: 'edited-example.com', path: null });
    expect(
      await ok(
        '/routes/my-service-patch-route/service',
        form({ url: 'http://edited2.test:1234/foo' }, 'PATCH'),
        200,
      ),
    ).toMatchObject({ id: s.id, host: 'edited2.test', port: 1234, path: '/foo' });
    expect(h.store.state.services[0]).toMatchObject({ host: 'edited2.test', port: 1234 });
  });

  it('PATCH errors: 404 if not found; invalid input is a schema violation', T, async () => {
    expect(
      (await call(h.adminUrl, `/routes/${randomUUID()}/service`, json({ host: 'edited.test' }, 'PATCH')))
        .status,
    ).toBe(404);
    const s = await service();
    const r = await route({ service: { id: s.id } });
    expect(
      await call(h.adminUrl, `/routes/${r.id}/service`, form({ connect_timeout: 'foobar' }, 'PATCH')),
    ).toMatchObject({
      status: 400,
      body: {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (connect_timeout: expected an integer)',
        fields: { connect_timeout: 'expected an integer' },
      },
    });
  });

  it(
    'DELETE: 405 for a service that is referenced, 404 with a non-existing route (by id, by name)',
    T,
    async () => {
      const s = await service();
      const r = await route({ service: { id: s.id } });
      expect(await call(h.adminUrl, `/routes/${r.id}/service`, { method: 'DELETE' })).toMatchObject({
        status: 405,
        body: notAllowed,
      });
      expect(h.store.state.services).toHaveLength(1);
      expect((await call(h.adminUrl, `/routes/${randomUUID()}/service`, { method: 'DELETE' })).status).toBe(
        404,
      );
      expect((await call(h.adminUrl, '/routes/in-existent-route/service', { method: 'DELETE' })).status).toBe(
        404,
      );
    },
  );

  it('PUT creates if not found (and associates it with the route)', T, async () => {
    const r = await route();
    const s = await ok<{ id: string; host: string }>(
      `/routes/${r.id}/service`,
      form({ url: 'http://konghq.test' }, 'PUT'),
      200,
    );
    expect(s.host).toBe('konghq.test');
    expect(h.store.state.routes[0]?.service).toEqual({ id: s.id });
  });

  it('PUT updates if found (by id, by name), and with url', T, async () => {
    const s = await service({ name: 'svc', path: '/', retries: 2 });
    const r = await route({ name: 'my-service-put-route', service: { id: s.id } });
    expect(
      await ok(
        `/routes/${r.id}/service`,
        json({ name: 'name-svc', host: 'edited.test', path: null }, 'PUT'),
        200,
      ),
    ).toMatchObject({ id: s.id, name: 'name-svc', host: 'edited.test', path: null, retries: 5 });
    expect(
      await ok(
        '/routes/my-service-put-route/service',
        json({ url: 'http://edited2.test:1234/foo' }, 'PUT'),
        200,
      ),
    ).toMatchObject({ id: s.id, host: 'edited2.test', port: 1234, path: '/foo' });
  });

  it('PUT errors: 404 if not found; invalid input counts the missing host too', T, async () => {
    expect(
      (
        await call(
          h.adminUrl,
          `/routes/${randomUUID()}/service`,
          json({ name: 'edited', host: 'edited.test' }, 'PUT'),
        )
      ).status,
    ).toBe(404);
    const s = await service();
    const r = await route({ service: { id: s.id } });
    expect(
      await call(h.adminUrl, `/routes/${r.id}/service`, json({ connect_timeout: 'foobar' }, 'PUT')),
    ).toMatchObject({
      status: 400,
      body: {
        code: 2,
        name: 'schema violation',
        message: '2 schema violations (connect_timeout: expected an integer; host: required field missing)',
        fields: { connect_timeout: 'expected an integer', host: 'required field missing' },
      },
    });
  });
});

describe('10-services_routes_spec: /services', () => {
  it('POST creates a service (form, json) and with url', T, async () => {
    expect(await ok('/services', form({ protocol: 'http', host: 'service.test' }))).toMatchObject({
      name: null,
      protocol: 'http',
      host: 'service.test',
      port: 80,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
    });
    expect(await ok('/services', json({ url: 'http://service.test/' }))).toMatchObject({
      host: 'service.test',
      path: '/',
      port: 80,
    });
  });

  it('POST client error with empty url and with invalid url', T, async () => {
    expect((await call(h.adminUrl, '/services', form({ url: '' }))).status).toBe(400);
    expect((await call(h.adminUrl, '/services', form({ url: ' ' }))).status).toBe(400);
    expect(h.store.state.services).toEqual([]);
  });

  it('GET paginates a set, and propagates the page size in next', T, async () => {
    for (let i = 0; i < 10; i++) await service({ name: `s${i}` });
    const p = await ok<{ data: unknown[]; offset: string; next: string }>('/services?size=3', undefined, 200);
    expect(p.data).toHaveLength(3);
    expect(p.next).toBe(`/services?offset=${encodeURIComponent(p.offset)}&size=3`);
  });

  it('GET with tags and size: next carries tags before size, as Kong builds it', T, async () => {
    for (let i = 0; i < 3; i++) await service({ name: `s${i}`, tags: ['a'] });
    const p = await ok<{ offset: string; next: string }>('/services?size=1&tags=a', undefined, 200);
    expect(p.next).toBe(`/services?offset=${encodeURIComponent(p.offset)}&tags=a&size=1`);
  });

  it('GET /services/{service} retrieves by id and name; 404 if not found', T, async () => {
    const s = await service({ name: 'named' });
    expect(await ok(`/services/${s.id}`, undefined, 200)).toEqual(s);
    expect(await ok('/services/named', undefined, 200)).toEqual(s);
    expect((await call(h.adminUrl, `/services/${randomUUID()}`)).status).toBe(404);
    expect((await call(h.adminUrl, '/services/not-found')).status).toBe(404);
  });

  it('PATCH updates with url: a url without a path clears the path', T, async () => {
    const s = await service();
    expect(
      await ok(`/services/${s.id}`, form({ url: 'http://example.test:443' }, 'PATCH'), 200),
    ).toMatchObject({ host: 'example.test', port: 443, path: null });
    expect(
      await ok(`/services/${s.id}`, form({ url: 'http://example2.test:80/' }, 'PATCH'), 200),
    ).toMatchObject({ host: 'example2.test', port: 80, path: '/' });
    expect(await ok(`/services/${s.id}`, form({ url: 'http://example2.test' }, 'PATCH'), 200)).toMatchObject({
      host: 'example2.test',
      port: 80,
      path: null,
    });
  });

  it('DELETE deletes a service (by id, by name); 204 even if not found', T, async () => {
    const a = await service();
    await service({ name: 'named' });
    expect((await call(h.adminUrl, `/services/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(h.adminUrl, '/services/named', { method: 'DELETE' })).status).toBe(204);
    expect(h.store.state.services).toEqual([]);
    expect((await call(h.adminUrl, `/services/${randomUUID()}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(h.adminUrl, '/services/not-found', { method: 'DELETE' })).status).toBe(204);
  });

  it('errors: handles invalid input (missing host, bad protocol)', T, async () => {
    expect((await call(h.adminUrl, '/services', json({}))).body.fields).toEqual({
      host: 'required field missing',
    });
    const p = await call(h.adminUrl, '/services', form({ host: 'example.test', protocol: 'foo' }));
    expect(p.status).toBe(400);
    expect(Object.keys(p.body.fields)).toEqual(['protocol']);
  });
});

describe('10-services_routes_spec: /services/{service}/routes', () => {
  it('lists all routes belonging to service', T, async () => {
    const s = await service();
    const mine = await ok(`/services/${s.id}/routes`, json({ hosts: ['service.test'] }));
    await route({ hosts: ['service.test'] });
    expect(await ok(`/services/${s.id}/routes`, undefined, 200)).toEqual({ data: [mine], next: null });
  });

  it('POST takes the service from the URL (over one in the body); 404 for a missing service', T, async () => {
    const a = await service({ name: 'a' });
    const b = await service({ name: 'b' });
    expect(await ok('/services/a/routes', json({ paths: ['/x'], service: { id: b.id } }))).toMatchObject({
      service: { id: a.id },
    });
    expect(await call(h.adminUrl, '/services/ghost/routes', json({ paths: ['/x'] }))).toMatchObject({
      status: 404,
      body: notFound,
    });
  });

  it(
    'GET pages: next names the service as given and carries only the offset (get_collection_endpoint)',
    T,
    async () => {
      await service({ name: 'web' });
      for (let i = 0; i < 3; i++) await ok('/services/web/routes', json({ paths: [`/p${i}`] }));
      const p = await ok<{ data: unknown[]; offset: string; next: string }>(
        '/services/web/routes?size=2',
        undefined,
        200,
      );
      expect(p.data).toHaveLength(2);
      expect(p.next).toBe(`/services/web/routes?offset=${encodeURIComponent(p.offset)}`);
      expect((await ok<{ data: unknown[] }>(p.next, undefined, 200)).data).toHaveLength(1);
    },
  );
});

describe('endpoints.lua: /services/{service}/routes/{route}', () => {
  it('GET by id and by name; 404 for a route of another service, a missing route or service', T, async () => {
    const a = await service({ name: 'a' });
    await service({ name: 'b' });
    const r = await route({ name: 'r1', service: { id: a.id } });
    expect(await ok(`/services/a/routes/${r.id}`, undefined, 200)).toEqual(r);
    expect(await ok(`/services/${a.id}/routes/r1`, undefined, 200)).toEqual(r);
    expect(await call(h.adminUrl, '/services/b/routes/r1')).toMatchObject({ status: 404, body: notFound });
    expect((await call(h.adminUrl, '/services/a/routes/ghost')).status).toBe(404);
    expect((await call(h.adminUrl, '/services/ghost/routes/r1')).status).toBe(404);
  });

  it(
    'PATCH updates a route of the service; 404 for another service’s route; a body service moves it',
    T,
    async () => {
      const a = await service({ name: 'a' });
      const b = await service({ name: 'b' });
      const r = await route({ name: 'r1', service: { id: a.id } });
      expect(await ok('/services/a/routes/r1', form({ 'paths[]': '/patched' }, 'PATCH'), 200)).toMatchObject({
        id: r.id,
        paths: ['/patched'],
        service: { id: a.id },
      });
      const before = JSON.stringify(h.store.state);
      expect(
        await call(h.adminUrl, '/services/b/routes/r1', json({ paths: ['/nope'] }, 'PATCH')),
      ).toMatchObject({ status: 404, body: notFound });
      expect(JSON.stringify(h.store.state)).toBe(before);
      expect(await ok('/services/a/routes/r1', json({ service: { id: b.id } }, 'PATCH'), 200)).toMatchObject({
        service: { id: b.id },
      });
    },
  );

  it('PUT creates with the service taken from the URL, and replaces an existing route', T, async () => {
    const a = await service({ name: 'a' });
    const b = await service({ name: 'b' });
    const made = await ok<{ id: string }>(
      '/services/a/routes/new-route',
      json({ paths: ['/new'], service: { id: b.id } }, 'PUT'),
      200,
    );
    expect(made).toMatchObject({ name: 'new-route', paths: ['/new'], service: { id: a.id } });
    const id = randomUUID();
    expect(await ok(`/services/a/routes/${id}`, form({ hosts: 'x.test' }, 'PUT'), 200)).toMatchObject({
      id,
      name: null,
      hosts: ['x.test'],
      service: { id: a.id },
    });
    const replaced = await ok('/services/a/routes/new-route', json({ hosts: ['h.test'] }, 'PUT'), 200);
    expect(replaced).toMatchObject({
      id: made.id,
      name: 'new-route',
      hosts: ['h.test'],
      paths: null,
      service: { id: a.id },
    });
    expect(
      (await call(h.adminUrl, '/services/ghost/routes/new-route', json({ paths: ['/x'] }, 'PUT'))).status,
    ).toBe(404);
  });

  it(
    'DELETE deletes a route of the service; 404 for a missing route or another service’s route',
    T,
    async () => {
      const a = await service({ name: 'a' });
      await service({ name: 'b' });
      await route({ name: 'r1', service: { id: a.id } });
      expect((await call(h.adminUrl, '/services/b/routes/r1', { method: 'DELETE' })).status).toBe(404);
      expect(h.store.state.routes).toHaveLength(1);
      expect(await call(h.adminUrl, '/services/a/routes/r1', { method: 'DELETE' })).toMatchObject({
        status: 204,
        text: '',
      });
      expect(h.store.state.routes).toEqual([]);
      expect((await call(h.adminUrl, '/services/a/routes/r1', { method: 'DELETE' })).status).toBe(404);
    },
  );

  it('answers 405 for POST on an entity', T, async () => {
    await service({ name: 'a' });
    expect(await call(h.adminUrl, '/services/a/routes/x', json({}))).toMatchObject({
      status: 405,
      body: notAllowed,
    });
  });
});

describe('07-upstreams_routes_spec: /upstreams', () => {
  it(
    'POST creates an upstream with defaults (form, json), with 65536 slots, with host header',
    T,
    async () => {
      const u = await ok<Record<string, unknown>>('/upstreams', form({ name: 'my.upstream' }));
      expect(u).toMatchObject({ name: 'my.upstream', slots: 10000 });
      expect(typeof u.id).toBe('string');
      expect(
        await ok('/upstreams', json({ name: 'max.upstream', slots: 65536, host_header: 'localhost' })),
      ).toMatchObject({ slots: 65536, host_header: 'localhost' });
    },
  );

  it('POST errors: handles invalid input (missing name, bad name, slots out of range)', T, async () => {
    expect((await call(h.adminUrl, '/upstreams', form({ slots: '50' }))).body).toMatchObject({
      name: 'schema violation',
      fields: { name: 'required field missing' },
    });
    expect(
      (await call(h.adminUrl, '/upstreams', form({ name: 'some invalid host name' }))).body,
    ).toMatchObject({
      name: 'schema violation',
      fields: { name: "Invalid name ('some invalid host name'); must be a valid hostname" },
    });
    expect(
      (await call(h.adminUrl, '/upstreams', json({ name: 'my.upstream', slots: 65537 }))).body.fields,
    ).toEqual({ slots: 'value should be between 10 and 65536' });
  });

  it('POST returns 409 on conflict', T, async () => {
    await ok('/upstreams', form({ name: 'my.upstream' }));
    expect(await call(h.adminUrl, '/upstreams', form({ name: 'my.upstream' }))).toMatchObject({
      status: 409,
      body: { name: 'unique constraint violation', fields: { name: 'my.upstream' } },
    });
  });

  it('PUT creates if not exists, and replaces if exists (renaming by id)', T, async () => {
    expect(await ok('/upstreams/my-upstream', json({ created_at: 1461276890 }, 'PUT'), 200)).toMatchObject({
      name: 'my-upstream',
      slots: 10000,
    });
    const u = await ok<{ id: string; created_at: number }>(
      '/upstreams',
      form({ name: 'other', slots: '100' }),
    );
    expect(
      await ok(
        `/upstreams/${u.id}`,
        json({ name: 'my-new-upstream', slots: 123, created_at: u.created_at }, 'PUT'),
        200,
      ),
    ).toMatchObject({ id: u.id, name: 'my-new-upstream', slots: 123 });
  });

  it('PUT errors: missing name by id; an IP address as the name', T, async () => {
    expect(
      (await call(h.adminUrl, '/upstreams/00000000-0000-0000-0000-000000000001', json({}, 'PUT'))).body
        .message,
    ).toBe('schema violation (name: required field missing)');
    const ip = await call(h.adminUrl, '/upstreams/1.2.3.4', json({}, 'PUT'));
    expect(ip.status).toBe(400);
    expect(ip.body.message).toContain("Invalid name ('1.2.3.4'); no ip addresses allowed");
  });

  it('GET paginates a set, page size 1 has an offset, ignores filters', T, async () => {
    for (let i = 0; i < 10; i++) await ok('/upstreams', form({ name: `u${i}` }));
    const one = await ok<{ data: unknown[]; offset: string }>('/upstreams?size=1', undefined, 200);
    expect(one.data).toHaveLength(1);
    expect(typeof one.offset).toBe('string');
    expect((await call(h.adminUrl, '/upstreams?foo=bar')).status).toBe(200);
  });

  it('GET returns bad request for empty tags', T, async () => {
    expect(await call(h.adminUrl, '/upstreams?tags')).toMatchObject({
      status: 400,
      body: {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: cannot be null)',
        options: { tags: 'cannot be null' },
      },
    });
  });

  it('DELETE by id, by name, and an upstream with targets', T, async () => {
    const u = await ok<{ id: string }>('/upstreams', form({ name: 'a' }));
    await ok('/upstreams', form({ name: 'b' }));
    await ok('/upstreams/b/targets', json({ target: '127.0.0.1:8000' }));
    expect((await call(h.adminUrl, `/upstreams/${u.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(h.adminUrl, '/upstreams/b', { method: 'DELETE' })).status).toBe(204);
    expect(h.store.state.upstreams).toEqual([]);
  });

  it('returns 405 on invalid method', T, async () => {
    expect(await call(h.adminUrl, '/upstreams', { method: 'DELETE' })).toMatchObject({
      status: 405,
      body: notAllowed,
    });
  });
});

describe('08-targets_routes_spec: /upstreams/{upstream}/targets', () => {
  beforeEach(async () => {
    await ok('/upstreams', form({ name: 'up', slots: '10' }));
  });

  it('/targets returns a 404', T, async () => {
    expect(await call(h.adminUrl, '/targets')).toMatchObject({ status: 404, body: notFound });
  });

  it(
    'POST creates a target with defaults, without defaults, with weight = 0 (trailing slash)',
    T,
    async () => {
      expect(await ok('/upstreams/up/targets/', form({ target: 'konghq.test' }))).toMatchObject({
        target: 'konghq.test:8000',
        weight: 100,
      });
      expect(
        await ok('/upstreams/up/targets/', json({ target: 'konghq.test:123', weight: 99 })),
      ).toMatchObject({ target: 'konghq.test:123', weight: 99 });
      const zero = await ok('/upstreams/up/targets/', form({ target: 'zero.weight.test:8080', weight: '0' }));
      expect(await ok('/upstreams/up/targets/zero.weight.test:8080', undefined, 200)).toEqual(zero);
    },
  );

  it('POST errors: handles invalid input', T, async () => {
    expect((await call(h.adminUrl, '/upstreams/up/targets/', form({ weight: '0' }))).body.fields).toEqual({
      target: 'required field missing',
    });
    expect(
      (await call(h.adminUrl, '/upstreams/up/targets/', form({ target: 'some invalid host name' }))).body
        .fields,
    ).toEqual({ target: 'Invalid target; not a valid hostname or ip address' });
    expect(
      (await call(h.adminUrl, '/upstreams/up/targets/', json({ target: 'konghq.test', weight: 65536 }))).body
        .fields,
    ).toEqual({ weight: 'value should be between 0 and 65535' });
  });

  it('returns 405 on PUT, PATCH, DELETE of the collection', T, async () => {
    for (const m of ['PUT', 'PATCH', 'DELETE'])
      expect(
        (await call(h.adminUrl, '/upstreams/up/targets/', json({ target: 'konghq.test' }, m))).status,
      ).toBe(405);
  });

  it('fails to create duplicated targets', T, async () => {
    await ok('/upstreams/up/targets', form({ target: 'single-target.test:8080', weight: '1' }));
    expect(
      (
        await call(
          h.adminUrl,
          '/upstreams/up/targets',
          form({ target: 'single-target.test:8080', weight: '100' }),
        )
      ).status,
    ).toBe(409);
  });

  it('GET shows all targets with and without ending slash; empty is "data":[]', T, async () => {
    expect((await call(h.adminUrl, '/upstreams/up/targets')).text).toContain('"data":[]');
    for (const [t, w] of [
      ['api-1:80', 10],
      ['api-2:80', 0],
      ['api-3:80', 50],
      ['api-4:80', 10],
    ] as const)
      await ok('/upstreams/up/targets', json({ target: t, weight: w }));
    for (const p of ['/upstreams/up/targets', '/upstreams/up/targets/'])
      expect((await ok<{ data: unknown[] }>(p, undefined, 200)).data).toHaveLength(4);
  });

  it('/targets/all: offset is a string, next url ends with /targets/all (offset only)', T, async () => {
    for (let i = 1; i <= 10; i++) await ok('/upstreams/up/targets', json({ target: `api-${i}:80` }));
    const p = await ok<{ data: unknown[]; offset: string; next: string }>(
      '/upstreams/up/targets/all?size=3',
      undefined,
      200,
    );
    expect(typeof p.offset).toBe('string');
    expect(p.next).toBe(`/upstreams/up/targets/all?offset=${encodeURIComponent(p.offset)}`);
  });

  it(
    'PUT …/healthy and …/unhealthy: 404 for every bad combination of upstream and target, 204 otherwise',
    T,
    async () => {
      const u = h.store.state.upstreams[0]!;
      const t = await ok<{ id: string; target: string }>(
        `/upstreams/${u.id}/targets`,
        json({ target: '127.0.0.1:8192', weight: 10 }),
      );
      await ok('/upstreams', form({ name: 'other' }));
      const wrong = await ok<{ id: string }>('/upstreams/other/targets', json({ target: '127.0.0.1:8192' }));
      for (const [i, uk] of [randomUUID(), 'invalid', u.name, u.id].entries())
        for (const [j, tk] of [randomUUID(), 'invalid:1234', wrong.id, t.target, t.id].entries())
          for (const e of ['healthy', 'unhealthy']) {
            const status = (await call(h.adminUrl, `/upstreams/${uk}/targets/${tk}/${e}`, { method: 'PUT' }))
              .status;
            expect(status, `${uk} ${tk} ${e}`).toBe(i >= 2 && j >= 3 ? 204 : 404);
          }
    },
  );

  it('GET returns the target entity; PATCH is allowed and works', T, async () => {
    await ok('/upstreams/up/targets', json({ target: 'api-1:80', weight: 10 }));
    const t = await ok<{ id: string; target: string }>(
      '/upstreams/up/targets',
      json({ target: 'api-2:80', weight: 10 }),
    );
    expect(await ok(`/upstreams/up/targets/${t.target}`, undefined, 200)).toEqual(t);
    expect(await ok(`/upstreams/up/targets/${t.target}`, json({ weight: 659 }, 'PATCH'), 200)).toMatchObject({
      id: t.id,
      target: 'api-2:80',
      weight: 659,
    });
  });

  it('PUT updates target (by id) and (by target); 404 when the target does not exist', T, async () => {
    const t = await ok<{ id: string; target: string }>(
      '/upstreams/up/targets',
      json({ target: 'api-2:80', weight: 10 }),
    );
    expect(
      await ok(`/upstreams/up/targets/${t.id}`, json({ target: 'api-2:801' }, 'PUT'), 200),
    ).toMatchObject({ id: t.id, target: 'api-2:801' });
    expect(
      await ok('/upstreams/up/targets/api-2:801', json({ target: 'api-2:802' }, 'PUT'), 200),
    ).toMatchObject({ id: t.id, target: 'api-2:802' });
    expect((await call(h.adminUrl, '/upstreams/up/targets/api-2:801')).status).toBe(404);
    expect(
      await call(h.adminUrl, '/upstreams/up/targets/api-9:80', json({ weight: 5 }, 'PUT')),
    ).toMatchObject({ status: 404, body: notFound });
    expect(h.store.state.upstreams[0]?.targets).toHaveLength(1);
  });

  it('DELETE actually deletes targets (by target, by id)', T, async () => {
    await ok('/upstreams/up/targets', json({ target: 'api-1:80', weight: 10 }));
    const t = await ok<{ id: string }>('/upstreams/up/targets', json({ target: 'api-2:80', weight: 10 }));
    const t3 = await ok<{ id: string }>('/upstreams/up/targets', json({ target: 'api-3:80', weight: 10 }));
    expect((await call(h.adminUrl, '/upstreams/up/targets/api-2:80', { method: 'DELETE' })).status).toBe(204);
    expect((await call(h.adminUrl, `/upstreams/up/targets/${t3.id}`, { method: 'DELETE' })).status).toBe(204);
    const left = await ok<{ data: { target: string; id: string }[] }>(
      '/upstreams/up/targets/all',
      undefined,
      200,
    );
    expect(left.data.map((x) => x.target)).toEqual(['api-1:80']);
    expect(left.data.some((x) => x.id === t.id)).toBe(false);
  });
});
