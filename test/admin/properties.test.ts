/** The admin API under random bodies: never a 5xx, always a message, the state unchanged on a 4xx. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await start();
  const post = (path: string, body: unknown) => fetch(`${h.adminUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/upstreams', { name: 'blue', targets: undefined });
  await post('/upstreams/blue/targets', { target: '127.0.0.1:3001' });
  await post('/services', { name: 'web', host: 'blue' });
  await post('/services/web/routes', { hosts: ['web.localhost'] });
});
afterAll(async () => {
  await h.close();
});

const value = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(null, true, false, '', 'a'.repeat(5000), 65536, -1, '1.5'),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
);
const body = fc.oneof(
  fc.dictionary(fc.constantFrom('name', 'host', 'port', 'weight', 'target', 'hosts', 'paths', 'upstreams', 'path', 'retries', 'foo', 'service'), value, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 50 }),
  fc.constantFrom('{', '[]', 'null', '"x"', '{"upstreams":[{"name":"blue","weight":"x"}]}'),
);
const endpoint = fc.constantFrom(
  ['POST', '/upstreams'],
  ['PATCH', '/upstreams/blue'],
  ['POST', '/upstreams/blue/targets'],
  ['PATCH', '/upstreams/blue/targets/127.0.0.1:3001'],
  ['POST', '/services'],
  ['PATCH', '/services/web'],
  ['POST', '/services/web/routes'],
  ['POST', '/apps'],
  ['POST', '/config'],
  ['PATCH', '/services/nope'],
);

describe('admin API under random input', () => {
  it('answers every request without a 5xx, with a message, and keeps the state on a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(endpoint, body, async ([method, path], text) => {
        const before = JSON.stringify(h.store.state);
        const res = await fetch(`${h.adminUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: text, signal: AbortSignal.timeout(5000) });
        const reply = res.status === 204 ? {} : ((await res.json()) as { message?: string });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(typeof reply.message).toBe('string');
          expect(JSON.stringify(h.store.state)).toBe(before);
        } else if (res.status < 300) {
          // Put the state back, so every run starts from the same place.
          h.store.dispatch({ op: 'state.replace', state: JSON.parse(before) });
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('admin API under concurrent conflicting changes', () => {
  it('answers every one, applies each whole or not at all, and leaves a valid state', async () => {
    const hh = await start();
    try {
      const send = (method: string, path: string, body?: unknown) =>
        fetch(`${hh.adminUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.status);
      await send('POST', '/upstreams', { name: 'blue' });
      await send('POST', '/upstreams', { name: 'green' });
      await send('POST', '/services', { name: 'web', host: 'blue' });
      const storm: Promise<number>[] = [];
      for (let i = 0; i < 60; i++) {
        storm.push(send('PATCH', '/services/web', { upstreams: [{ name: 'blue', weight: i }, { name: 'green', weight: 100 - i }] }));
        storm.push(send('PATCH', '/services/web', { host: i % 2 ? 'green' : 'blue' }));
        storm.push(send('POST', '/upstreams', { name: `u${i % 7}` }));
        storm.push(send('DELETE', `/upstreams/u${(i + 3) % 7}`));
        storm.push(send('POST', '/upstreams/blue/targets', { target: `127.0.0.1:${3000 + (i % 5)}` }));
      }
      const statuses = await Promise.all(storm);
      for (const s of statuses) expect([200, 201, 204, 400, 404, 409]).toContain(s);
      const { replaceState } = await import('../../src/core/commands.js');
      expect(() => replaceState(JSON.parse(JSON.stringify(hh.store.state)), { now: 1, newId: () => crypto.randomUUID() })).not.toThrow();
      const split = hh.store.state.services[0]!.upstreams;
      const total = split.reduce((a, e) => a + e.weight, 0);
      expect(total === 100 || total === 0 || split.length === 0).toBe(true);
    } finally {
      await hh.close();
    }
  });
});
