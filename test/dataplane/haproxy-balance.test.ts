/**
 * Kong's algorithms and hashing on the HAProxy data plane: what HAProxy can say is written as its
 * `balance` (checked by `haproxy -c` when installed, and a cookie-sticky split through a real
 * HAProxy); what it cannot is a warning naming the field, never a silent round-robin.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { writeHaproxy } from '../../src/dataplane/haproxy/config.js';
import { desiredOf } from '../../src/dataplane/haproxy/desired.js';
import { request, startBackend, type Backend } from '../helpers/net.js';
import { findHaproxy, freePort, startHaproxy } from './haproxy-helpers.js';

const HAPROXY = findHaproxy();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-habal-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scene(addresses: readonly string[] = ['127.0.0.1:3001', '127.0.0.1:3002']): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: addresses[0] }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: addresses[1] }] } });
  store.dispatch({
    op: 'service.create',
    fields: {
      name: 'web',
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 50 },
        { name: 'green', weight: 50 },
      ],
    },
  });
  store.dispatch({ op: 'route.create', service: 'web', fields: { name: 'web', hosts: ['web.test'] } });
  return store;
}

function web(store: Store) {
  const d = desiredOf(store.table);
  return { backend: d.backends.find((b) => b.service === 'web')!, warnings: d.warnings };
}

describe("HAProxy's balance for Kong's algorithms", () => {
  it.each([
    [
      'header:x-user',
      { hash_on: 'header', hash_on_header: 'x-user' },
      ['balance hdr(x-user)', 'hash-type consistent'],
    ],
    ['ip', { hash_on: 'ip' }, ['balance source', 'hash-type consistent']],
    [
      'query',
      { hash_on: 'query_arg', hash_on_query_arg: 'u' },
      ['balance url_param u', 'hash-type consistent'],
    ],
    ['path', { hash_on: 'path' }, ['balance uri', 'hash-type consistent']],
  ])('a split sticky by %s', (_, fields, lines) => {
    const store = scene();
    store.dispatch({ op: 'service.update', service: 'web', fields });
    expect(web(store)).toEqual({ backend: expect.objectContaining({ balance: lines }), warnings: [] });
  });

  it('a cookie-sticky split hashes the cookie, and gives one to a request without it', () => {
    const store = scene();
    store.dispatch({
      op: 'service.update',
      service: 'web',
      fields: { hash_on: 'cookie', hash_on_cookie: 'sy_user' },
    });
    const { backend } = web(store);
    expect(backend.balance).toContain('balance hash var(txn.sy_hkey)');
    expect(backend.balance).toContain(
      'http-response add-header Set-Cookie "sy_user=%[var(txn.sy_hkey)]; Path=/; SameSite=Lax; HttpOnly" if { var(txn.sy_hnew) -m bool }',
    );
  });

  it('an upstream alone: least-connections is leastconn; consistent-hashing its hash; latency the nearest, with a warning', () => {
    const store = scene();
    store.dispatch({
      op: 'service.split',
      service: 'web',
      split: [
        { name: 'blue', weight: 100 },
        { name: 'green', weight: 0 },
      ],
    });
    store.dispatch({ op: 'upstream.update', upstream: 'blue', fields: { algorithm: 'least-connections' } });
    expect(web(store)).toEqual({
      backend: expect.objectContaining({ balance: ['balance leastconn'] }),
      warnings: [],
    });
    store.dispatch({
      op: 'upstream.update',
      upstream: 'blue',
      fields: { hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'ip' },
    });
    expect(web(store).backend.balance).toEqual(['balance hdr(x-user)', 'hash-type consistent']);
    expect(web(store).warnings).toEqual([
      'upstream blue: hash_fallback ip is not expressed in HAProxy; a request without the hash_on header key is balanced by weight',
    ]);
    store.dispatch({ op: 'upstream.update', upstream: 'blue', fields: { algorithm: 'latency' } });
    expect(web(store).warnings).toEqual([
      expect.stringMatching(/^upstream blue: algorithm latency is not expressed in HAProxy/),
    ]);
  });

  it('says what it cannot express: uri_capture, and an algorithm inside a split over several upstreams', () => {
    const store = scene();
    store.dispatch({ op: 'upstream.update', upstream: 'green', fields: { algorithm: 'least-connections' } });
    expect(web(store).warnings).toEqual([
      expect.stringMatching(
        /^upstream green: algorithm least-connections is not expressed in HAProxy within service web's split/,
      ),
    ]);
    store.dispatch({
      op: 'service.update',
      service: 'web',
      fields: { hash_on: 'uri_capture', hash_on_uri_capture: 'id' },
    });
    expect(web(store).warnings).toEqual([
      expect.stringMatching(/^service web: hash_on uri_capture is not expressed in HAProxy/),
    ]);
  });

  it('a round-robin backend keeps the signature it had (no reload for configs written before)', () => {
    const store = scene();
    const before = web(store).backend.signature;
    expect(before).not.toContain('B[');
    store.dispatch({ op: 'service.update', service: 'web', fields: { hash_on: 'ip' } });
    expect(web(store).backend.signature).not.toBe(before);
  });

  it.skipIf(!HAPROXY)(
    'is accepted by haproxy -c, and a cookie-sticky split keeps a client on its upstream through a real HAProxy',
    async () => {
      const backends: Backend[] = [await startBackend('blue'), await startBackend('green')];
      const port = await freePort();
      const dir = path.join(tmp, 'cookie');
      const socket = path.join(dir, 'admin.sock');
      const store = scene(backends.map((b) => b.address));
      store.dispatch({
        op: 'service.update',
        service: 'web',
        fields: { hash_on: 'cookie', hash_on_cookie: 'sy_user' },
      });
      const cfg = writeHaproxy(dir, store.table, { bind: `127.0.0.1:${port}`, socket });
      const check = spawnSync(HAPROXY as string, ['-c', '-f', cfg], { encoding: 'utf8' });
      expect(check.stdout + check.stderr).toContain('Configuration file is valid');
      const h = await startHaproxy(HAPROXY as string, cfg, socket, port);
      try {
        const seen = new Set<string>();
        for (let client = 0; client < 16; client++) {
          const first = await request(port, { host: 'web.test' });
          expect(first.status).toBe(200);
          const set = first.headers['set-cookie']?.[0] ?? '';
          expect(set).toMatch(/^sy_user=[0-9a-f-]{36}; Path=\/; SameSite=Lax; HttpOnly$/);
          seen.add(first.body);
          for (let i = 0; i < 5; i++) {
            const again = await request(port, {
              host: 'web.test',
              headers: { cookie: set.split(';')[0] as string },
            });
            expect(again.body).toBe(first.body);
            expect(again.headers['set-cookie']).toBeUndefined();
          }
        }
        expect(seen).toEqual(new Set(['blue', 'green']));
      } finally {
        await h.kill();
        await Promise.all(backends.map((b) => b.close()));
      }
    },
    30_000,
  );
});
