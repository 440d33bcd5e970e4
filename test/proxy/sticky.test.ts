/**
 * Kong's balancing algorithms and the sticky split, through the real proxy: users (a header, a
 * cookie) keep their upstream and target while weights stay, move only where the issue says they
 * may, and least-connections / latency prefer the fast target. Shares, never times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { start, type Harness } from '../admin/harness.js';
import { request, startBackend, type Backend } from '../helpers/net.js';

let h: Harness | undefined;
const backends: Backend[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h!.adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: res.status === 204 ? null : ((await res.json()) as Record<string, unknown>),
  };
}

async function backend(name: string, delayMs?: number): Promise<Backend> {
  const b = await startBackend(name, delayMs ? { delayMs } : {});
  backends.push(b);
  return b;
}

async function upstream(name: string, targets: Backend[], fields: Record<string, unknown> = {}) {
  expect((await api('POST', '/upstreams', { name, ...fields })).status).toBe(201);
  for (const t of targets)
    expect((await api('POST', `/upstreams/${name}/targets`, { target: t.address, weight: 100 })).status).toBe(
      201,
    );
}

async function route(service: Record<string, unknown>) {
  expect((await api('POST', '/services', { name: 'shop', ...service })).status).toBe(201);
  expect((await api('POST', '/services/shop/routes', { hosts: ['shop.test'] })).status).toBe(201);
}

/** Where each user's request lands (the backend's name), `batch` users at a time. */
async function where(
  users: readonly string[],
  headers: (u: string) => Record<string, string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < users.length; i += 50) {
    const replies = await Promise.all(
      users.slice(i, i + 50).map((u) => request(h!.proxyPort, { host: 'shop.test', headers: headers(u) })),
    );
    replies.forEach((r, j) => {
      expect(r.status).toBe(200);
      out.set(users[i + j] as string, r.body);
    });
  }
  return out;
}

const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);
/** The same users in another order: a split by rotation alone would send them elsewhere. */
const rotated = (list: readonly string[], by: number) => [...list.slice(by), ...list.slice(0, by)];
const byHeader = (u: string) => ({ 'x-user': u });

describe('a sticky split between upstreams', () => {
  it('hash_on header, 90/10: every user keeps its upstream; at 70/30 green users stay; back at 90/10 all are where they were', async () => {
    h = await start();
    const blue = await backend('blue');
    const green = await backend('green');
    await upstream('blue', [blue]);
    await upstream('green', [green]);
    const split = (b: number, g: number) => [
      { name: 'blue', weight: b },
      { name: 'green', weight: g },
    ];
    await route({ host: 'blue', upstreams: split(90, 10), hash_on: 'header', hash_on_header: 'X-User' });
    const all = users(600);
    const first = await where(all, byHeader);
    expect(await where(rotated(all, 7), byHeader)).toEqual(first);
    const onGreen = all.filter((u) => first.get(u) === 'green');
    // Roughly 10% (binomial over 600: far inside 30..100).
    expect(onGreen.length).toBeGreaterThan(30);
    expect(onGreen.length).toBeLessThan(100);

    expect((await api('PATCH', '/services/shop', { upstreams: split(70, 30) })).status).toBe(200);
    const wider = await where(rotated(all, 13), byHeader);
    for (const u of onGreen) expect(wider.get(u), u).toBe('green');
    const nowGreen = all.filter((u) => wider.get(u) === 'green').length;
    expect(nowGreen).toBeGreaterThan(onGreen.length);

    expect((await api('PATCH', '/services/shop', { upstreams: split(90, 10) })).status).toBe(200);
    expect(await where(rotated(all, 29), byHeader)).toEqual(first);
  });

  it('hash_on cookie: the first response sets the cookie with Path=/, and with it the client stays', async () => {
    h = await start();
    const blue = await backend('blue');
    const green = await backend('green');
    await upstream('blue', [blue]);
    await upstream('green', [green]);
    await route({
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 50 },
        { name: 'green', weight: 50 },
      ],
      hash_on: 'cookie',
      hash_on_cookie: 'sy_user',
    });
    const seen = new Set<string>();
    for (let client = 0; client < 20; client++) {
      const first = await request(h.proxyPort, { host: 'shop.test' });
      expect(first.status).toBe(200);
      const set = first.headers['set-cookie'] ?? [];
      expect(set).toHaveLength(1);
      expect(set[0]).toMatch(/^sy_user=[0-9a-f-]{36}; Path=\/; SameSite=Lax; HttpOnly$/);
      const cookie = (set[0] as string).split(';')[0] as string;
      seen.add(first.body);
      for (let i = 0; i < 10; i++) {
        const again = await request(h.proxyPort, {
          host: 'shop.test',
          headers: { cookie: `other=1; ${cookie}` },
        });
        expect(again.body).toBe(first.body);
        expect(again.headers['set-cookie']).toBeUndefined();
      }
    }
    // Twenty new clients at 50/50 all landing on one side: one chance in half a million.
    expect(seen).toEqual(new Set(['blue', 'green']));
  });
});

describe("an upstream's algorithm", () => {
  it("takes Kong's form-encoded fields, and refuses a wrong combination naming the field, creating nothing", async () => {
    h = await start();
    const form = (body: string) =>
      fetch(`${h!.adminUrl}/upstreams`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const bad = await form('name=pool&hash_on=header');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      name: 'schema violation',
      fields: { hash_on_header: "required when hash_on is 'header'" },
    });
    expect((await api('GET', '/upstreams')).json!.data).toEqual([]);
    const ok = await form('name=pool&hash_on=cookie&hash_on_cookie=sy_user&hash_on_cookie_path=/shop');
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({
      algorithm: 'consistent-hashing',
      hash_on: 'cookie',
      hash_on_cookie: 'sy_user',
      hash_on_cookie_path: '/shop',
      hash_fallback: 'none',
    });
  });

  it("consistent-hashing over 3 targets: roughly even; deleting one moves none of the others' users; an unhealthy one moves only its own", async () => {
    h = await start();
    const ts = [await backend('a'), await backend('b'), await backend('c')];
    await upstream('pool', ts, { hash_on: 'header', hash_on_header: 'x-user' });
    expect((await api('GET', '/upstreams/pool')).json).toMatchObject({
      algorithm: 'consistent-hashing',
      hash_on: 'header',
      hash_on_header: 'x-user',
      hash_fallback: 'none',
      hash_on_cookie_path: '/',
    });
    await route({ host: 'pool' });
    const all = users(600);
    const first = await where(all, byHeader);
    for (const name of ['a', 'b', 'c']) {
      const n = all.filter((u) => first.get(u) === name).length;
      expect(n, name).toBeGreaterThan(140);
      expect(n, name).toBeLessThan(260);
    }

    // Marked unhealthy: c's users move, nobody else does; healthy again, they come back.
    expect((await api('PUT', `/upstreams/pool/targets/${ts[2]!.address}/unhealthy`)).status).toBe(204);
    const down = await where(rotated(all, 7), byHeader);
    for (const u of all) {
      if (first.get(u) === 'c') expect(down.get(u)).not.toBe('c');
      else expect(down.get(u), u).toBe(first.get(u));
    }
    expect((await api('PUT', `/upstreams/pool/targets/${ts[2]!.address}/healthy`)).status).toBe(204);
    expect(await where(rotated(all, 11), byHeader)).toEqual(first);

    expect((await api('DELETE', `/upstreams/pool/targets/${ts[1]!.address}`)).status).toBe(204);
    const after = await where(rotated(all, 5), byHeader);
    const others = all.filter((u) => first.get(u) !== 'b');
    const moved = others.filter((u) => after.get(u) !== first.get(u)).length;
    expect(moved / others.length).toBeLessThanOrEqual(0.05);
  });

  it.each([
    [
      'query_arg',
      { hash_on: 'query_arg', hash_on_query_arg: 'u' },
      (u: string) => ({ path: `/items/${u.length}?x=1&u=${encodeURIComponent(u)}` }),
    ],
    [
      'uri_capture',
      { hash_on: 'uri_capture', hash_on_uri_capture: 'user' },
      (u: string) => ({ path: `/users/${u}/cart` }),
    ],
    ['path', { hash_on: 'path' }, (u: string) => ({ path: `/users/${u}` })],
    [
      'a header, else the query (hash_fallback)',
      {
        hash_on: 'header',
        hash_on_header: 'x-none',
        hash_fallback: 'query_arg',
        hash_fallback_query_arg: 'u',
      },
      (u: string) => ({ path: `/?u=${u}` }),
    ],
  ])('consistent-hashing on %s: each key keeps its target, and the keys spread', async (_, fields, req) => {
    h = await start();
    const ts = [await backend('a'), await backend('b'), await backend('c')];
    await upstream('pool', ts, fields);
    expect((await api('POST', '/services', { name: 'shop', host: 'pool' })).status).toBe(201);
    expect(
      (
        await api('POST', '/services/shop/routes', {
          hosts: ['shop.test'],
          paths: ['~/users/(?<user>[^/]+)', '/'],
          strip_path: false,
        })
      ).status,
    ).toBe(201);
    const all = users(60);
    const once = async (list: readonly string[]) => {
      const out = new Map<string, string>();
      for (const u of list) out.set(u, (await request(h!.proxyPort, { host: 'shop.test', ...req(u) })).body);
      return out;
    };
    const first = await once(all);
    expect(await once(rotated(all, 7))).toEqual(first);
    expect(new Set(first.values())).toEqual(new Set(['a', 'b', 'c']));
  });

  it('least-connections sends most requests to the fast target beside one that takes 150 ms', async () => {
    h = await start();
    const fast = await backend('fast');
    const slow = await backend('slow', 150);
    await upstream('pool', [fast, slow], { algorithm: 'least-connections' });
    await route({ host: 'pool' });
    const got: string[] = [];
    // Four clients, each sending its next request when the last one is answered.
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        for (let i = 0; i < 50; i++) got.push((await request(h!.proxyPort, { host: 'shop.test' })).body);
      }),
    );
    expect(got.filter((b) => b === 'fast').length / got.length).toBeGreaterThanOrEqual(0.8);
  });

  it('latency sends most requests to the fast target beside one that takes 150 ms', async () => {
    h = await start();
    const fast = await backend('fast');
    const slow = await backend('slow', 150);
    await upstream('pool', [fast, slow], { algorithm: 'latency' });
    await route({ host: 'pool' });
    const got: string[] = [];
    for (let i = 0; i < 60; i++) got.push((await request(h.proxyPort, { host: 'shop.test' })).body);
    expect(got.filter((b) => b === 'fast').length / got.length).toBeGreaterThanOrEqual(0.8);
  });
});
