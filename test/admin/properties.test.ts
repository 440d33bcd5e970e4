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
