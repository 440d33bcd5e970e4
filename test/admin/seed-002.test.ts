/**
 * seeds/002 (Kong's blue-green tutorial) verbatim: the same form-encoded calls, with real
 * 127.0.0.1 backends in place of 192.168.34.15-18.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, call, form, spread, start, type Backend, type Harness } from './harness.js';

const HOST = 'address.mydomain.com';

describe('seed 002: Kong blue-green through the admin API', () => {
  let h: Harness;
  let b: Backend[];

  beforeAll(async () => {
    h = await start();
    b = await Promise.all(['blue1', 'blue2', 'green1', 'green2'].map(backend));
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all((b ?? []).map((x) => x.close()));
  });

  it(
    'sets up blue, routes 2/3 and 1/3 to its targets with the service path, then switches to green',
    { timeout: 15_000 },
    async () => {
      const [blue1, blue2, green1, green2] = b as [Backend, Backend, Backend, Backend];
      const u1 = await call(h.adminUrl, '/upstreams', form({ name: 'address.v1.service' }));
      expect(u1.status).toBe(201);
      expect(u1.body).toMatchObject({ name: 'address.v1.service', algorithm: 'round-robin', slots: 10000 });
      expect(u1.body.targets).toBeUndefined();

      const t1 = await call(
        h.adminUrl,
        '/upstreams/address.v1.service/targets',
        form({ target: blue1.address, weight: '100' }),
      );
      expect(t1.status).toBe(201);
      expect(t1.body).toEqual({
        id: expect.any(String),
        target: blue1.address,
        weight: 100,
        upstream: { id: u1.body.id },
        created_at: expect.any(Number),
        tags: null,
      });
      const t2 = await call(
        h.adminUrl,
        '/upstreams/address.v1.service/targets',
        form({ target: blue2.address, weight: '50' }),
      );
      expect(t2.status).toBe(201);
      expect(t2.body.weight).toBe(50);

      const svc = await call(
        h.adminUrl,
        '/services/',
        form({ name: 'address-service', host: 'address.v1.service', path: '/address' }),
      );
      expect(svc.status).toBe(201);
      expect(svc.body).toMatchObject({
        name: 'address-service',
        host: 'address.v1.service',
        path: '/address',
        port: 80,
        protocol: 'http',
        upstreams: [],
      });

      const route = await call(h.adminUrl, '/services/address-service/routes/', form([['hosts[]', HOST]]));
      expect(route.status).toBe(201);
      expect(route.body).toMatchObject({
        hosts: [HOST],
        paths: null,
        strip_path: true,
        service: { id: svc.body.id },
      });

      expect(await spread(h.proxyPort, HOST, 30)).toEqual({ blue1: 20, blue2: 10 });
      expect(new Set([...blue1.paths, ...blue2.paths])).toEqual(new Set(['/address']));

      const u2 = await call(h.adminUrl, '/upstreams', form({ name: 'address.v2.service' }));
      expect(u2.status).toBe(201);
      for (const g of [green1, green2]) {
        expect(
          (
            await call(
              h.adminUrl,
              '/upstreams/address.v2.service/targets',
              form({ target: g.address, weight: '100' }),
            )
          ).status,
        ).toBe(201);
      }

      const patched = await call(
        h.adminUrl,
        '/services/address-service',
        form({ host: 'address.v2.service' }, 'PATCH'),
      );
      expect(patched.status).toBe(200);
      expect(patched.body.host).toBe('address.v2.service');

      expect(await spread(h.proxyPort, HOST, 10)).toEqual({ green1: 5, green2: 5 });
      expect(new Set([...green1.paths, ...green2.paths])).toEqual(new Set(['/address']));
    },
  );

  it('answers GET on each entity and Kong-shaped lists', { timeout: 10_000 }, async () => {
    const u = await call(h.adminUrl, '/upstreams/address.v1.service');
    expect(u.status).toBe(200);
    expect(u.body.name).toBe('address.v1.service');
    expect((await call(h.adminUrl, `/upstreams/${u.body.id}`)).body.name).toBe('address.v1.service');

    const ups = await call(h.adminUrl, '/upstreams');
    expect(ups.status).toBe(200);
    expect(ups.body.next).toBeNull();
    expect(ups.body.data.map((x: { name: string }) => x.name)).toEqual([
      'address.v1.service',
      'address.v2.service',
    ]);

    const targets = await call(h.adminUrl, '/upstreams/address.v1.service/targets');
    expect(targets.body.next).toBeNull();
    expect(targets.body.data.map((t: { weight: number }) => t.weight)).toEqual([100, 50]);
    expect(targets.body.data[0].upstream).toEqual({ id: u.body.id });
    expect((await call(h.adminUrl, '/upstreams/address.v1.service/targets/all')).body.data).toHaveLength(2);
    const first = targets.body.data[0];
    expect((await call(h.adminUrl, `/upstreams/address.v1.service/targets/${first.target}`)).body).toEqual(
      first,
    );
    expect((await call(h.adminUrl, `/upstreams/address.v1.service/targets/${first.id}`)).body).toEqual(first);

    const svc = await call(h.adminUrl, '/services/address-service');
    expect(svc.status).toBe(200);
    expect(svc.body.host).toBe('address.v2.service');
    const services = await call(h.adminUrl, '/services');
    expect(services.body).toEqual({ data: [svc.body], next: null });

    const routes = await call(h.adminUrl, '/routes');
    expect(routes.body.next).toBeNull();
    expect(routes.body.data).toHaveLength(1);
    const r = routes.body.data[0];
    expect(r.service).toEqual({ id: svc.body.id });
    expect((await call(h.adminUrl, `/routes/${r.id}`)).body).toEqual(r);
    expect((await call(h.adminUrl, '/services/address-service/routes')).body).toEqual({
      data: [r],
      next: null,
    });
    expect((await call(h.adminUrl, `/routes/${r.id}/service`)).body).toEqual(svc.body);
  });

  it('answers / and /status', { timeout: 5000 }, async () => {
    const root = await call(h.adminUrl, '/');
    expect(root.status).toBe(200);
    expect(root.body.tagline).toBe('Welcome to switchyard');
    expect(root.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(root.body.configuration.proxy_listen).toEqual([`127.0.0.1:${h.proxyPort}`]);
    expect(root.body.configuration.admin_listen).toEqual([h.adminUrl.replace('http://', '')]);

    const status = await call(h.adminUrl, '/status');
    expect(status.status).toBe(200);
    expect(status.body.database).toEqual({ reachable: true });
    expect(status.body.server.connections_accepted).toBeGreaterThan(0);
    expect(status.body.server.connections_active).toBeGreaterThan(0);
    expect(status.body.server.total_requests).toBeGreaterThanOrEqual(40);
    expect(status.body.proxy).toMatchObject({ requests: 40, in_flight: 0, errors: 0, status: { '2xx': 40 } });
  });
});
