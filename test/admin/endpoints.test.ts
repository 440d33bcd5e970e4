/**
 * The endpoint map the four registrations generate, read through OPTIONS as Kong's attach_routes
 * answers it: kong/api/endpoints.lua's collection, entity, nested and foreign-entity endpoints,
 * minus what Kong's upstreams.lua disables (/targets, /targets/{t}/upstream), plus its extras.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { defineEntities } from '../../src/admin/entities/kinds.js';
import { Router } from '../../src/admin/router.js';
import { Store } from '../../src/core/store.js';

describe('generated entity endpoints', () => {
  const router = new Router();
  defineEntities(router, { store: new Store(), nodeId: 'test-node' });
  const allow = async (path: string) => {
    const reply = await router.dispatch(
      { method: 'OPTIONS', url: path, headers: {} } as http.IncomingMessage,
      () => undefined,
    );
    return reply.status === 204 ? reply.headers?.allow : reply.status;
  };

  it('gives each entity its collection and entity endpoints, and the route its service ones', async () => {
    const collection = 'GET, HEAD, OPTIONS, POST';
    const entity = 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT';
    const expected: Record<string, string | number> = {
      '/upstreams': collection,
      '/upstreams/u': entity,
      '/services': collection,
      '/services/s': entity,
      '/routes': collection,
      '/routes/r': entity,
      // From the route's `service` foreign key.
      '/services/s/routes': collection,
      '/services/s/routes/r': entity,
      '/routes/r/service': entity,
      // From the target's `upstream`: nested only.
      '/upstreams/u/targets': collection,
      '/upstreams/u/targets/t': entity,
      '/targets': 404,
      '/targets/t': 404,
      '/targets/t/upstream': 404,
      // The targets registration's extras (kong/api/routes/upstreams.lua).
      '/upstreams/u/targets/all': entity,
      '/upstreams/u/health': 'GET, HEAD, OPTIONS',
      '/upstreams/u/targets/t/healthy': 'OPTIONS, POST, PUT',
      '/upstreams/u/targets/t/unhealthy': 'OPTIONS, POST, PUT',
    };
    const got: Record<string, string | number | undefined> = {};
    for (const path of Object.keys(expected)) got[path] = await allow(path);
    expect(got).toEqual(expected);
  });
});
