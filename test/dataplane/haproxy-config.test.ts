/**
 * The HAProxy data plane without traffic: weights on HAProxy's scale, names, route maps, the
 * plan an instance gets (order, drift, reload needed), the configuration HAProxy accepts, the
 * runtime API parsing; and the in-process proxy behind the same boundary.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { match } from '../../src/core/table.js';
import { exportHaproxy, haproxyConfig, writeHaproxy } from '../../src/dataplane/haproxy/config.js';
import { HAPROXY_MAX_WEIGHT, desiredOf, pinsOf, toHaproxyWeights, type Desired } from '../../src/dataplane/haproxy/desired.js';
import { HaproxyFleet } from '../../src/dataplane/haproxy/driver.js';
import { plan, type Actual } from '../../src/dataplane/haproxy/plan.js';
import { connectOptions, parseStat, type ServerStateRow } from '../../src/dataplane/haproxy/runtime.js';
import { InProcessDataPlane } from '../../src/dataplane/in-process.js';
import { summarize } from '../../src/dataplane/types.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';
import { request, startBackend } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';
import { findHaproxy, freePort, startHaproxy } from './haproxy-helpers.js';

const HAPROXY = findHaproxy();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-hacfg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scene(): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001', weight: 100 }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002', weight: 100 }, { target: '[::1]:3003', weight: 1 }] } });
  store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue', upstreams: [{ name: 'blue', weight: 80 }, { name: 'green', weight: 20 }] } });
  store.dispatch({ op: 'service.create', fields: { name: 'api', host: 'blue', path: '/base' } });
  store.dispatch({ op: 'service.create', fields: { name: 'lit', host: '10.0.0.9', port: 8080 } });
  store.dispatch({ op: 'route.create', service: 'web', fields: { name: 'web', hosts: ['Web.Example.com'] } });
  store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'api', hosts: ['web.example.com'], paths: ['/api/v1'] } });
  store.dispatch({ op: 'route.create', service: 'lit', fields: { name: 'lit', paths: ['/lit'], methods: ['GET'], strip_path: false } });
  store.dispatch({ op: 'route.create', service: 'lit', fields: { name: 'wild', hosts: ['*.wild.test'] } });
  return store;
}

/** The instance's maps for a desired state, as `config export` writes them (spares: none placed). */
function mapsOf(d: Desired, spares: ReadonlyMap<string, string> = new Map()): Actual['maps'] {
  const pins = pinsOf(d);
  const entries: [string, ReadonlyMap<string, string>][] = [
    ['switchyard-hosts.map', d.hosts],
    ['switchyard-paths.map', d.paths],
    ['switchyard-wildcards.map', d.wildcards],
    ['switchyard-host-methods.map', d.hostMethods],
    ['switchyard-wildcard-methods.map', d.wildcardMethods],
    ['switchyard-path-methods.map', d.pathMethods],
    ['switchyard-pins.map', pins.servers],
    ['switchyard-pin-counts.map', pins.counts],
    ['switchyard-spares.map', spares],
  ];
  return Object.fromEntries(entries.map(([name, m]) => [name, { file: `/x/${name}`, entries: new Map(m) }]));
}

/** The same maps without one (a configuration that predates it), or with other entries in it. */
function withMap(a: Actual, name: string, entries: ReadonlyMap<string, string> | null): Actual {
  const maps = { ...a.maps };
  if (entries === null) delete maps[name];
  else maps[name] = { file: `/x/${name}`, entries };
  return { ...a, maps };
}

/** What an instance started from the exported config has. */
function actualOf(d: Desired): Actual & { servers: ServerStateRow[] } {
  const servers: ServerStateRow[] = d.backends.flatMap((b) =>
    b.servers.map((s) => ({ backend: b.name, server: s.name, addr: s.host, port: s.port, opState: 2, adminState: 0, weight: s.weight, initialWeight: s.weight })),
  );
  return {
    backends: new Set([...d.backends.map((b) => b.name), 'switchyard_unavailable', 'sy_spare_1', 'sy_spare_2']),
    servers,
    staticSignature: d.staticSignature,
    maps: mapsOf(d),
  };
}

/** What an instance has after a plan ran on it (servers, maps, placement), as the planner sees it. */
function after(a: Actual, p: ReturnType<typeof plan>): Actual {
  const d = p.desired;
  const servers: ServerStateRow[] = d.backends
    .filter((b) => a.backends.has(b.name))
    .flatMap((b) => b.servers.map((s) => ({ backend: b.name, server: s.name, addr: s.host, port: s.port, opState: 2, adminState: s.weight > 0 ? 0 : 8, weight: s.weight, initialWeight: s.weight })));
  const spares = p.steps.find((s) => s.kind === 'map' && s.map.endsWith('spares.map'));
  return { ...a, servers, maps: mapsOf(d, spares?.kind === 'map' ? spares.entries : a.maps['switchyard-spares.map']?.entries) };
}

function commands(p: ReturnType<typeof plan>): string[] {
  return p.steps.map((s) => (s.kind === 'cmd' ? s.command : `replace map ${s.map}`));
}

describe('weights on HAProxy scale', () => {
  it('puts the heaviest at 256, keeps proportions, and never turns a non-zero weight into 0', () => {
    expect(toHaproxyWeights([80, 20])).toEqual([256, 64]);
    expect(toHaproxyWeights([65535, 1])).toEqual([256, 1]);
    expect(toHaproxyWeights([0, 5])).toEqual([0, 256]);
    expect(toHaproxyWeights([0, 0])).toEqual([0, 0]);
    expect(toHaproxyWeights([1, 1, 1])).toEqual([256, 256, 256]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 12 }), (ws) => {
        const out = toHaproxyWeights(ws);
        ws.forEach((w, i) => {
          const o = out[i] as number;
          expect(o >= 0 && o <= HAPROXY_MAX_WEIGHT).toBe(true);
          expect(o === 0).toBe(w === 0);
          ws.forEach((v, j) => {
            if (w >= v) expect(o).toBeGreaterThanOrEqual(out[j] as number);
          });
        });
        if (ws.some((w) => w > 0)) expect(Math.max(...out)).toBe(256);
      }),
    );
  });

  it('weights each server by both levels: upstream share × target share', () => {
    const d = desiredOf(scene().table);
    const web = d.backends.find((b) => b.name === 'be_web')!;
    expect(web.servers.map((s) => [s.name, s.upstream, s.target, s.weight, s.state])).toEqual([
      ['blue_127.0.0.1_3001', 'blue', '127.0.0.1:3001', 256, 'ready'],
      // 20% × 100/101 against 80%
      ['green_127.0.0.1_3002', 'green', '127.0.0.1:3002', 63, 'ready'],
      // 20% × 1/101 is 0.6 on this scale: still 1, never 0
      ['green_--1_3003', 'green', '[::1]:3003', 1, 'ready'],
    ]);
    expect(web.servers[2]).toMatchObject({ host: '::1', port: 3003 });
    expect(d.backends.find((b) => b.name === 'be_lit')!.servers.map((s) => s.name)).toEqual(['literal_10.0.0.9_8080']);
  });

  it('drains a stopped app and a switched-away upstream (weight 0)', () => {
    const store = new Store();
    store.dispatch({ op: 'app.push', fields: { name: 'app-v1', targets: ['127.0.0.1:3001'], route: 'my-app.example.com' } });
    store.dispatch({ op: 'app.push', fields: { name: 'app-v2', targets: ['127.0.0.1:3002'], no_route: true } });
    store.dispatch({ op: 'app.map-route', app: 'app-v2', route: 'my-app.example.com', weight: 1 });
    // The supervisor adds an address once it answers; here, by hand.
    store.dispatch({ op: 'target.create', upstream: 'app-v1', fields: { target: '127.0.0.1:3001' } });
    store.dispatch({ op: 'target.create', upstream: 'app-v2', fields: { target: '127.0.0.1:3002' } });
    const servers = () => desiredOf(store.table).backends.flatMap((b) => b.servers.map((s) => [s.upstream, s.weight, s.state]));
    expect(servers()).toEqual([
      ['app-v1', 256, 'ready'],
      ['app-v2', 256, 'ready'],
    ]);
    store.dispatch({ op: 'app.stop', app: 'app-v1' });
    expect(servers()).toEqual([
      ['app-v1', 0, 'drain'],
      ['app-v2', 256, 'ready'],
    ]);
  });
});

describe('routes as maps', () => {
  it('keys host (lower-case, no port) + path prefix, values backend|strip|service path; says what it cannot express', () => {
    const d = desiredOf(scene().table);
    expect([...d.hosts]).toEqual([
      ['web.example.com/', 'be_web|0|'],
      ['web.example.com/api/v1', 'be_api|7|/base'],
    ]);
    // lit takes GET only: it is in the GET@ maps, with every route that takes GET, and not in the plain ones.
    expect([...d.paths]).toEqual([]);
    expect([...d.pathMethods]).toEqual([['GET@/lit', 'be_lit|0|']]);
    expect([...d.hostMethods]).toEqual([
      ['GET@web.example.com/', 'be_web|0|'],
      ['GET@web.example.com/api/v1', 'be_api|7|/base'],
    ]);
    expect([...d.wildcards]).toEqual([['^[^/]*[.]wild[.]test/', 'be_lit|0|']]);
    expect([...d.wildcardMethods]).toEqual([['^GET@[^/]*[.]wild[.]test/', 'be_lit|0|']]);
    // GET web.example.com/lit: Kong 3 picks lit (methods + paths outrank a host alone); HAProxy's
    // host tier comes first. Said, not routed differently in silence.
    expect(d.warnings).toEqual([
      "route web: HAProxy's maps give it requests Kong routes to lit (Kong's priority counts methods, hosts, headers and paths before path length)",
      "route wild: HAProxy's maps give it requests Kong routes to lit (Kong's priority counts methods, hosts, headers and paths before path length)",
    ]);
  });

  it('lists, for the pin header, each upstream of each backend with its targets above weight 0, at any upstream weight', () => {
    const store = scene();
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 1 }, { name: 'green', weight: 0 }] });
    store.dispatch({ op: 'target.create', upstream: 'green', fields: { target: '127.0.0.1:3009', weight: 0 } });
    const pins = pinsOf(desiredOf(store.table));
    expect([...pins.counts].filter(([k]) => k.startsWith('be_web/'))).toEqual([
      ['be_web/blue', '1'],
      ['be_web/green', '2'],
    ]);
    expect([...pins.servers].filter(([k]) => k.startsWith('be_web/'))).toEqual([
      ['be_web/blue/0', 'blue_127.0.0.1_3001'],
      ['be_web/green/0', 'green_127.0.0.1_3002'],
      ['be_web/green/1', 'green_--1_3003'],
    ]);
  });

  it('writes wildcard hosts as regular expressions without backslashes, in the order the proxy tries them', () => {
    const store = scene();
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'wild-api', hosts: ['*.wild.test', 'shop.*'], paths: ['/a.b', '/a.b/c+d'] } });
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'odd', hosts: ['*.odd.test'], paths: ['/x^y'] } });
    const d = desiredOf(store.table);
    expect([...d.wildcards]).toEqual([
      ['^[^/]*[.]wild[.]test/a[.]b/c[+]d', 'be_api|8|/base'],
      ['^shop[.][^/]*/a[.]b/c[+]d', 'be_api|8|/base'],
      ['^[^/]*[.]wild[.]test/a[.]b', 'be_api|4|/base'],
      ['^shop[.][^/]*/a[.]b', 'be_api|4|/base'],
      ['^[^/]*[.]wild[.]test/', 'be_lit|0|'],
    ]);
    expect(d.warnings).toContain('route odd: path "/x^y" has a character (] \\ ^) a wildcard route cannot hold in HAProxy; not routed');
    // The same choice as the in-process matcher, for hosts and paths of every kind.
    const re = [...d.wildcards].map(([k, v]) => [new RegExp(k), v] as const);
    for (const [host, p] of [['a.wild.test', '/a.b/c+d/e'], ['x.y.wild.test', '/a.b'], ['a.wild.test', '/axb'], ['shop.eu', '/a.b/c'], ['shop.eu', '/'], ['wild.test', '/']] as const) {
      const inProcess = match(store.table, host, p, 'GET');
      const viaMap = re.find(([r]) => r.test(host + p))?.[1];
      const expected = inProcess && !inProcess.route.hosts?.some((h) => h === host) ? `be_${inProcess.service!.name}` : undefined;
      expect(viaMap?.split('|')[0], `${host}${p}`).toBe(expected);
    }
  });

  it('sends a route without a service to the 503 backend', () => {
    const store = new Store();
    store.dispatch({ op: 'route.create', fields: { name: 'orphan', hosts: ['o.test'] } });
    expect([...desiredOf(store.table).hosts]).toEqual([['o.test/', 'switchyard_unavailable|0|']]);
  });
});

describe('the plan for one instance', () => {
  it('is empty, with no drift, for an instance started from the exported configuration', () => {
    const d = desiredOf(scene().table);
    const p = plan(d, actualOf(d));
    expect(p).toMatchObject({ steps: [], drift: [], reloadNeeded: [] });
  });

  it('switches blue → green by raising green before lowering blue', () => {
    const store = scene();
    const before = desiredOf(store.table);
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } });
    const d = desiredOf(store.table);
    const p = plan(d, actualOf(before));
    expect(commands(p)).toEqual([
      'set server be_web/green_127.0.0.1_3002 weight 256',
      'set server be_web/green_--1_3003 weight 3',
      'set server be_web/blue_127.0.0.1_3001 state drain',
      'set server be_web/blue_127.0.0.1_3001 weight 0',
    ]);
    expect(p.drift).toEqual([
      'web: blue/127.0.0.1:3001 weight 256, expected 0',
      'web: green/127.0.0.1:3002 weight 63, expected 256',
      'web: green/[::1]:3003 weight 1, expected 3',
    ]);
  });

  it('adds new targets as dynamic servers and removes old ones (maint, then del server)', () => {
    const store = scene();
    const before = desiredOf(store.table);
    store.dispatch({ op: 'target.create', upstream: 'blue', fields: { target: '127.0.0.1:3004', weight: 100 } });
    store.dispatch({ op: 'target.delete', upstream: 'green', target: '[::1]:3003' });
    const p = plan(desiredOf(store.table), actualOf(before));
    expect(commands(p)).toEqual([
      // blue: 80% over two targets, green: 20% on one
      'add server be_web/blue_127.0.0.1_3004 127.0.0.1:3004 weight 256',
      'set server be_web/blue_127.0.0.1_3004 state ready',
      'set server be_web/green_127.0.0.1_3002 weight 128',
      'add server be_api/blue_127.0.0.1_3004 127.0.0.1:3004 weight 256',
      'set server be_api/blue_127.0.0.1_3004 state ready',
      // a pinned request may now take the new target, and no longer the old one
      'replace map /x/switchyard-pins.map',
      'replace map /x/switchyard-pin-counts.map',
      'set server be_web/green_--1_3003 state maint',
      'del server be_web/green_--1_3003',
    ]);
    expect(p.steps.at(-1)).toMatchObject({ soft: true });
    expect(p.drift).toContain('web: server green_--1_3003 (::1:3003, weight 1, ready) is not in switchyard\'s table');
  });

  it('replaces a route map atomically when routes change, and reports the difference', () => {
    const store = scene();
    const before = desiredOf(store.table);
    store.dispatch({ op: 'route.update', route: 'api', fields: { paths: ['/api/v2'] } });
    const p = plan(desiredOf(store.table), actualOf(before));
    expect(commands(p)).toEqual(['replace map /x/switchyard-hosts.map', 'replace map /x/switchyard-host-methods.map']);
    expect(p.drift).toEqual([
      'route web.example.com/api/v2 missing from switchyard-hosts.map',
      "route web.example.com/api/v1 → be_api|7|/base is not in switchyard's table",
      'route GET@web.example.com/api/v2 missing from switchyard-host-methods.map',
      "route GET@web.example.com/api/v1 → be_api|7|/base is not in switchyard's table",
    ]);
  });

  it('places a new service on a spare backend: its servers, its routes and the placement, no reload', () => {
    const store = scene();
    const before = desiredOf(store.table);
    store.dispatch({ op: 'service.create', fields: { name: 'late', host: 'green' } });
    store.dispatch({ op: 'route.create', service: 'late', fields: { name: 'late', hosts: ['late.test'] } });
    const p = plan(desiredOf(store.table), actualOf(before));
    expect(p.reloadNeeded).toEqual([]);
    expect(commands(p)).toEqual([
      'add server sy_spare_1/green_127.0.0.1_3002 127.0.0.1:3002 weight 256',
      'set server sy_spare_1/green_127.0.0.1_3002 state ready',
      'add server sy_spare_1/green_--1_3003 [::1]:3003 weight 3',
      'set server sy_spare_1/green_--1_3003 state ready',
      'replace map /x/switchyard-spares.map',
      'replace map /x/switchyard-hosts.map',
      'replace map /x/switchyard-host-methods.map',
      'replace map /x/switchyard-pins.map',
      'replace map /x/switchyard-pin-counts.map',
    ]);
    const pins = p.steps.find((s) => s.kind === 'map' && s.map.endsWith('/switchyard-pins.map'));
    expect(pins?.kind === 'map' && [...pins.entries].filter(([k]) => k.startsWith('sy_spare_1/'))).toEqual([
      ['sy_spare_1/green/0', 'green_127.0.0.1_3002'],
      ['sy_spare_1/green/1', 'green_--1_3003'],
    ]);
    const spares = p.steps.find((s) => s.kind === 'map' && s.map.endsWith('spares.map'));
    expect(spares?.kind === 'map' && [...spares.entries]).toEqual([['sy_spare_1', 'late']]);
    expect(p.desired.hosts.get('late.test/')).toBe('sy_spare_1|0|');
    // Read back (as the next sync, or another switchyard, would): the same place, nothing to do.
    const again = plan(desiredOf(store.table), after(actualOf(before), p));
    expect(again).toMatchObject({ steps: [], drift: [], reloadNeeded: [] });
  });

  it('frees a spare when its service goes (servers removed), and the next new service takes it', () => {
    const store = scene();
    const base = actualOf(desiredOf(store.table));
    store.dispatch({ op: 'service.create', fields: { name: 'late', host: 'green' } });
    store.dispatch({ op: 'service.create', fields: { name: 'later', host: 'api' } });
    const placed = after(base, plan(desiredOf(store.table), base));
    expect([...placed.maps['switchyard-spares.map']!.entries]).toEqual([['sy_spare_1', 'late'], ['sy_spare_2', 'later']]);
    store.dispatch({ op: 'service.delete', service: 'late' });
    const p = plan(desiredOf(store.table), placed);
    expect(commands(p)).toEqual([
      'replace map /x/switchyard-spares.map',
      'replace map /x/switchyard-pins.map',
      'replace map /x/switchyard-pin-counts.map',
      'set server sy_spare_1/green_127.0.0.1_3002 state maint',
      'del server sy_spare_1/green_127.0.0.1_3002',
      'set server sy_spare_1/green_--1_3003 state maint',
      'del server sy_spare_1/green_--1_3003',
    ]);
    expect(p.pendingRemovals).toBe(2);
    const spares = p.steps.find((s) => s.kind === 'map');
    expect(spares?.kind === 'map' && [...spares.entries]).toEqual([['sy_spare_2', 'later']]);
    // `later` stays where it is; a newer service gets spare 1 once its old servers are gone.
    store.dispatch({ op: 'service.create', fields: { name: 'newest', host: 'blue' } });
    const freed = { ...withMap(placed, 'switchyard-spares.map', new Map([['sy_spare_2', 'later']])), servers: placed.servers.filter((r) => r.backend !== 'sy_spare_1') };
    const q = plan(desiredOf(store.table), freed);
    expect(commands(q)[0]).toBe('add server sy_spare_1/blue_127.0.0.1_3001 127.0.0.1:3001 weight 256');
    expect(q.reloadNeeded).toEqual([]);
  });

  it('says "reload needed" when every spare is taken, for a spare service with its own timeouts, and for changed timeouts; steers the rest', () => {
    const store = scene();
    const before = desiredOf(store.table);
    for (const name of ['late1', 'late2', 'late3']) store.dispatch({ op: 'service.create', fields: { name, host: 'green' } });
    store.dispatch({ op: 'service.update', service: 'late2', fields: { connect_timeout: 2000 } });
    store.dispatch({ op: 'service.update', service: 'api', fields: { read_timeout: 1000 } });
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 50 }, { name: 'green', weight: 50 }] });
    const p = plan(desiredOf(store.table), actualOf(before));
    expect(p.reloadNeeded).toEqual([
      'service late3 has no backend be_late3, and all 2 spare backends are in use',
      "service late2 runs on spare backend sy_spare_2 with Kong's defaults (60 s timeouts, 5 retries, no health checks); its own settings need a reload",
      'service api: timeouts, retries or health checks changed since the configuration was written',
    ]);
    expect(commands(p)).toContain('set server be_web/green_127.0.0.1_3002 weight 253');
    expect(commands(p)).toContain('add server sy_spare_1/green_127.0.0.1_3002 127.0.0.1:3002 weight 256');
  });

  it('says "reload needed" for a new service on a configuration written without spares', () => {
    const store = scene();
    const before = actualOf(desiredOf(store.table));
    store.dispatch({ op: 'service.create', fields: { name: 'late', host: 'green' } });
    const p = plan(desiredOf(store.table), withMap(before, 'switchyard-spares.map', null));
    expect(p.reloadNeeded).toEqual(['service late has no backend be_late (added after the configuration was written)']);
    expect(p.steps).toEqual([]);
  });

  it('replaces the wildcard map when only the order of its entries changed (the first match wins)', () => {
    const store = scene();
    store.dispatch({ op: 'route.create', service: 'api', fields: { name: 'w2', hosts: ['*.two.test'] } });
    const d = desiredOf(store.table);
    const reversed = new Map([...d.wildcards].reverse());
    const p = plan(d, withMap(actualOf(d), 'switchyard-wildcards.map', reversed));
    expect(commands(p)).toEqual(['replace map /x/switchyard-wildcards.map']);
    // A configuration exported before wildcard maps existed: said, not half-done.
    const old = plan(d, withMap(actualOf(d), 'switchyard-wildcards.map', null));
    expect(old.reloadNeeded).toEqual(['wildcard hosts need switchyard-wildcards.map, which the running configuration predates; re-export and reload']);
  });

  it('puts a target marked unhealthy by hand in maint (no traffic, no pin), and back when marked healthy', () => {
    const store = scene();
    const before = desiredOf(store.table);
    const h = store.table.upstreams.find((u) => u.name === 'green')!.targets.find((t) => t.address === '127.0.0.1:3002')!.health;
    Object.assign(h, { healthy: false, markSeq: 1 });
    const d = desiredOf(store.table);
    const p = plan(d, actualOf(before));
    expect(commands(p)).toEqual([
      'replace map /x/switchyard-pins.map',
      'replace map /x/switchyard-pin-counts.map',
      'set server be_web/green_127.0.0.1_3002 state maint',
    ]);
    expect(pinsOf(d).counts.get('be_web/green')).toBe('1');
    Object.assign(h, { healthy: true });
    const back = plan(desiredOf(store.table), { ...actualOf(before), servers: actualOf(before).servers.map((r) => (r.server === 'green_127.0.0.1_3002' ? { ...r, adminState: 1 } : r)) });
    expect(commands(back)).toContain('set server be_web/green_127.0.0.1_3002 state ready');
  });

  it('forces every weight, state and map on reapply', () => {
    const d = desiredOf(scene().table);
    const p = plan(d, actualOf(d), true);
    expect(p.drift).toEqual([]);
    expect(commands(p)).toContain('set server be_web/blue_127.0.0.1_3001 weight 256');
    expect(commands(p)).toContain('set server be_web/blue_127.0.0.1_3001 state ready');
    expect(commands(p)).toContain('replace map /x/switchyard-paths.map');
  });

  it('flags a configuration not written by switchyard', () => {
    const d = desiredOf(scene().table);
    const p = plan(d, withMap(actualOf(d), 'switchyard-hosts.map', null));
    expect(p.reloadNeeded).toEqual(['no switchyard-hosts.map: the running configuration was not written by switchyard (config export --format haproxy); routes are not steered']);
  });
});

describe('the configuration', () => {
  it('has one roundrobin backend per service, the maps, the runtime socket and its signature', () => {
    const store = scene();
    const exp = exportHaproxy(store.table, { bind: '127.0.0.1:8000', socket: '/run/sy/admin.sock' });
    const cfg = exp.config;
    expect(cfg).toContain('stats socket /run/sy/admin.sock mode 600 level admin expose-fd listeners');
    expect(cfg).toContain('bind 127.0.0.1:8000');
    expect(cfg).toContain('map_beg(/run/sy/switchyard-hosts.map)');
    expect(cfg).toMatch(/backend be_web {2}# service web\n {4}balance roundrobin/);
    expect(cfg).toContain('server green_--1_3003 [::1]:3003 weight 1');
    expect(cfg).toContain('server literal_10.0.0.9_8080 10.0.0.9:8080 weight 256');
    expect(cfg).toMatch(/set-var-fmt proc.switchyard_static "be_web=[0-9a-f]{10};be_api=[0-9a-f]{10};be_lit=[0-9a-f]{10};sy_spare_1=[0-9a-f]{10};.*;sy_spare_16=[0-9a-f]{10}"/);
    expect(cfg).toMatch(/backend sy_spare_16 {2}# spare: .*\n {4}balance roundrobin\n {4}retries 5\n {4}timeout connect 60000ms/);
    expect(cfg).toContain('map(/run/sy/switchyard-spares.map) if FALSE');
    expect(exp.files['/run/sy/switchyard-spares.map']).toMatch(/^#[^\n]*\n$/);
    expect(
      exportHaproxy(store.table, { bind: '127.0.0.1:8000', socket: '/run/sy/admin.sock', spares: 0 }).config,
    ).not.toContain('sy_spare');
    expect(cfg).toContain("#   - route web: HAProxy's maps give it requests Kong routes to lit");
    expect(cfg).toContain('var(txn.sy_mkey),map_beg(/run/sy/switchyard-host-methods.map)');
    expect(exp.files['/run/sy/switchyard-path-methods.map']).toContain('\nGET@/lit be_lit|0|\n');
    expect(cfg).toContain('var(txn.sy_key),map_reg(/run/sy/switchyard-wildcards.map) if !{ var(txn.sy_route) -m found }');
    expect(exp.files['/run/sy/switchyard-wildcards.map']).toContain('\n^[^/]*[.]wild[.]test/ be_lit|0|\n');
    expect(exp.files['/run/sy/switchyard-pin-counts.map']).toContain('\nbe_web/green 2\n');
    expect(exp.files['/run/sy/switchyard-pins.map']).toContain('\nbe_web/green/1 green_--1_3003\n');
    expect(cfg).toContain('use-server %[var(txn.sy_pinsrv)] if { var(txn.sy_pinsrv) -m found }');
    expect(exp.files['/run/sy/switchyard-hosts.map']).toContain('web.example.com/api/v1 be_api|7|/base\n');
    expect(haproxyConfig(store.table, { bind: '127.0.0.1:8000', socket: '/run/sy/admin.sock' })).toBe(cfg);
  });

  it.skipIf(!HAPROXY)('is accepted by haproxy -c (unix and TCP runtime sockets, health checks)', () => {
    const store = scene();
    store.dispatch({ op: 'upstream.update', upstream: 'blue', fields: { healthchecks: { active: { http_path: '/health', healthy: { interval: 2, successes: 2 }, unhealthy: { interval: 1, http_failures: 3 } } } } });
    for (const socket of [path.join(tmp, 'a', 'admin.sock'), '127.0.0.1:19999']) {
      const cfg = writeHaproxy(path.join(tmp, socket.includes(':') ? 'tcp' : 'a'), store.table, { bind: '127.0.0.1:18000', socket });
      const text = fs.readFileSync(cfg, 'utf8');
      expect(text).toContain('option httpchk GET /health');
      expect(text).toContain('check inter 2000 fall 3 rise 2');
      const r = spawnSync(HAPROXY as string, ['-c', '-f', cfg], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('Configuration file is valid');
      expect(r.status).toBe(0);
    }
  });

  it.skipIf(!HAPROXY)('can be steered over a TCP runtime socket', async () => {
    const store = scene();
    const port = await freePort();
    const admin = `127.0.0.1:${await freePort()}`;
    const cfg = writeHaproxy(path.join(tmp, 'tcp-run'), store.table, { bind: `127.0.0.1:${port}`, socket: admin });
    const h = await startHaproxy(HAPROXY as string, cfg, admin, port);
    const fleet = new HaproxyFleet([admin]);
    try {
      store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } });
      expect(await fleet.apply(store.table)).toEqual({ ok: true, version: store.table.version, perInstance: [{ id: admin, ok: true }] });
      const rows = await h.client.showServersState('be_web');
      expect(rows.map((r) => [r.server, r.weight])).toEqual([
        ['blue_127.0.0.1_3001', 0],
        ['green_127.0.0.1_3002', 256],
        ['green_--1_3003', 3],
      ]);
    } finally {
      await fleet.close();
      await h.kill();
    }
  });
});

describe('the runtime API client', () => {
  it('tells unix sockets from host:port', () => {
    expect(connectOptions('/run/haproxy/admin.sock')).toEqual({ path: '/run/haproxy/admin.sock' });
    expect(connectOptions('unix:rel/admin.sock')).toEqual({ path: 'rel/admin.sock' });
    expect(connectOptions('admin.sock')).toEqual({ path: 'admin.sock' });
    expect(connectOptions('10.0.0.5:9999')).toEqual({ host: '10.0.0.5', port: 9999 });
    expect(connectOptions('[::1]:9999')).toEqual({ host: '::1', port: 9999 });
    expect(connectOptions('lb1.internal:9999')).toEqual({ host: 'lb1.internal', port: 9999 });
  });

  it('parses show stat by column name', () => {
    const csv = [
      '# pxname,svname,qcur,scur,stot,econ,eresp,status,weight,rate,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,addr,',
      'be_web,blue_127.0.0.1_3001,2,1,120,2,1,UP,256,7,0,110,0,3,5,127.0.0.1:3001,',
      'be_web,BACKEND,0,1,120,2,1,UP,256,7,0,110,0,3,5,,',
      '',
    ].join('\n');
    expect(parseStat(csv)[0]).toEqual({
      pxname: 'be_web',
      svname: 'blue_127.0.0.1_3001',
      stot: 120,
      rate: 7,
      hrsp: { '1xx': 0, '2xx': 110, '3xx': 0, '4xx': 3, '5xx': 5 },
      econ: 2,
      eresp: 1,
      status: 'UP',
      weight: 256,
      scur: 1,
      qcur: 2,
      addr: '127.0.0.1:3001',
    });
  });

  it('reports an instance that does not answer as unreachable, and the fleet result per instance', async () => {
    const fleet = new HaproxyFleet([path.join(tmp, 'nobody.sock')], { timeoutMs: 300 });
    try {
      const r = await fleet.apply(scene().table);
      expect(r.ok).toBe(false);
      expect(r.perInstance[0]!.error).toMatch(/^unreachable: .*ENOENT/);
      expect(summarize(r)).toMatch(/nobody\.sock: unreachable/);
      const rep = await fleet.report();
      expect(rep.instances[0]).toMatchObject({ reachable: false, appliedVersion: null, drift: [] });
      expect(rep.targets.map((t) => [t.upstream, t.target, t.requests])).toEqual([
        ['blue', '127.0.0.1:3001', 0],
        ['green', '127.0.0.1:3002', 0],
        ['green', '[::1]:3003', 0],
        ['10.0.0.9:8080', '10.0.0.9:8080', 0],
      ]);
    } finally {
      await fleet.close();
    }
  });
});

describe('the in-process proxy behind the same boundary', () => {
  it('applies by itself and reports its own counters per target', async () => {
    const b = await startBackend('blue');
    const store = new Store();
    const stats = new Stats();
    const proxy = new ProxyServer({ store, stats, host: '127.0.0.1', port: 0 });
    const port = (await proxy.listen()).port;
    const plane = new InProcessDataPlane({ table: () => store.table, stats, close: () => proxy.close(0) });
    try {
      store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: b.address, weight: 100 }] } });
      store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue' } });
      store.dispatch({ op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } });
      expect(await plane.apply(store.table)).toEqual({ ok: true, version: store.table.version, perInstance: [{ id: 'in-process', ok: true }] });
      for (let i = 0; i < 3; i++) expect((await request(port, { host: 'web.localhost' })).body).toBe('blue');
      // A response is counted when the proxy sees it close, not when the client has read it.
      let rep = await plane.report();
      await waitUntil('the proxy to count the 3 responses', async () => (rep = await plane.report()).targets[0]?.status?.['2xx'] === 3, {
        seen: () => JSON.stringify(rep.targets),
      });
      expect(rep.targets).toEqual([expect.objectContaining({ upstream: 'blue', target: b.address, requests: 3, errors: 0, healthy: true })]);
      expect(rep.targets[0]!.status!['2xx']).toBe(3);
      expect(rep.instances).toEqual([{ id: 'in-process', reachable: true, drift: [], lastError: null, appliedVersion: store.table.version, reloadNeeded: null }]);
    } finally {
      await plane.close();
      await b.close();
    }
  });
});
