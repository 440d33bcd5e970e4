/** Kong's status codes and error bodies, and that a refused change leaves the state untouched. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, form, json, start, viaProxy, type Harness } from './harness.js';

describe('admin API errors', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await start();
    expect((await call(h.adminUrl, '/upstreams', form({ name: 'blue' }))).status).toBe(201);
    expect(
      (await call(h.adminUrl, '/upstreams/blue/targets', form({ target: '127.0.0.1:9001' }))).status,
    ).toBe(201);
  });

  afterEach(async () => {
    await h?.close();
  });

  it(
    'refuses bad target weights with a schema violation and changes nothing',
    { timeout: 5000 },
    async () => {
      const before = JSON.stringify(h.store.state);
      for (const [weight, reason] of [
        ['-1', 'value should be between 0 and 65535'],
        ['65536', 'value should be between 0 and 65535'],
        ['abc', 'expected an integer'],
      ] as const) {
        const r = await call(
          h.adminUrl,
          '/upstreams/blue/targets',
          form({ target: '127.0.0.1:9002', weight }),
        );
        expect(r.status).toBe(400);
        expect(r.body).toEqual({
          code: 2,
          name: 'schema violation',
          message: `schema violation (weight: ${reason})`,
          fields: { weight: reason },
        });
        const p = await call(h.adminUrl, '/upstreams/blue/targets/127.0.0.1:9001', form({ weight }, 'PATCH'));
        expect(p.status).toBe(400);
        expect(p.body.fields).toEqual({ weight: reason });
      }
      const j = await call(
        h.adminUrl,
        '/upstreams/blue/targets',
        json({ target: '127.0.0.1:9002', weight: 65536 }),
      );
      expect(j.status).toBe(400);
      expect(j.body.fields).toEqual({ weight: 'value should be between 0 and 65535' });
      expect(JSON.stringify(h.store.state)).toBe(before);
    },
  );

  it('counts several schema violations the way Kong words them', { timeout: 5000 }, async () => {
    const r = await call(h.adminUrl, '/upstreams/blue/targets', json({ weight: -1, foo: 1 }));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(
      '3 schema violations (foo: unknown field; target: required field missing; weight: value should be between 0 and 65535)',
    );
  });

  it('answers 404 for unknown entities and paths, 405 for unknown methods', { timeout: 5000 }, async () => {
    const notFound = { message: 'Not found' };
    expect(await call(h.adminUrl, '/upstreams/nope')).toMatchObject({ status: 404, body: notFound });
    expect(
      await call(h.adminUrl, '/upstreams/nope/targets', form({ target: '127.0.0.1:9002' })),
    ).toMatchObject({ status: 404, body: notFound });
    expect(await call(h.adminUrl, '/upstreams/nope/targets')).toMatchObject({ status: 404, body: notFound });
    expect(
      await call(h.adminUrl, '/upstreams/blue/targets/127.0.0.1:9999', form({ weight: '1' }, 'PATCH')),
    ).toMatchObject({ status: 404 });
    expect(await call(h.adminUrl, '/services/nope', form({ host: 'x' }, 'PATCH'))).toMatchObject({
      status: 404,
      body: notFound,
    });
    expect(await call(h.adminUrl, '/routes/nope')).toMatchObject({ status: 404, body: notFound });
    expect(await call(h.adminUrl, '/nothing/here')).toMatchObject({ status: 404, body: notFound });
    expect(await call(h.adminUrl, '/upstreams', { method: 'DELETE' })).toMatchObject({
      status: 405,
      body: { message: 'Method not allowed' },
    });
  });

  it('answers 409 for duplicate names and targets', { timeout: 5000 }, async () => {
    const before = JSON.stringify(h.store.state);
    const u = await call(h.adminUrl, '/upstreams', form({ name: 'blue' }));
    expect(u.status).toBe(409);
    expect(u.body).toMatchObject({ code: 5, name: 'unique constraint violation', fields: { name: 'blue' } });
    const t = await call(h.adminUrl, '/upstreams/blue/targets', form({ target: '127.0.0.1:9001' }));
    expect(t.status).toBe(409);
    expect(t.body).toMatchObject({
      code: 5,
      name: 'unique constraint violation',
      fields: { target: '127.0.0.1:9001' },
    });
    expect(JSON.stringify(h.store.state)).toBe(before);
  });

  it('rejects unknown fields, malformed JSON and foreign content types', { timeout: 5000 }, async () => {
    const r = await call(h.adminUrl, '/services', json({ name: 'x', host: 'blue', foo: 'bar' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, name: 'schema violation', fields: { foo: 'unknown field' } });
    const bad = await call(h.adminUrl, '/services', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(bad).toMatchObject({ status: 400, body: { message: 'Cannot parse JSON body' } });
    const xml = await call(h.adminUrl, '/services', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(xml.status).toBe(415);
    const arr = await call(h.adminUrl, '/services', json([1, 2]));
    expect(arr.status).toBe(400);
    expect(arr.body.name).toBe('schema violation');
  });

  it('refuses bodies over 1 MiB with 413', { timeout: 5000 }, async () => {
    const r = await call(
      h.adminUrl,
      '/services',
      json({ name: 'x', host: 'blue', tags: ['a'.repeat(1024 * 1024)] }),
    );
    expect(r).toMatchObject({ status: 413, body: { message: 'request body too large' } });
  });

  it(
    'refuses to delete a service its routes use, and deletes missing entities with 204',
    { timeout: 5000 },
    async () => {
      expect((await call(h.adminUrl, '/services', form({ name: 'app', host: 'blue' }))).status).toBe(201);
      expect((await call(h.adminUrl, '/services/app/routes', form({ 'paths[]': '/app' }))).status).toBe(201);
      const before = JSON.stringify(h.store.state);
      const d = await call(h.adminUrl, '/services/app', { method: 'DELETE' });
      expect(d.status).toBe(400);
      expect(d.body).toEqual({
        code: 4,
        name: 'foreign key violation',
        message: "an existing 'routes' entity references this 'services' entity",
        fields: { '@referenced_by': 'routes' },
      });
      expect(JSON.stringify(h.store.state)).toBe(before);

      for (const path of ['/services/ghost', '/routes/ghost', '/upstreams/ghost']) {
        const r = await call(h.adminUrl, path, { method: 'DELETE' });
        expect(r.status).toBe(204);
        expect(r.text).toBe('');
      }
      expect(
        (await call(h.adminUrl, '/upstreams/blue/targets/127.0.0.1:9999', { method: 'DELETE' })).status,
      ).toBe(404);
      expect(
        (await call(h.adminUrl, '/upstreams/blue/targets/127.0.0.1:9001', { method: 'DELETE' })).status,
      ).toBe(204);
      expect(h.store.state.upstreams[0]?.targets).toEqual([]);
    },
  );

  it('pages lists with size and offset', { timeout: 5000 }, async () => {
    for (const n of ['a', 'b', 'c'])
      expect((await call(h.adminUrl, '/upstreams', form({ name: n, 'tags[]': 'x' }))).status).toBe(201);
    const p1 = await call(h.adminUrl, '/upstreams?size=2');
    expect(p1.body.data.map((u: { name: string }) => u.name)).toEqual(['blue', 'a']);
    expect(p1.body.next).toMatch(/^\/upstreams\?offset=/);
    const p2 = await call(h.adminUrl, p1.body.next);
    expect(p2.body.data.map((u: { name: string }) => u.name)).toEqual(['b', 'c']);
    expect(p2.body.next).toBeNull();
    expect((await call(h.adminUrl, '/upstreams?tags=x')).body.data).toHaveLength(3);
    expect((await call(h.adminUrl, '/upstreams?size=0')).status).toBe(400);
    expect((await call(h.adminUrl, '/upstreams?offset=zzz')).body).toMatchObject({
      code: 7,
      name: 'invalid offset',
    });
  });

  it('upserts with PUT by name', { timeout: 5000 }, async () => {
    const c = await call(h.adminUrl, '/services/app', form({ host: 'blue', path: '/v1' }, 'PUT'));
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ name: 'app', host: 'blue', path: '/v1' });
    const r = await call(h.adminUrl, '/services/app', form({ host: 'blue' }, 'PUT'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: c.body.id, name: 'app', host: 'blue', path: null });
    expect((await call(h.adminUrl, '/upstreams/green', json({ slots: 100 }, 'PUT'))).body).toMatchObject({
      name: 'green',
      slots: 100,
    });
    expect((await call(h.adminUrl, '/upstreams/green', json({}, 'PUT'))).body).toMatchObject({
      name: 'green',
      slots: 10000,
    });
  });
});

describe('admin API access', () => {
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('requires the token when one is set', { timeout: 5000 }, async () => {
    h = await start({ token: 's3cret' });
    expect(await call(h.adminUrl, '/upstreams')).toMatchObject({
      status: 401,
      body: { message: 'Unauthorized' },
    });
    expect(
      (await call(h.adminUrl, '/upstreams', { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    expect(
      (await call(h.adminUrl, '/upstreams', { headers: { authorization: 'Bearer s3cret' } })).status,
    ).toBe(200);
    expect((await call(h.adminUrl, '/status', { headers: { 'kong-admin-token': 's3cret' } })).status).toBe(
      200,
    );
    const post = await call(h.adminUrl, '/upstreams', {
      ...form({ name: 'x' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(post.status).toBe(401);
    expect(h.store.state.upstreams).toEqual([]);
  });

  it('refuses changes when read-only, but still answers reads', { timeout: 5000 }, async () => {
    h = await start({ store: { readonly: true } });
    expect(await call(h.adminUrl, '/upstreams', form({ name: 'x' }))).toMatchObject({
      status: 403,
      body: { message: 'switchyard is read-only' },
    });
    expect((await call(h.adminUrl, '/upstreams')).status).toBe(200);
  });

  it('refuses requests from foreign hosts and origins without a token', { timeout: 5000 }, async () => {
    h = await start();
    const cross = await call(h.adminUrl, '/upstreams', {
      ...form({ name: 'x' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
    });
    expect(cross.status).toBe(403);
    const same = await call(h.adminUrl, '/upstreams', {
      ...form({ name: 'x' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.adminUrl },
    });
    expect(same.status).toBe(201);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    const port = Number(new URL(h.adminUrl).port);
    expect((await viaProxy(port, 'evil.example', '/upstreams')).status).toBe(403);
    expect((await viaProxy(port, `localhost:${port}`, '/upstreams')).status).toBe(200);
  });
});
