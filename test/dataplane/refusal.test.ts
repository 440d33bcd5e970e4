/**
 * Steering HAProxy, a change whose balancing HAProxy has no word for is refused with the field
 * named, the state as it was (#15): never a fleet that balances otherwise in silence. What it
 * can express goes through, and the in-process proxy takes everything.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop(0)));
});

async function start(haproxy: boolean): Promise<Engine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-refusal-'));
  // No instance answers on this socket: the fleet is unreachable, its judgement is its own.
  const e = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0, ...(haproxy ? { dataPlane: 'haproxy' as const, haproxy: [path.join(dir, 'none.sock')] } : {}) });
  engines.push(e);
  e.store.dispatch({ op: 'upstream.create', fields: { name: 'u', targets: [{ target: '127.0.0.1:1' }, { target: '127.0.0.1:2' }] } });
  e.store.dispatch({ op: 'service.create', fields: { name: 's', host: 'u' } });
  return e;
}

it('refuses latency balancing for an HAProxy fleet, naming it; least-connections goes through', async () => {
  const e = await start(true);
  const before = e.store.state;
  const version = e.store.table.version;
  expect(() => e.store.dispatch({ op: 'upstream.update', upstream: 'u', fields: { algorithm: 'latency' } })).toThrow(
    /HAProxy cannot balance as asked: upstream u: algorithm latency is not expressed in HAProxy .*Nothing changed$/,
  );
  expect(e.store.state).toBe(before);
  expect(e.store.table.version).toBe(version);
  e.store.dispatch({ op: 'upstream.update', upstream: 'u', fields: { algorithm: 'least-connections' } });
  expect(e.store.state.upstreams[0]?.algorithm).toBe('least-connections');
});

it('the in-process proxy takes the same change', async () => {
  const e = await start(false);
  e.store.dispatch({ op: 'upstream.update', upstream: 'u', fields: { algorithm: 'latency' } });
  expect(e.store.state.upstreams[0]?.algorithm).toBe('latency');
});
