/**
 * HAProxy as the data plane, for real: two haproxy processes on loopback in front of real
 * backends, steered by one HaproxyFleet through their runtime API sockets. Skipped (with a
 * message) when haproxy is not installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/core/router.js';
import { match, upstreamPath } from '../../src/core/table.js';
import { Store } from '../../src/core/store.js';
import { writeHaproxy } from '../../src/dataplane/haproxy/config.js';
import { desiredOf } from '../../src/dataplane/haproxy/desired.js';
import { HaproxyFleet } from '../../src/dataplane/haproxy/driver.js';
import { adminStateOf } from '../../src/dataplane/haproxy/runtime.js';
import { request, startBackend, type Backend } from '../helpers/net.js';
import { findHaproxy, freePort, startHaproxy, waitFor, type RunningHaproxy } from './haproxy-helpers.js';

const HAPROXY = findHaproxy();
if (!HAPROXY) console.warn('[haproxy.test] haproxy is not installed (not on PATH nor in /usr/sbin): skipping the HAProxy data-plane suite. Install it with `apt-get install haproxy`.');

describe.skipIf(!HAPROXY)('HAProxy data plane (two real instances)', () => {
  const bin = HAPROXY as string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-haproxy-'));
  const backends: Backend[] = [];
  let blue: Backend;
  let green: Backend;
  let green2: Backend;
  let api: Backend;
  const store = new Store();
  let fleet: HaproxyFleet;
  const hx: RunningHaproxy[] = [];
  const cfgs: { cfg: string; socket: string; port: number }[] = [];
  const log: string[] = [];

  /** Weights each instance has for backend be_web, by server name. */
  async function weights(h: RunningHaproxy): Promise<Record<string, { weight: number; state: string }>> {
    const out: Record<string, { weight: number; state: string }> = {};
    for (const r of await h.client.showServersState('be_web')) out[r.server] = { weight: r.weight, state: adminStateOf(r.adminState) };
    return out;
  }

  function desiredWeights(): Record<string, { weight: number; state: string }> {
    const out: Record<string, { weight: number; state: string }> = {};
    const b = desiredOf(store.table).backends.find((x) => x.name === 'be_web')!;
    for (const s of b.servers) out[s.name] = { weight: s.weight, state: s.state };
    return out;
  }

  function sameAsDesired(got: Record<string, { weight: number; state: string }>): boolean {
    const want = desiredWeights();
    if (Object.keys(got).length !== Object.keys(want).length) return false;
    // weight 0 takes no traffic whether ready or drained
    return Object.entries(want).every(([k, v]) => got[k]?.weight === v.weight && (v.weight === 0 ? got[k]?.state !== 'maint' : got[k]?.state === 'ready'));
  }

  async function count(port: number, n: number, p = '/', host = 'web.localhost'): Promise<Record<string, number>> {
    const c: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await request(port, { host, path: p });
      const k = r.status === 200 ? r.body : `status ${r.status}`;
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  }

  async function startInstance(i: number): Promise<RunningHaproxy> {
    const { cfg, socket, port } = cfgs[i]!;
    const h = await startHaproxy(bin, cfg, socket, port);
    hx[i] = h;
    return h;
  }

  beforeAll(async () => {
    [blue, green, green2, api] = await Promise.all([startBackend('blue'), startBackend('green'), startBackend('green2'), startBackend('api')]);
    backends.push(blue, green, green2, api);
    store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: blue.address, weight: 100 }] } });
    store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: green.address, weight: 100 }] } });
    store.dispatch({ op: 'upstream.create', fields: { name: 'api', targets: [{ target: api.address, weight: 100 }] } });
    store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue', upstreams: [{ name: 'blue', weight: 100 }, { name: 'green', weight: 0 }] } });
    store.dispatch({ op: 'service.create', fields: { name: 'api', host: 'api', path: '/base' } });
    store.dispatch({ op: 'route.create', service: 'web', fields: { name: 'web', hosts: ['web.localhost'] } });
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'api', hosts: ['web.localhost'], paths: ['/api'] } });
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'any-api', paths: ['/v1/api'] } });
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'wild-api', hosts: ['*.wild.localhost'], paths: ['/w', '/w.x/deep'] } });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const socket = path.join(dir, `hx${i}`, 'admin.sock');
      const cfg = writeHaproxy(path.join(dir, `hx${i}`), store.table, { bind: `127.0.0.1:${port}`, socket });
      cfgs.push({ cfg, socket, port });
    }
    await Promise.all([startInstance(0), startInstance(1)]);
    fleet = new HaproxyFleet(
      cfgs.map((c) => c.socket),
      { retryMs: 200, log: (l) => log.push(l) },
    );
    const first = await fleet.apply(store.table);
    expect(first).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await fleet?.close();
    await Promise.all(hx.map((h) => h?.kill()));
    await Promise.all(backends.map((b) => b.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('routes by host and longest path prefix, with strip_path and the service path, as the in-process proxy does', async () => {
    const cases: [string | undefined, string][] = [
      ['web.localhost', '/'],
      ['WEB.localhost:8080', '/x?q=1'],
      ['web.localhost', '/api'],
      ['web.localhost', '/api/'],
      ['web.localhost', '/api/users?id=3'],
      ['web.localhost', '/apix'],
      ['other.test', '/v1/api/z'],
      ['other.test', '/v1/api'],
      [undefined, '/v1/api/q?x'],
      ['other.test', '/nothing'],
      ['a.wild.localhost', '/w/x?y'],
      ['A.B.Wild.localhost:8080', '/w.x/deep/z'],
      ['a.wild.localhost', '/w.x/other'],
      ['a.wild.localhost', '/wx'],
      ['a.wild.localhost', '/v1/api/after-the-wildcard'],
      ['wild.localhost', '/w'],
      // Normalised before matching, as Kong does (normalize-uri): dot segments, %XX, double slashes.
      ['web.localhost', '/x/../api/y'],
      ['web.localhost', '/%61pi/y'],
      ['web.localhost', '//api//y'],
    ];
    for (const h of hx) {
      for (const [host, url] of cases) {
        const want = match(store.table, host, normalizePath(url.split('?')[0]!), 'GET');
        const before = api.paths.length;
        const r = await request(h.port, { host, path: url });
        if (want === undefined) {
          expect(r.status, `${host} ${url}`).toBe(404);
          expect(JSON.parse(r.body)).toEqual({ message: 'no Route matched with those values' });
          continue;
        }
        expect(r.status, `${host} ${url}`).toBe(200);
        expect(r.body).toBe(want.service!.name === 'api' ? 'api' : 'blue');
        if (want.service!.name === 'api') {
          expect(api.paths[before]).toBe(upstreamPath(want, url));
          const hd = api.headers[before]!;
          expect(
            [hd['x-forwarded-for'], hd['x-forwarded-host'], hd['x-forwarded-proto'], hd['x-forwarded-port']],
            `${host} ${url}`,
          ).toEqual([
            '127.0.0.1',
            (host ?? '127.0.0.1').toLowerCase().replace(/:\d+$/, ''),
            'http',
            String(h.port),
          ]);
        }
      }
    }
  });

  it('takes a wildcard route added at runtime, in front of the host-less routes, without a reload', async () => {
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'shop-any', hosts: ['shop.*'], paths: ['/v1'] } });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    for (const h of hx) {
      const before = api.paths.length;
      const r = await request(h.port, { host: 'shop.example.eu', path: '/v1/api/q' });
      expect(r.status).toBe(200);
      // shop.* matched first (strips /v1), not the host-less /v1/api route
      expect(api.paths[before]).toBe('/base/api/q');
    }
    store.dispatch({ op: 'route.delete', route: 'shop-any' });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    const before = api.paths.length;
    expect((await request(hx[0]!.port, { host: 'shop.example.eu', path: '/v1/api/q' })).status).toBe(200);
    expect(api.paths[before]).toBe('/base/q'); // now the host-less /v1/api route
  });

  it("matches route methods as the in-process proxy does, added at runtime, and names where Kong's priority differs", async () => {
    store.dispatch({
      op: 'route.create',
      service: 'api',
      fields: { name: 'm-get', hosts: ['web.localhost'], paths: ['/m'], methods: ['GET'] },
    });
    store.dispatch({
      op: 'route.create',
      service: 'web',
      fields: { name: 'm-long', hosts: ['web.localhost'], paths: ['/m/long'] },
    });
    store.dispatch({
      op: 'route.create',
      service: 'api',
      fields: { name: 'm-post', paths: ['/v1'], methods: ['POST', 'PUT'] },
    });
    store.dispatch({
      op: 'route.create',
      service: 'web',
      fields: { name: 'm-wild', hosts: ['*.wild.localhost'], paths: ['/w'], methods: ['DELETE'] },
    });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    const cases: [string, string, string][] = [
      ['GET', 'web.localhost', '/m/x'],
      ['OPTIONS', 'web.localhost', '/m/x'],
      ['POST', 'web.localhost', '/m/x'],
      ['POST', 'other.test', '/v1/x'],
      ['PUT', 'other.test', '/v1/api/x'],
      ['GET', 'other.test', '/v1/x'],
      ['PATCH', 'other.test', '/v1/api/x'],
      ['DELETE', 'a.wild.localhost', '/w/x'],
      ['GET', 'a.wild.localhost', '/w/x'],
    ];
    for (const h of hx) {
      for (const [method, host, url] of cases) {
        const want = match(store.table, host, url, method);
        const r = await request(h.port, { host, path: url, method });
        const got = r.status === 404 ? '404' : r.body === 'api' ? 'api' : r.status === 200 ? 'web' : `status ${r.status}`;
        const expected = want === undefined ? '404' : want.service!.name === 'api' ? 'api' : 'web';
        expect(got, `${method} ${host}${url}`).toBe(expected);
      }
    }
    // Kong 3 gives GET web.localhost/m/long/x to m-get (methods, hosts and paths outrank hosts and
    // paths, whatever the length); HAProxy's maps take the longest prefix. Not silent: a warning.
    expect(desiredOf(store.table).warnings).toContain(
      "route m-long: HAProxy's maps give it requests Kong routes to m-get (Kong's priority counts methods, hosts, headers and paths before path length)",
    );
    expect(match(store.table, 'web.localhost', '/m/long/x', 'GET')?.name).toBe('m-get');
    expect((await request(hx[0]!.port, { host: 'web.localhost', path: '/m/long/x' })).body).not.toBe('api');
    for (const name of ['m-get', 'm-long', 'm-post', 'm-wild'])
      store.dispatch({ op: 'route.delete', route: name });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
  });

  it('shifts 80/20 through both instances at once', async () => {
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 80 }, { name: 'green', weight: 20 }] });
    const r = await fleet.apply(store.table);
    expect(r.ok).toBe(true);
    expect(desiredWeights()).toEqual({ [`blue_127.0.0.1_${blue.port}`]: { weight: 256, state: 'ready' }, [`green_127.0.0.1_${green.port}`]: { weight: 64, state: 'ready' } });
    const before = await fleet.report();
    const counts = await Promise.all(hx.map((h) => count(h.port, 200)));
    for (const c of counts) {
      expect(c['blue']! + c['green']!).toBe(200);
      // roundrobin over weights 256:64 is exact over every 5 picks (±1 at the window's edge)
      expect(Math.abs(c['blue']! - 160)).toBeLessThanOrEqual(2);
    }
    // the live counts from `show stat`, summed over the fleet, add up to what the clients saw
    const after = await fleet.report();
    const delta = (name: string) => {
      const key = (r: Awaited<ReturnType<HaproxyFleet['report']>>) => r.targets.find((t) => t.upstream === name)!;
      return key(after).requests - key(before).requests;
    };
    expect(delta('blue')).toBe(counts[0]!['blue']! + counts[1]!['blue']!);
    expect(delta('green')).toBe(counts[0]!['green']! + counts[1]!['green']!);
    const g = after.targets.find((t) => t.upstream === 'green')!;
    expect(g).toMatchObject({ target: green.address, healthy: true, errors: 0 });
    expect(g.status!['2xx']).toBeGreaterThanOrEqual(delta('green'));
    expect(after.instances.map((i) => [i.reachable, i.drift, i.appliedVersion])).toEqual([
      [true, [], store.table.version],
      [true, [], store.table.version],
    ]);
  });

  it('switches blue → green and back under concurrent load through both instances: no failed request, no reload', async () => {
    const infoBefore = await Promise.all(hx.map((h) => h.client.showInfo()));
    let stop = false;
    const failures: string[] = [];
    const seen: Record<string, number> = {};
    let answered = 0;
    const worker = async (port: number) => {
      while (!stop) {
        try {
          const r = await request(port, { host: 'web.localhost' });
          if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
          else seen[r.body] = (seen[r.body] ?? 0) + 1;
        } catch (e) {
          failures.push(String(e));
        }
        answered++;
      }
    };
    // Traffic through every state, counted in requests rather than milliseconds: 16 answers after
    // each change before the next. With 8 workers, at most 8 of them were sent before the change.
    const flowing = async (what: string) => {
      const from = answered;
      await waitFor(`16 answers under load ${what}`, async () => answered >= from + 16, 15_000, 5);
    };
    const load = hx.flatMap((h) => [0, 1, 2, 3].map(() => worker(h.port)));
    await flowing('before the first switch');
    for (let i = 0; i < 10; i++) {
      store.dispatch({ op: 'service.update', service: 'web', fields: { host: i % 2 === 0 ? 'green' : 'blue' } });
      expect((await fleet.apply(store.table)).ok).toBe(true);
      await flowing(`after switch ${i + 1}`);
    }
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } });
    expect((await fleet.apply(store.table)).ok).toBe(true);
    await flowing('after the last switch');
    stop = true;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(seen['blue']).toBeGreaterThan(0);
    expect(seen['green']).toBeGreaterThan(0);
    // once applied, every new request goes to green, through both instances
    for (const h of hx) expect(await count(h.port, 40)).toEqual({ green: 40 });
    expect(desiredWeights()[`blue_127.0.0.1_${blue.port}`]).toEqual({ weight: 0, state: 'drain' });
    for (const h of hx) expect(await weights(h)).toEqual(desiredWeights());
    // no reload: same processes, same start time, uptime going on
    const infoAfter = await Promise.all(hx.map((h) => h.client.showInfo()));
    infoAfter.forEach((info, i) => {
      expect(info.Pid).toBe(String(hx[i]!.pid));
      expect(info.Start_time_sec).toBe(infoBefore[i]!.Start_time_sec);
      expect(Number(info.Uptime_sec)).toBeGreaterThanOrEqual(Number(infoBefore[i]!.Uptime_sec));
    });
  });

  it('adds a new target as a dynamic server on every instance, and removes it again, without a reload', async () => {
    store.dispatch({ op: 'target.create', upstream: 'green', fields: { target: green2.address, weight: 100 } });
    expect((await fleet.apply(store.table)).ok).toBe(true);
    for (const h of hx) {
      const c = await count(h.port, 40);
      expect(c).toEqual({ green: 20, green2: 20 });
    }
    store.dispatch({ op: 'target.delete', upstream: 'green', target: green2.address });
    expect((await fleet.apply(store.table)).ok).toBe(true);
    for (const h of hx) expect(await count(h.port, 20)).toEqual({ green: 20 });
    // the server is gone (or, while HAProxy still holds idle connections to it, in maint until it can be deleted)
    await waitFor(
      'the removed server to be deleted',
      async () => {
        for (const h of hx) if ((await h.client.showServersState('be_web')).some((r) => r.server.includes(String(green2.port)))) return false;
        return true;
      },
      15_000,
      200,
    );
    const r = await fleet.report();
    expect(r.instances.every((i) => i.drift.length === 0)).toBe(true);
  });

  it('adds and changes routes at runtime through the map', async () => {
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'v2', hosts: ['web.localhost'], paths: ['/v2'], strip_path: false } });
    expect((await fleet.apply(store.table)).ok).toBe(true);
    for (const h of hx) {
      const before = api.paths.length;
      const r = await request(h.port, { host: 'web.localhost', path: '/v2/thing' });
      expect(r.body).toBe('api');
      expect(api.paths[before]).toBe('/base/v2/thing');
    }
  });

  it('detects a weight changed behind its back (drift) on that instance only, and re-applies it', async () => {
    const server = `green_127.0.0.1_${green.port}`;
    await hx[0]!.client.setWeight('be_web', server, 12);
    const r = await fleet.report();
    expect(r.instances[0]!.drift).toEqual([`web: green/${green.address} weight 12, expected 256`]);
    expect(r.instances[1]!.drift).toEqual([]);
    const again = await fleet.reapply();
    expect(again.ok).toBe(true);
    expect((await weights(hx[0]!))[server]).toEqual({ weight: 256, state: 'ready' });
    expect((await fleet.report()).instances.map((i) => i.drift)).toEqual([[], []]);
  });

  it("answers switchyard's JSON 503 naming the service when it has nothing to send to, not HAProxy's page", async () => {
    const before = store.state.services.find((x) => x.name === 'web')!.upstreams;
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 0 }, { name: 'green', weight: 0 }], force: true });
    try {
      expect((await fleet.apply(store.table)).ok).toBe(true);
      for (const h of hx) {
        const r = await request(h.port, { host: 'web.localhost', path: '/x"y' });
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body)).toEqual({
          message: 'no available target for route web.localhost/x"y (service web): every target has weight 0, is stopped or unhealthy, or there are none',
        });
      }
    } finally {
      store.dispatch({ op: 'service.split', service: 'web', split: before, force: true });
      expect((await fleet.apply(store.table)).ok).toBe(true);
    }
  });

  it('pins a request to one upstream with X-Switchyard-Upstream, whatever its weight, as in-process', async () => {
    const split = store.state.services.find((x) => x.name === 'web')!.upstreams;
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 100 }, { name: 'green', weight: 0 }] });
    store.dispatch({ op: 'target.create', upstream: 'green', fields: { target: green2.address, weight: 100 } });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    for (const h of hx) {
      const pinned: Record<string, number> = {};
      for (let i = 0; i < 40; i++) {
        const r = await request(h.port, { host: 'web.localhost', headers: { 'x-switchyard-upstream': 'green' } });
        pinned[r.body] = (pinned[r.body] ?? 0) + 1;
      }
      // every pinned request on green (weight 0), spread over both of its targets
      expect(Object.keys(pinned).sort()).toEqual(['green', 'green2']);
      expect(await count(h.port, 5)).toEqual({ blue: 5 });
      const r = await request(h.port, { host: 'web.localhost', headers: { 'x-switchyard-upstream': 'nope' } });
      expect([r.status, JSON.parse(r.body)]).toEqual([404, { message: "no app or upstream 'nope' on this route" }]);
    }
    store.dispatch({ op: 'target.delete', upstream: 'green', target: green2.address });
    store.dispatch({ op: 'service.split', service: 'web', split: split ?? [] });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    for (const h of hx) expect(await count(h.port, 4, '/', 'web.localhost')).not.toHaveProperty('green2');
  });

  it('serves a service added later on a spare backend of every instance, without a reload, and frees it when the service goes', async () => {
    const pids = hx.map((h) => h.pid);
    store.dispatch({ op: 'service.create', fields: { name: 'late', host: 'api' } });
    store.dispatch({ op: 'route.create', service: 'late', fields: { name: 'late', hosts: ['late.localhost'] } });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    for (const h of hx) {
      expect(await count(h.port, 3, '/', 'late.localhost')).toEqual({ api: 3 });
      expect((await h.client.showServersState('sy_spare_1')).map((r) => r.server)).toEqual([`api_127.0.0.1_${api.port}`]);
    }
    expect((await fleet.report()).instances.map((i) => [i.drift, i.reloadNeeded])).toEqual([
      [[], null],
      [[], null],
    ]);
    // A second switchyard (a restart) reads the placement back from the instances and keeps it
    // (a fresh placement would pick the empty sy_spare_2 first).
    const other = new HaproxyFleet(cfgs.map((c) => c.socket));
    try {
      expect(await other.apply(store.table)).toMatchObject({ ok: true });
      for (const h of hx) {
        expect((await h.client.showServersState('sy_spare_1')).length).toBe(1);
        expect(await h.client.showServersState('sy_spare_2')).toEqual([]);
      }
      expect((await other.report()).instances.map((i) => i.drift)).toEqual([[], []]);
    } finally {
      await other.close();
    }
    store.dispatch({ op: 'route.delete', route: 'late' });
    store.dispatch({ op: 'service.delete', service: 'late' });
    await fleet.apply(store.table);
    for (const h of hx) {
      expect((await request(h.port, { host: 'late.localhost' })).status).toBe(404);
      await waitFor('the spare to be emptied', async () => (await h.client.showServersState('sy_spare_1')).length === 0);
    }
    // The next new service takes the freed spare.
    store.dispatch({ op: 'service.create', fields: { name: 'later', host: 'green' } });
    store.dispatch({ op: 'route.create', service: 'later', fields: { name: 'later', hosts: ['later.localhost'] } });
    expect(await fleet.apply(store.table)).toMatchObject({ ok: true });
    for (const h of hx) expect(await count(h.port, 2, '/', 'later.localhost')).toEqual({ green: 2 });
    expect(hx.map((h) => h.pid)).toEqual(pids);
    store.dispatch({ op: 'route.delete', route: 'later' });
    store.dispatch({ op: 'service.delete', service: 'later' });
    expect((await fleet.apply(store.table)).ok).toBe(true);
  });

  it('keeps steering the others while one instance is down, and catches it up when it restarts', async () => {
    await hx[1]!.kill();
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 50 }, { name: 'green', weight: 50 }] });
    store.dispatch({ op: 'target.create', upstream: 'blue', fields: { target: green2.address, weight: 100 } });
    const r = await fleet.apply(store.table);
    expect(r.ok).toBe(false);
    expect(r.perInstance[0]).toEqual({ id: cfgs[0]!.socket, ok: true });
    expect(r.perInstance[1]).toMatchObject({ id: cfgs[1]!.socket, ok: false });
    expect(r.perInstance[1]!.error).toMatch(/unreachable/);
    expect(sameAsDesired(await weights(hx[0]!))).toBe(true);
    const c = await count(hx[0]!.port, 40);
    expect(c).toEqual({ blue: 10, green2: 10, green: 20 });
    const rep = await fleet.report();
    expect(rep.instances[1]).toMatchObject({ reachable: false, appliedVersion: null });
    expect(rep.instances[0]).toMatchObject({ reachable: true, drift: [], appliedVersion: store.table.version });
    expect(log.some((l) => l.includes(cfgs[1]!.socket) && l.includes('unreachable'))).toBe(true);

    // restarted from the configuration it was started with: old weights, no green2, no /v2 route
    // (The fleet retries every second, so it may catch the instance up before we even look.)
    const h = await startInstance(1);
    await waitFor('the restarted instance to be caught up', async () => sameAsDesired(await weights(h)), 15_000, 100);
    await waitFor('the fleet to see it', async () => {
      const rep2 = await fleet.report();
      return rep2.instances[1]!.reachable && rep2.instances[1]!.drift.length === 0 && rep2.instances[1]!.appliedVersion === store.table.version;
    });
    expect(await count(h.port, 40)).toEqual({ blue: 10, green2: 10, green: 20 });
    const before = api.paths.length;
    expect((await request(h.port, { host: 'web.localhost', path: '/v2/x' })).body).toBe('api');
    expect(api.paths[before]).toBe('/base/v2/x');
    expect(log.some((l) => l.includes(cfgs[1]!.socket) && l.includes('caught up'))).toBe(true);
  });

  it('notices an instance that restarted between two looks (new pid) and catches it up', async () => {
    // The main fleet stops; a fleet whose retry timer never fires within the test: only its restart check can catch up.
    await fleet.close();
    const quiet = new HaproxyFleet([cfgs[0]!.socket], { retryMs: 60_000 });
    try {
      expect((await quiet.apply(store.table)).ok).toBe(true);
      await hx[0]!.kill();
      const h = await startInstance(0);
      expect(sameAsDesired(await weights(h))).toBe(false);
      await quiet.report();
      await waitFor('the restarted instance to be caught up', async () => sameAsDesired(await weights(h)), 15_000, 100);
      expect((await quiet.report()).instances[0]).toMatchObject({ reachable: true, drift: [], appliedVersion: store.table.version });
    } finally {
      await quiet.close();
    }
  });
});
