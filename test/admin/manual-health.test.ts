/**
 * Kong's manual health (`POST /upstreams/{u}/targets/{t}/unhealthy|healthy`) is a change like any
 * other: it goes through the store, so it is saved with the state (a restart keeps the target
 * out), undone by `POST /undo`, exported in switchyard's YAML, and seen by every listener.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine.js';
import { startBackend, tally, type Backend } from '../helpers/net.js';

let engine: Engine | undefined;
const backends: Backend[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await engine?.stop(200);
  engine = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function call(p: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`${engine!.adminUrl}${p}`, init);
  return { status: res.status, body: await res.text() };
}

const post = (p: string, body?: unknown) =>
  call(p, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

async function health(): Promise<Record<string, string>> {
  const r = await call('/upstreams/pool/health');
  const data = (JSON.parse(r.body) as { data: { target: string; health: string }[] }).data;
  return Object.fromEntries(data.map((d) => [d.target, d.health]));
}

it('marks a target unhealthy as a saved, undoable change that a restart keeps', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-manual-health-'));
  dirs.push(dir);
  const [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  backends.push(a!, b!);
  engine = await Engine.start({ stateDir: dir, proxyPort: 0, adminPort: 0 });
  expect((await post('/upstreams', { name: 'pool' })).status).toBe(201);
  expect((await post('/upstreams/pool/targets', { target: a.address })).status).toBe(201);
  expect((await post('/upstreams/pool/targets', { target: b.address })).status).toBe(201);
  expect((await post('/services', { name: 's', host: 'pool' })).status).toBe(201);
  expect((await post('/services/s/routes', { hosts: ['pool.localhost'] })).status).toBe(201);
  expect(await tally(engine.proxyAddress.port, 'pool.localhost', 4)).toEqual({ a: 2, b: 2 });

  const changes: string[] = [];
  engine.store.subscribe((c) => changes.push(c.summary));
  expect((await post(`/upstreams/pool/targets/${a.address}/unhealthy`)).status).toBe(204);
  expect(changes).toEqual([expect.stringMatching(new RegExp(`^target ${a.address} in pool marked unhealthy`))]);
  expect(await health()).toEqual({ [a.address]: 'UNHEALTHY', [b.address]: 'HEALTHY' });
  expect(await tally(engine.proxyAddress.port, 'pool.localhost', 4)).toEqual({ b: 4 });
  // switchyard's YAML carries the verdict; Kong's does not (Kong keeps it in memory).
  expect((JSON.parse((await call('/config')).body) as { config: string }).config).toMatch(/manual_health:\s+verdict: unhealthy\s+seq: 1/);

  // Undo takes it back like any change.
  expect((await post('/undo')).status).toBe(200);
  expect(await health()).toEqual({ [a.address]: 'HEALTHY', [b.address]: 'HEALTHY' });
  expect(await tally(engine.proxyAddress.port, 'pool.localhost', 4)).toEqual({ a: 2, b: 2 });

  // Marked again, then switchyard restarts on the same state: the target stays out.
  expect((await post(`/upstreams/pool/targets/${a.address}/unhealthy`)).status).toBe(204);
  await engine.stop(200);
  engine = await Engine.start({ stateDir: dir, proxyPort: 0, adminPort: 0 });
  expect(await health()).toEqual({ [a.address]: 'UNHEALTHY', [b.address]: 'HEALTHY' });
  expect(await tally(engine.proxyAddress.port, 'pool.localhost', 4)).toEqual({ b: 4 });

  // Healthy brings it back, and marking it healthy twice is a change each time (a new mark).
  expect((await post(`/upstreams/pool/targets/${a.address}/healthy`)).status).toBe(204);
  expect((await post(`/upstreams/pool/targets/${a.address}/healthy`)).status).toBe(204);
  expect(await health()).toEqual({ [a.address]: 'HEALTHY', [b.address]: 'HEALTHY' });
  expect(await tally(engine.proxyAddress.port, 'pool.localhost', 4)).toEqual({ a: 2, b: 2 });
});
