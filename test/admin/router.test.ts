/** The admin router alone: typed params, static segments first, and Kong's HEAD/OPTIONS/405/404. */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ok } from '../../src/admin/kong.js';
import { Router } from '../../src/admin/router.js';

const request = (method: string, url: string, headers: http.IncomingHttpHeaders = {}) =>
  ({ method, url, headers }) as http.IncomingMessage;
const admitAll = () => undefined;

describe('Router', () => {
  it('hands each :param decoded, and prefers a static segment over a param wherever it was registered', async () => {
    const r = new Router();
    r.on('GET', '/upstreams/:u/targets/:t', ({ params }) => ok({ one: [params.u, params.t] }));
    r.on('GET', '/upstreams/:u/targets/all', ({ params }) => ok({ all: params.u }));
    expect(
      (await r.dispatch(request('GET', '/upstreams/a%20b/targets/10.0.0.1%3A80'), admitAll)).body,
    ).toEqual({ one: ['a b', '10.0.0.1:80'] });
    expect((await r.dispatch(request('GET', '/upstreams/u1/targets/all'), admitAll)).body).toEqual({
      all: 'u1',
    });
    // Empty segments do not count: a trailing or doubled slash names the same path.
    expect((await r.dispatch(request('GET', '/upstreams/u1//targets/all/'), admitAll)).body).toEqual({
      all: 'u1',
    });
  });

  it('answers HEAD as GET, OPTIONS with what the path allows, 405 for another method, 404 for no path', async () => {
    const r = new Router();
    r.on('GET', '/routes', () => ok('list'));
    r.on('POST', '/routes', () => ok('made'));
    expect((await r.dispatch(request('HEAD', '/routes'), admitAll)).body).toBe('list');
    const options = await r.dispatch(request('OPTIONS', '/routes'), admitAll);
    expect(options.status).toBe(204);
    expect(options.headers).toMatchObject({
      allow: 'GET, HEAD, OPTIONS, POST',
      'access-control-allow-origin': '*',
    });
    expect(await r.dispatch(request('DELETE', '/routes'), admitAll)).toEqual({
      status: 405,
      body: { message: 'Method not allowed' },
    });
    expect(await r.dispatch(request('GET', '/nowhere'), admitAll)).toEqual({
      status: 404,
      body: { message: 'Not found' },
    });
    expect(await r.dispatch(request('GET', '/routes/%E0%A4%A'), admitAll)).toEqual({
      status: 404,
      body: { message: 'Not found' },
    });
  });

  it('lets admit refuse a request that has a handler, before the handler runs', async () => {
    const r = new Router();
    let ran = false;
    r.on('POST', '/undo', () => {
      ran = true;
      return ok('undone');
    });
    const refused = { status: 403, body: { message: 'switchyard is read-only' } };
    expect(await r.dispatch(request('POST', '/undo'), (m) => (m === 'POST' ? refused : undefined))).toBe(
      refused,
    );
    expect(ran).toBe(false);
    // A request with no handler is not the admit hook's to answer.
    expect((await r.dispatch(request('POST', '/nowhere'), () => refused)).status).toBe(404);
  });
});
