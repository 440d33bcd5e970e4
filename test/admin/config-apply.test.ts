/** `POST /config` reconciles by name, as decK does: a changed field changes that field, nothing else. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exportYaml } from '../../src/config/yaml.js';
import { Engine } from '../../src/engine.js';
import { call, start, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await start();
});
afterEach(async () => {
  await h.close();
});

const yaml = `
services:
  - name: web
    host: blue
    upstreams: [{ name: blue, weight: 80 }, { name: green, weight: 20 }]
    routes: [{ name: web, hosts: [web.localhost] }, { paths: [/api] }]
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:3001, weight: 100 }, { target: 127.0.0.1:3002, weight: 100 }]
  - name: green
    targets: [{ target: 127.0.0.1:3003, weight: 100 }]
`;

const apply = (text: string) => call(h.adminUrl, '/config', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: text });

/** Everything the admin API says about the entities, ids and times included. */
async function entities() {
  const get = async (path: string) => (await call(h.adminUrl, path)).body.data as Record<string, unknown>[];
  return {
    upstreams: await get('/upstreams'),
    blue: await get('/upstreams/blue/targets'),
    green: await get('/upstreams/green/targets'),
    services: await get('/services'),
    routes: await get('/routes'),
  };
}

describe('POST /config of an edited export', () => {
  it('keeps every id; a changed target weight changes that weight and nothing else', async () => {
    expect((await apply(yaml)).status).toBe(201);
    const before = await entities();
    const exported = (await call(h.adminUrl, '/config')).body.config as string;

    const doc = YAML.parse(exported) as { upstreams: { name: string; targets: { target: string; weight: number }[] }[] };
    doc.upstreams.find((u) => u.name === 'blue')!.targets.find((t) => t.target === '127.0.0.1:3001')!.weight = 7;
    const edited = YAML.stringify(doc);
    const changed = await apply(edited);
    expect(changed.status).toBe(201);
    expect(changed.body.summary).toMatch(/^state replaced/);

    const after = await entities();
    const [t1, t2] = before.blue;
    expect(after.blue).toEqual([{ ...t1, weight: 7 }, t2]);
    expect(after.green).toEqual(before.green);
    expect(after.services).toEqual(before.services);
    expect(after.routes).toEqual(before.routes);
    // The upstream whose target changed is the same upstream, changed when the file was applied.
    expect(after.upstreams.map(({ updated_at: _, ...u }) => u)).toEqual(before.upstreams.map(({ updated_at: _, ...u }) => u));

    // The same file again is no change at all: nothing to undo for it, so undo takes back the weight.
    const again = await apply(edited);
    expect(again.body.summary).toMatch(/^state unchanged/);
    expect(await entities()).toEqual(after);
    expect((await call(h.adminUrl, '/undo', { method: 'POST' })).status).toBe(200);
    expect((await entities()).blue).toEqual(before.blue);
  });
});

describe('serve --config over a saved state', () => {
  it('keeps the ids of what the saved state already has, and takes the rest from the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-config-'));
    try {
      const first = await Engine.start({ stateDir: dir, proxyPort: 0, adminPort: 0 });
      expect((await call(first.adminUrl, '/config', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml })).status).toBe(201);
      const saved = first.store.state;
      await first.stop(0);

      const doc = YAML.parse(exportYaml(saved)) as { upstreams: { name: string; targets: { target: string; weight: number }[] }[] };
      doc.upstreams[0]!.targets[1]!.weight = 5;
      doc.upstreams.push({ name: 'canary', targets: [{ target: '127.0.0.1:3004', weight: 100 }] });
      const file = path.join(dir, 'kong.yaml');
      fs.writeFileSync(file, YAML.stringify(doc));
      const again = await Engine.start({ stateDir: dir, configFile: file, proxyPort: 0, adminPort: 0 });
      try {
        const s = again.store.state;
        expect(s.services).toEqual(saved.services);
        expect(s.routes).toEqual(saved.routes);
        const [blue, green] = saved.upstreams;
        expect(s.upstreams.slice(0, 2)).toEqual([{ ...blue, targets: [blue!.targets[0], { ...blue!.targets[1], weight: 5 }], updated_at: s.upstreams[0]!.updated_at }, green]);
        expect(s.upstreams[2]).toMatchObject({ name: 'canary', targets: [{ target: '127.0.0.1:3004', weight: 100 }] });
      } finally {
        await again.stop(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
