/** The admin server as the engine composes it. */
import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../src/admin/server.js';
import { Engine } from '../../src/engine.js';
import { call } from './harness.js';

describe('admin server in the engine', () => {
  const engines: Engine[] = [];

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop(0)));
  });

  it('describes the engine on GET /', { timeout: 5000 }, async () => {
    const e = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    engines.push(e);
    const root = await call(e.adminUrl, '/');
    expect(root.status).toBe(200);
    expect(root.body.switchyard).toEqual({
      proxy: e.proxyUrl,
      admin: e.adminUrl,
      stateFile: null,
      readonly: false,
    });
  });

  it('names --admin-port when the port is taken', { timeout: 5000 }, async () => {
    const e = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    engines.push(e);
    const second = new AdminServer({
      store: e.store,
      stats: e.stats,
      proxy: e.proxy,
      host: '127.0.0.1',
      port: e.adminAddress.port,
      info: () => undefined,
    });
    await expect(second.listen()).rejects.toThrow(/--admin-port/);
    await second.close();
  });
});
