/**
 * With a target (or a whole upstream) down, the split over what is left is still exact: the
 * request path makes one smooth-weighted-round-robin pass that skips what cannot take traffic,
 * never a pick followed by a second pick when the first one was down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, json, start, type Harness } from '../admin/harness.js';
import { startBackend, tally, type Backend } from '../helpers/net.js';

let h: Harness | undefined;
const backends: Backend[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function named(...names: string[]): Promise<Backend[]> {
  const list = await Promise.all(names.map((n) => startBackend(n)));
  backends.push(...list);
  return list;
}

async function ok(path: string, init?: RequestInit): Promise<void> {
  const r = await call(h!.adminUrl, path, init);
  expect(r.status, `${init?.method ?? 'GET'} ${path}: ${r.text}`).toBeLessThan(300);
}

describe('the split with a target down', () => {
  it('targets 5/3/2 with the 3 marked unhealthy: exactly 500/200 per 700 requests', { timeout: 30_000 }, async () => {
    h = await start();
    const [a, b, c] = await named('a', 'b', 'c');
    await ok('/upstreams', json({ name: 'pool' }));
    await ok('/upstreams/pool/targets', json({ target: a!.address, weight: 5 }));
    await ok('/upstreams/pool/targets', json({ target: b!.address, weight: 3 }));
    await ok('/upstreams/pool/targets', json({ target: c!.address, weight: 2 }));
    await ok('/services', json({ name: 's', host: 'pool' }));
    await ok('/services/s/routes', json({ hosts: ['pool.localhost'] }));
    // A whole rotation with all three up, then the 3 goes down.
    expect(await tally(h.proxyPort, 'pool.localhost', 10)).toEqual({ a: 5, b: 3, c: 2 });

    await ok(`/upstreams/pool/targets/${b!.address}/unhealthy`, { method: 'POST' });
    const seen = await tally(h.proxyPort, 'pool.localhost', 700);
    expect(seen).toEqual({ a: 500, c: 200 });
    expect(b!.hits).toBe(3);
  });

  it('upstreams 5/3/2 with every target of the 3 down: exactly 500/200 per 700 requests', { timeout: 30_000 }, async () => {
    h = await start();
    const [blue, green, red] = await named('blue', 'green', 'red');
    for (const [name, be] of [['blue', blue], ['green', green], ['red', red]] as const) {
      await ok('/upstreams', json({ name }));
      await ok(`/upstreams/${name}/targets`, json({ target: be!.address }));
    }
    h.store.dispatch({
      op: 'service.create',
      fields: { name: 'web', host: 'blue', upstreams: [{ name: 'blue', weight: 5 }, { name: 'green', weight: 3 }, { name: 'red', weight: 2 }] },
    });
    await ok('/services/web/routes', json({ hosts: ['web.localhost'] }));
    expect(await tally(h.proxyPort, 'web.localhost', 10)).toEqual({ blue: 5, green: 3, red: 2 });

    await ok(`/upstreams/green/targets/${green!.address}/unhealthy`, { method: 'POST' });
    expect(await tally(h.proxyPort, 'web.localhost', 700)).toEqual({ blue: 500, red: 200 });
    expect(green!.hits).toBe(3);
  });
});
