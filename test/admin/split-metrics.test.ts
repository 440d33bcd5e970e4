/** switchyard's split extension over JSON and form bodies, /stats and /metrics after traffic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formToObject } from '../../src/admin/body.js';
import { backend, call, form, json, spread, start, type Backend, type Harness } from './harness.js';

const HOST = 'app.example.test';

describe('form bodies as Kong reads them', () => {
  const parse = (q: string) => formToObject(new URLSearchParams(q));

  it('builds arrays, records and nulls from keys', () => {
    expect(parse('hosts[]=a&hosts[]=b')).toEqual({ hosts: ['a', 'b'] });
    expect(parse('hosts=a&hosts=b')).toEqual({ hosts: ['a', 'b'] });
    expect(parse('hosts=a')).toEqual({ hosts: 'a' });
    expect(parse('service.id=abc&name=r')).toEqual({ service: { id: 'abc' }, name: 'r' });
    expect(
      parse('upstreams[2].name=green&upstreams[1].name=blue&upstreams[1].weight=80&upstreams[2].weight=20'),
    ).toEqual({
      upstreams: [
        { name: 'blue', weight: '80' },
        { name: 'green', weight: '20' },
      ],
    });
    expect(parse('path=')).toEqual({ path: null });
  });

  it('keeps hostile keys as plain data', () => {
    const o = parse('__proto__.polluted=1&constructor.prototype.x=1&__proto__[1]=2');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(o).sort()).toEqual(['__proto__', 'constructor']);
  });
});

describe('split extension and metrics', () => {
  let h: Harness;
  let b: Backend[];

  beforeAll(async () => {
    h = await start();
    b = await Promise.all(['blue', 'green'].map(backend));
    for (const x of b) {
      expect((await call(h.adminUrl, '/upstreams', form({ name: x.name }))).status).toBe(201);
      expect(
        (await call(h.adminUrl, `/upstreams/${x.name}/targets`, form({ target: x.address }))).status,
      ).toBe(201);
    }
    expect((await call(h.adminUrl, '/services', form({ name: 'app', host: 'blue' }))).status).toBe(201);
    expect(
      (await call(h.adminUrl, '/routes', form({ name: 'app-route', 'hosts[]': HOST, 'service.name': 'app' })))
        .status,
    ).toBe(201);
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all((b ?? []).map((x) => x.close()));
  });

  it('splits by JSON, by form, and moves 100% with host=', { timeout: 15_000 }, async () => {
    const j = await call(
      h.adminUrl,
      '/services/app',
      json(
        {
          upstreams: [
            { name: 'blue', weight: 80 },
            { name: 'green', weight: 20 },
          ],
        },
        'PATCH',
      ),
    );
    expect(j.status).toBe(200);
    expect(j.body.upstreams).toEqual([
      { name: 'blue', weight: 80 },
      { name: 'green', weight: 20 },
    ]);
    expect(await spread(h.proxyPort, HOST, 10)).toEqual({ blue: 8, green: 2 });

    const f = await call(
      h.adminUrl,
      '/services/app',
      form(
        [
          ['upstreams[1].name', 'blue'],
          ['upstreams[1].weight', '50'],
          ['upstreams[2].name', 'green'],
          ['upstreams[2].weight', '50'],
        ],
        'PATCH',
      ),
    );
    expect(f.status).toBe(200);
    expect(f.body.upstreams).toEqual([
      { name: 'blue', weight: 50 },
      { name: 'green', weight: 50 },
    ]);
    expect(await spread(h.proxyPort, HOST, 10)).toEqual({ blue: 5, green: 5 });

    const bad = await call(
      h.adminUrl,
      '/services/app',
      json({ upstreams: [{ name: 'nope', weight: 1 }] }, 'PATCH'),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ 'upstreams[0].name': "no upstream named 'nope'" });

    const g = await call(h.adminUrl, '/services/app', form({ host: 'green' }, 'PATCH'));
    expect(g.status).toBe(200);
    expect(g.body.upstreams).toEqual([
      { name: 'blue', weight: 0 },
      { name: 'green', weight: 100 },
    ]);
    expect(await spread(h.proxyPort, HOST, 4)).toEqual({ green: 4 });
  });

  it('reports named stats', { timeout: 5000 }, async () => {
    const s = await call(h.adminUrl, '/stats');
    expect(s.status).toBe(200);
    expect(s.body.total.requests).toBe(24);
    const svc = h.store.state.services[0];
    expect(s.body.services[svc?.id ?? '']).toMatchObject({ name: 'app', requests: 24 });
    const names = Object.values(
      s.body.targets as Record<string, { name: string; upstream: string; requests: number }>,
    ).map((t) => [t.upstream, t.requests]);
    expect(names.sort()).toEqual([
      ['blue', 13],
      ['green', 11],
    ]);
  });

  it('exposes Prometheus series read at scrape time', { timeout: 5000 }, async () => {
    const res = await fetch(`${h.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const [blue, green] = b as [Backend, Backend];
    for (const line of [
      'switchyard_requests_total{route="",service=""} 0',
      'switchyard_requests_total{route="app-route",service="app"} 24',
      `switchyard_target_requests_total{upstream="green",target="${green.address}"} 11`,
      `switchyard_target_requests_total{upstream="blue",target="${blue.address}"} 13`,
      'switchyard_responses_total{route="app-route",service="app",class="2xx"} 24',
      'switchyard_in_flight{route="app-route",service="app"} 0',
      'switchyard_request_duration_seconds_count{route="app-route",service="app"} 24',
      `switchyard_target_weight{upstream="green",target="${green.address}"} 100`,
      'switchyard_upstream_weight{service="app",upstream="blue"} 0',
      'switchyard_upstream_weight{service="app",upstream="green"} 100',
      'kong_http_requests_total{service="app",route="app-route",code="200",source="service",workspace="default",consumer=""} 24',
    ]) {
      expect(text).toContain(line);
    }
    // Percentiles and rates are the UI's: Prometheus computes its own from the histogram and counters.
    expect(text).not.toMatch(/switchyard_latency_p99_ms|switchyard_request_rate/);
  });
});
