/**
 * GET /apps and GET /app-routes say what share of a route each app really gets: the share the
 * proxy sends it. A stopped app, or one whose every target is down, gets 0% and the others grow.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backend, call, json, spread, start, type Backend, type Harness } from './harness.js';

let h: Harness;
let backends: Backend[];

beforeEach(async () => {
  h = await start();
  backends = await Promise.all([backend('app-v1'), backend('app-v2')]);
  for (const b of backends) {
    // An app given by an address (push --target); the supervisor would admit the address once it answers.
    expect((await call(h.adminUrl, '/apps', json({ name: b.name, targets: [b.address], no_route: true }))).status).toBe(201);
    h.store.dispatch({ op: 'target.create', upstream: b.name, fields: { target: b.address } });
    expect((await call(h.adminUrl, `/apps/${b.name}/routes`, json({ route: 'my-app.example.com', weight: 1 }))).status).toBe(200);
  }
});

afterEach(async () => {
  await h.close();
  await Promise.all(backends.map((b) => b.close()));
});

async function percents(): Promise<Record<string, number>> {
  const apps = (await call(h.adminUrl, '/apps')).body.data as { name: string; routes: { percent: number }[] }[];
  const routes = (await call(h.adminUrl, '/app-routes')).body.data[0].apps as { name: string; percent: number }[];
  // Both endpoints give the same shares.
  expect(Object.fromEntries(routes.map((a) => [a.name, a.percent]))).toEqual(Object.fromEntries(apps.map((a) => [a.name, a.routes[0]?.percent])));
  return Object.fromEntries(routes.map((a) => [a.name, a.percent]));
}

describe('app shares over the admin API', () => {
  it('a stopped address app gets 0% and its route serves the other; with both stopped, 0% and 503', async () => {
    expect(await percents()).toEqual({ 'app-v1': 50, 'app-v2': 50 });
    expect(await spread(h.proxyPort, 'my-app.example.com', 4)).toEqual({ 'app-v1': 2, 'app-v2': 2 });

    expect((await call(h.adminUrl, '/apps/app-v1/stop', { method: 'POST' })).status).toBe(200);
    expect(await percents()).toEqual({ 'app-v1': 0, 'app-v2': 100 });
    expect(await spread(h.proxyPort, 'my-app.example.com', 4)).toEqual({ 'app-v2': 4 });

    expect((await call(h.adminUrl, '/apps/app-v2/stop', { method: 'POST' })).status).toBe(200);
    expect(await percents()).toEqual({ 'app-v1': 0, 'app-v2': 0 });
    expect(await spread(h.proxyPort, 'my-app.example.com', 2)).toEqual({ 'status 503': 2 });
  });

  it('an app whose only address is marked down gets 0%, as the proxy sends it nothing', async () => {
    const v2 = backends[1]!;
    expect((await call(h.adminUrl, `/upstreams/app-v2/targets/${v2.address}/unhealthy`, { method: 'POST' })).status).toBe(204);
    expect(await percents()).toEqual({ 'app-v1': 100, 'app-v2': 0 });
    expect(await spread(h.proxyPort, 'my-app.example.com', 4)).toEqual({ 'app-v1': 4 });
  });
});
