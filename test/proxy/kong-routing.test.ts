/**
 * Kong's routing through the real proxy: the path is normalised before matching (so no path
 * reaches a service its route does not match), https-only routes answer plain HTTP with 426 or a
 * redirect, and X-Forwarded-* arrive at a real backend as Kong's handler sets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';
import { request, startBackend, type Backend } from '../helpers/net.js';

describe('Kong routing through the proxy', () => {
  let admin: Backend;
  let pub: Backend;
  let proxy: ProxyServer;
  let port: number;
  const store = new Store();

  beforeAll(async () => {
    [admin, pub] = await Promise.all([startBackend('admin'), startBackend('public')]);
    store.dispatch({ op: 'service.create', fields: { name: 'admin', url: `http://${admin.address}` } });
    store.dispatch({ op: 'service.create', fields: { name: 'public', url: `http://${pub.address}/base` } });
    store.dispatch({ op: 'route.create', service: 'admin', fields: { name: 'admin', paths: ['/admin'] } });
    store.dispatch({ op: 'route.create', service: 'public', fields: { name: 'public', paths: ['/public'] } });
    store.dispatch({
      op: 'route.create',
      service: 'public',
      fields: { name: 'secure', hosts: ['secure.test'], protocols: ['https'] },
    });
    store.dispatch({
      op: 'route.create',
      service: 'public',
      fields: { name: 'moved', hosts: ['moved.test'], protocols: ['https'], https_redirect_status_code: 308 },
    });
    store.dispatch({
      op: 'route.create',
      service: 'admin',
      fields: { name: 'beta', paths: ['/public'], headers: { 'x-beta': ['yes', '~*^on$'] } },
    });
    store.dispatch({
      op: 'route.create',
      service: 'admin',
      fields: { name: 'legacy', paths: ['~/v(?<n>\\d+)/legacy'], strip_path: false },
    });
    proxy = new ProxyServer({ store, stats: new Stats(), host: '127.0.0.1', port: 0 });
    port = (await proxy.listen()).port;
  });

  afterAll(async () => {
    await proxy.close(100);
    await Promise.all([admin.close(), pub.close()]);
  });

  it('/public/../admin/secret reaches the admin service as /secret (sent raw: nothing normalises it client-side)', async () => {
    const before = admin.paths.length;
    const r = await request(port, { path: '/public/../admin/secret?x=%2F' });
    expect(r.body).toBe('admin');
    expect(admin.paths[before]).toBe('/secret?x=%2F');
    expect(admin.headers[before]!['x-forwarded-path']).toBe('/public/../admin/secret');
    expect(admin.headers[before]!['x-forwarded-prefix']).toBe('/admin');
  });

  it('matches /%70ublic/x as /public, and //public//x too; the upstream gets the normalised path', async () => {
    const before = pub.paths.length;
    expect((await request(port, { path: '/%70ublic/x' })).body).toBe('public');
    expect((await request(port, { path: '//public//x%20y' })).body).toBe('public');
    expect(pub.paths.slice(before)).toEqual(['/base/x', '/base/x%20y']);
  });

  it('refuses to let a dot segment climb out of a route: /admin/../public is the public route', async () => {
    const before = pub.paths.length;
    expect((await request(port, { path: '/admin/%2e%2e/public/y' })).body).toBe('public');
    expect(pub.paths[before]).toBe('/base/y');
  });

  it('header routes outrank the same path without headers; values without case, ~* a regex', async () => {
    expect((await request(port, { path: '/public/h', headers: { 'x-beta': 'YES' } })).body).toBe('admin');
    expect((await request(port, { path: '/public/h', headers: { 'x-beta': 'On' } })).body).toBe('admin');
    expect((await request(port, { path: '/public/h', headers: { 'x-beta': 'no' } })).body).toBe('public');
  });

  it('regex paths route, anchored at the start', async () => {
    const before = admin.paths.length;
    expect((await request(port, { path: '/v2/legacy/z' })).body).toBe('admin');
    expect(admin.paths[before]).toBe('/v2/legacy/z');
    expect((await request(port, { path: '/x/v2/legacy' })).status).toBe(404);
  });

  it("answers plain HTTP on an https-only route with Kong's 426", async () => {
    const hits = pub.hits;
    const r = await request(port, { host: 'secure.test', path: '/a?b=1' });
    expect(r.status).toBe(426);
    expect(JSON.parse(r.body)).toEqual({ message: 'Please use HTTPS protocol' });
    expect(r.headers.upgrade).toBe('TLS/1.2, HTTP/1.1');
    expect(pub.hits).toBe(hits);
  });

  it('or with its https_redirect_status_code: a redirect to https, the host without its port, the URI as received', async () => {
    const r = await request(port, { host: 'Moved.test:8080', path: '/a/../b?c=1' });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://moved.test/a/../b?c=1');
  });

  it("sets X-Forwarded-* and X-Real-IP as Kong does, replacing the client's (no trusted IPs) but appending to X-Forwarded-For", async () => {
    const before = pub.paths.length;
    await request(port, {
      host: 'Example.COM:9999',
      path: '/public/p?q=1',
      headers: {
        'x-forwarded-for': '10.1.2.3',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-port': '1',
        'x-forwarded-path': '/evil',
        'x-forwarded-prefix': '/evil',
      },
    });
    const h = pub.headers[before]!;
    expect({
      for: h['x-forwarded-for'],
      proto: h['x-forwarded-proto'],
      host: h['x-forwarded-host'],
      port: h['x-forwarded-port'],
      path: h['x-forwarded-path'],
      prefix: h['x-forwarded-prefix'],
      realIp: h['x-real-ip'],
    }).toEqual({
      for: '10.1.2.3, 127.0.0.1',
      proto: 'http',
      host: 'example.com',
      port: String(port),
      path: '/public/p',
      prefix: '/public',
      realIp: '127.0.0.1',
    });
    expect(pub.paths[before]).toBe('/base/p?q=1');
  });

  it('sends no X-Forwarded-Prefix when nothing was stripped', async () => {
    const before = admin.paths.length;
    await request(port, { path: '/v1/legacy', headers: { 'x-forwarded-prefix': '/evil' } });
    expect(admin.headers[before]!['x-forwarded-prefix']).toBeUndefined();
    expect(admin.headers[before]!['x-forwarded-for']).toBe('127.0.0.1');
  });
});
