/**
 * Kong's hashing fields and algorithms in core: the entity checks (each refusal naming its field,
 * the state untouched), Kong's shorthands, and the rendezvous pick's properties over many keys.
 */
import { describe, expect, it } from 'vitest';
import { hashString, rendezvous } from '../../src/core/balancer.js';
import type { Command } from '../../src/core/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';
import { describeSticky, stickyFields } from '../../src/core/sticky.js';

function seeded(): Store {
  const store = new Store();
  store.dispatch({
    op: 'upstream.create',
    fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] },
  });
  store.dispatch({
    op: 'upstream.create',
    fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] },
  });
  store.dispatch({
    op: 'service.create',
    fields: {
      name: 'web',
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 90 },
        { name: 'green', weight: 10 },
      ],
    },
  });
  return store;
}

function refused(store: Store, cmd: Command): Record<string, string> {
  const before = JSON.stringify(store.state);
  let error: unknown;
  try {
    store.dispatch(cmd);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SwitchyardError);
  expect(JSON.stringify(store.state)).toBe(before);
  return (error as SwitchyardError).fields as Record<string, string>;
}

const up = (fields: Record<string, unknown>): Command => ({
  op: 'upstream.update',
  upstream: 'blue',
  fields,
});
const svc = (fields: Record<string, unknown>): Command => ({ op: 'service.update', service: 'web', fields });

describe("Kong's hashing fields", () => {
  it("has Kong's defaults on every upstream and service", () => {
    const s = seeded().state;
    const defaults = {
      hash_on: 'none',
      hash_fallback: 'none',
      hash_on_header: null,
      hash_fallback_header: null,
      hash_on_cookie: null,
      hash_on_cookie_path: '/',
      hash_on_query_arg: null,
      hash_fallback_query_arg: null,
      hash_on_uri_capture: null,
      hash_fallback_uri_capture: null,
    };
    expect(s.upstreams[0]).toMatchObject({ algorithm: 'round-robin', ...defaults });
    expect(s.services[0]).toMatchObject(defaults);
  });

  it.each([
    [{ hash_on: 'header' }, 'hash_on_header', /required when hash_on is 'header'/],
    [
      { hash_on: 'ip', hash_fallback: 'header' },
      'hash_fallback_header',
      /required when hash_fallback is 'header'/,
    ],
    [{ hash_on: 'cookie' }, 'hash_on_cookie', /required when hash_on is 'cookie'/],
    [{ hash_on: 'ip', hash_fallback: 'cookie' }, 'hash_on_cookie', /required when hash_fallback is 'cookie'/],
    [{ hash_on: 'query_arg' }, 'hash_on_query_arg', /required/],
    [{ hash_on: 'ip', hash_fallback: 'query_arg' }, 'hash_fallback_query_arg', /required/],
    [{ hash_on: 'uri_capture' }, 'hash_on_uri_capture', /required/],
    [{ hash_on: 'ip', hash_fallback: 'uri_capture' }, 'hash_fallback_uri_capture', /required/],
    [{ hash_on: 'none', hash_fallback: 'ip' }, 'hash_fallback', /must be 'none' when hash_on is 'none'/],
    [
      { hash_on: 'cookie', hash_on_cookie: 'c', hash_fallback: 'ip' },
      'hash_fallback',
      /must be 'none' when hash_on is 'cookie'/,
    ],
    [{ hash_on: 'ip', hash_fallback: 'ip' }, 'hash_fallback', /must differ from hash_on/],
    [{ hash_on: 'path', hash_fallback: 'path' }, 'hash_fallback', /must differ from hash_on/],
    [
      { hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'header', hash_fallback_header: 'x-a' },
      'hash_fallback_header',
      /must differ from hash_on_header/,
    ],
    [
      {
        hash_on: 'query_arg',
        hash_on_query_arg: 'u',
        hash_fallback: 'query_arg',
        hash_fallback_query_arg: 'u',
      },
      'hash_fallback_query_arg',
      /must differ/,
    ],
    [{ hash_on: 'consumer' }, 'hash_on', /switchyard has no consumers/],
    [{ hash_on: 'ip', hash_fallback: 'consumer' }, 'hash_fallback', /switchyard has no consumers/],
    [{ hash_on: 'fingerprint' }, 'hash_on', /expected one of/],
    [{ hash_on: 'header', hash_on_header: 'bad header' }, 'hash_on_header', /invalid name/],
    [
      { hash_on: 'cookie', hash_on_cookie: 'c', hash_on_cookie_path: 'nope' },
      'hash_on_cookie_path',
      /should start with/,
    ],
  ])(
    'refuses %j naming %s, on an upstream and on a service, leaving the state as it was',
    (fields, field, why) => {
      const store = seeded();
      expect(refused(store, up(fields))[field]).toMatch(why);
      expect(refused(store, svc(fields))[field]).toMatch(why);
    },
  );

  it('refuses an unknown algorithm, and hash_on beside an algorithm that does not hash', () => {
    const store = seeded();
    expect(refused(store, up({ algorithm: 'random' })).algorithm).toMatch(
      /expected one of: round-robin, consistent-hashing, least-connections, latency/,
    );
    store.dispatch(up({ hash_on: 'ip' }));
    // Kong keeps hash_on when only the algorithm changes to round-robin; a hash that would do nothing is refused here.
    expect(refused(store, up({ algorithm: 'round-robin' })).hash_on).toMatch(
      /must be 'none' unless algorithm is 'consistent-hashing' \(algorithm is 'round-robin'\)/,
    );
  });

  it("follows Kong's shorthands: hash_on sets consistent-hashing, none sets round-robin back, least-connections clears hash_on", () => {
    const store = seeded();
    store.dispatch(up({ hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'ip' }));
    expect(store.state.upstreams[0]).toMatchObject({
      algorithm: 'consistent-hashing',
      hash_on: 'header',
      hash_fallback: 'ip',
    });
    store.dispatch(up({ algorithm: 'least-connections' }));
    expect(store.state.upstreams[0]).toMatchObject({
      algorithm: 'least-connections',
      hash_on: 'none',
      hash_fallback: 'none',
    });
    store.dispatch(up({ hash_on: 'ip' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'consistent-hashing', hash_on: 'ip' });
    store.dispatch(up({ hash_on: 'none' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'round-robin', hash_on: 'none' });
    store.dispatch(up({ algorithm: 'latency' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'latency' });
    // Both given, in Kong's order of shorthands: the algorithm's clearing wins; a hash_on sets the algorithm.
    store.dispatch(up({ algorithm: 'least-connections', hash_on: 'ip' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'least-connections', hash_on: 'none' });
    store.dispatch(up({ algorithm: 'round-robin', hash_on: 'header', hash_on_header: 'x-user' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'consistent-hashing', hash_on: 'header' });
    store.dispatch(up({ algorithm: 'consistent-hashing', hash_on: 'none' }));
    expect(store.state.upstreams[0]).toMatchObject({ algorithm: 'round-robin', hash_on: 'none' });
  });

  it('--sticky: each form gives the hashing fields, none clears them all, and a bad one says the forms', () => {
    expect(stickyFields('cookie:sy_user')).toMatchObject({
      hash_on: 'cookie',
      hash_on_cookie: 'sy_user',
      hash_fallback: 'none',
    });
    expect(stickyFields('header:X-User')).toMatchObject({ hash_on: 'header', hash_on_header: 'X-User' });
    expect(stickyFields('ip')).toMatchObject({ hash_on: 'ip' });
    expect(stickyFields('query:u')).toMatchObject({ hash_on: 'query_arg', hash_on_query_arg: 'u' });
    expect(stickyFields('none')).toMatchObject({
      hash_on: 'none',
      hash_on_cookie: null,
      hash_on_header: null,
    });
    expect(() => stickyFields('cookie')).toThrow(/needs a name; use cookie:NAME/);
    expect(() => stickyFields('ip:x')).toThrow(/takes no name/);
    expect(() => stickyFields('weird:x')).toThrow(/unknown kind/);
    expect(describeSticky(stickyFields('cookie:sy_user'))).toBe('cookie sy_user');
    expect(describeSticky({ ...stickyFields('header:x-user'), hash_fallback: 'ip' })).toBe(
      'header x-user, else ip',
    );
    expect(describeSticky(stickyFields('none'))).toBe('');
  });
});

describe('weighted rendezvous hashing', () => {
  const keys = Array.from({ length: 20000 }, (_, i) => hashString(`user-${i}`));
  const all = () => true;
  const pickAll = (names: string[], weights: number[]) => {
    const seeds = Uint32Array.from(names, hashString);
    return keys.map((k) => names[rendezvous(names, weights, seeds, k, all, undefined)]);
  };

  it('splits by weight', () => {
    const got = pickAll(['a', 'b', 'c'], [100, 100, 200]);
    const share = (n: string) => got.filter((x) => x === n).length / got.length;
    expect(share('a')).toBeCloseTo(0.25, 1);
    expect(share('b')).toBeCloseTo(0.25, 1);
    expect(share('c')).toBeCloseTo(0.5, 1);
  });

  it('raising one weight moves keys only onto it; the old weights give back the old picks; removing one moves only its keys', () => {
    const before = pickAll(['blue', 'green', 'red'], [80, 10, 10]);
    const after = pickAll(['blue', 'green', 'red'], [80, 30, 10]);
    after.forEach((x, i) => expect(x === before[i] || x === 'green').toBe(true));
    expect(pickAll(['blue', 'green', 'red'], [80, 10, 10])).toEqual(before);
    const without = pickAll(['blue', 'red'], [80, 10]);
    without.forEach((x, i) => {
      if (before[i] !== 'green') expect(x).toBe(before[i]);
    });
  });

  it('weight 0 and unavailable peers are passed over', () => {
    const seeds = Uint32Array.from(['a', 'b'], hashString);
    for (const k of keys.slice(0, 200)) {
      expect(rendezvous(['a', 'b'], [0, 5], seeds, k, all, undefined)).toBe(1);
      expect(rendezvous(['a', 'b'], [5, 5], seeds, k, (p: string) => p !== 'a', undefined)).toBe(1);
      expect(rendezvous(['a', 'b'], [0, 5], seeds, k, (p: string) => p !== 'b', undefined)).toBe(-1);
    }
  });
});

describe('the hashing fields in declarative YAML', () => {
  it("round-trip: Kong's upstream fields as Kong writes them, a service's sticky split in switchyard's format only", async () => {
    const { exportYaml, loadDeclarative } = await import('../../src/config/yaml.js');
    const ctx = {
      now: 1,
      newId: (() => {
        let n = 0;
        return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
      })(),
    };
    const doc = `
_format_version: '3.0'
services:
  - name: shop
    host: blue
    upstreams: [{ name: blue, weight: 90 }, { name: green, weight: 10 }]
    hash_on: cookie
    hash_on_cookie: sy_user
    hash_on_cookie_path: /shop
upstreams:
  - name: blue
    algorithm: consistent-hashing
    hash_on: header
    hash_on_header: x-user
    hash_fallback: ip
    targets: [{ target: 127.0.0.1:3001 }]
  - name: green
    algorithm: least-connections
    targets: [{ target: 127.0.0.1:3002 }]
`;
    const state = loadDeclarative(doc, ctx);
    expect(state.services[0]).toMatchObject({
      hash_on: 'cookie',
      hash_on_cookie: 'sy_user',
      hash_on_cookie_path: '/shop',
    });
    const out = exportYaml(state);
    expect(
      loadDeclarative(out, ctx).upstreams.map((u) => [
        u.algorithm,
        u.hash_on,
        u.hash_on_header,
        u.hash_fallback,
      ]),
    ).toEqual([
      ['consistent-hashing', 'header', 'x-user', 'ip'],
      ['least-connections', 'none', null, 'none'],
    ]);
    expect(loadDeclarative(out, ctx).services[0]).toMatchObject({
      hash_on: 'cookie',
      hash_on_cookie: 'sy_user',
      hash_on_cookie_path: '/shop',
    });
    const notes: string[] = [];
    const kong = exportYaml(state, 'kong', notes);
    expect(kong).toMatch(/hash_on: header/);
    expect(kong).not.toMatch(/hash_on: cookie/);
    expect(notes).toContain(
      'service shop: Kong has no sticky split between upstreams; exported without hash_on cookie',
    );
  });
});

describe("a Kf route's stickiness", () => {
  it('map-route keeps it, so a gradual resume (weights stepping up) never moves a user back to the old app', async () => {
    const { pickUpstream } = await import('../../src/core/table.js');
    const store = new Store();
    store.dispatch({
      op: 'app.push',
      fields: { name: 'shop-v1', targets: ['127.0.0.1:4001'], route: 'shop.example.com' },
    });
    store.dispatch({ op: 'app.push', fields: { name: 'shop-v2', targets: ['127.0.0.1:4002'] } });
    store.dispatch({ op: 'app.map-route', app: 'shop-v2', route: 'shop.example.com', weight: 0 });
    // The supervisor adds an app's targets once they answer: here, at once.
    store.dispatch({ op: 'target.create', upstream: 'shop-v1', fields: { target: '127.0.0.1:4001' } });
    store.dispatch({ op: 'target.create', upstream: 'shop-v2', fields: { target: '127.0.0.1:4002' } });
    const id = store.state.services[0]!.id;
    store.dispatch({
      op: 'service.split',
      service: id,
      split: store.state.services[0]!.upstreams,
      hashing: stickyFields('header:x-user'),
    });
    const keys = Array.from({ length: 2000 }, (_, i) => hashString(`user-${i}`));
    let before: (string | undefined)[] = keys.map(() => 'shop-v1');
    for (const share of [10, 30, 50, 80, 100]) {
      store.dispatch({ op: 'app.map-route', app: 'shop-v2', route: 'shop.example.com', weight: share });
      store.dispatch({ op: 'app.map-route', app: 'shop-v1', route: 'shop.example.com', weight: 100 - share });
      expect(store.state.services[0]).toMatchObject({ hash_on: 'header', hash_on_header: 'x-user' });
      const service = store.table.services[0]!;
      const now = keys.map((k) => pickUpstream(service, null, k)?.name);
      now.forEach((u, i) => {
        if (before[i] === 'shop-v2') expect(u).toBe('shop-v2');
      });
      const onNew = now.filter((u) => u === 'shop-v2').length / keys.length;
      expect(Math.abs(onNew - share / 100)).toBeLessThan(0.05);
      before = now;
    }
  });
});
