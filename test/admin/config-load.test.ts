/**
 * `POST /config` of a real Kong file: the CLI's loader, every error at once (nothing changes),
 * and `?skip_unsupported=true` to load the rest, with what was left out in the reply.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, start, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await start();
});
afterEach(async () => {
  await h.close();
});

const file = `
_format_version: "3.0"
_comment: orders
services:
  - name: orders
    host: orders.internal
    routes:
      - name: orders-api
        paths: [/orders]
        plugins: [{ name: key-auth }]
consumers:
  - username: alice
`;
const post = (q: string, body: string) =>
  call(h.adminUrl, `/config${q}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body });

describe('POST /config of a Kong file', () => {
  it('refuses it with every error, the state as it was', async () => {
    const before = h.store.state;
    const r = await post('?source=kong.yml', file.replace('paths: [/orders]', 'paths: [orders]'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      name: 'schema violation',
      fields: {
        'services[0].routes[0].paths[0]': 'should start with: / (fixed path) or ~/ (regex path)',
        'services[0].routes[0].plugins[0]': 'key-auth on route orders-api: switchyard has no plugins',
        'consumers[0]': 'alice: switchyard has no consumers',
      },
    });
    expect((r.body as { message: string }).message).toMatch(/^kong\.yml: 3 errors:\n/);
    expect(h.store.state).toBe(before);
  });

  it('with ?skip_unsupported=true loads the rest, and says what was left out and what is open', async () => {
    const r = await post('?skip_unsupported=true', file);
    expect(r.status).toBe(201);
    expect(h.store.state.routes.map((x) => x.name)).toEqual(['orders-api']);
    expect(r.body).toMatchObject({
      skipped: [
        { path: 'consumers[0]', kind: 'consumers', name: 'alice', on: null, access: false },
        {
          path: 'services[0].routes[0].plugins[0]',
          kind: 'plugins',
          name: 'key-auth',
          on: 'route orders-api',
          access: true,
        },
      ],
      skipped_on_routes: [
        { route: 'orders-api', service: 'orders', plugins: ['key-auth'], open: ['key-auth'] },
      ],
    });
  });
});
