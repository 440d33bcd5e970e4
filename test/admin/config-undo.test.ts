import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start, type Harness } from './harness.js';

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
    routes: [{ name: web, hosts: [web.localhost] }]
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:3001, weight: 100 }]
  - name: green
    targets: [{ target: 127.0.0.1:3002, weight: 100 }]
`;

describe('/config and /undo', () => {
  it('replaces the state from YAML and exports it back', async () => {
    const post = await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    expect(post.status).toBe(201);
    expect(h.store.state.services.map((s) => s.name)).toEqual(['web']);
    const got = (await (await fetch(`${h.adminUrl}/config`)).json()) as { config: string };
    expect(got.config).toContain('name: web');
    expect(got.config).toContain('target: 127.0.0.1:3002');
  });

  it("takes Kong's upload forms too: multipart (curl -F config=@file), form-encoded and JSON", async () => {
    const multipart = new FormData();
    multipart.append('config', new Blob([yaml]), 'kong.yaml');
    expect((await fetch(`${h.adminUrl}/config`, { method: 'POST', body: multipart })).status).toBe(201);
    expect(h.store.state.services.map((s) => s.name)).toEqual(['web']);
    const other = yaml.replace('name: web', 'name: shop');
    const form = await fetch(`${h.adminUrl}/config`, { method: 'POST', body: new URLSearchParams({ config: other }) });
    expect(form.status).toBe(201);
    expect(h.store.state.services.map((s) => s.name)).toEqual(['shop']);
    const json = await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ config: yaml }) });
    expect(json.status).toBe(201);
    expect(h.store.state.services.map((s) => s.name)).toEqual(['web']);
    // A form without the field: said, and nothing changes.
    const before = JSON.stringify(h.store.state);
    const missing = await fetch(`${h.adminUrl}/config`, { method: 'POST', body: new URLSearchParams({ conf: yaml }) });
    expect([missing.status, ((await missing.json()) as { message: string }).message]).toEqual([400, 'give the declarative configuration as the field "config" (curl -F config=@kong.yaml)']);
    expect(JSON.stringify(h.store.state)).toBe(before);
  });

  it('rejects a bad config whole, with the path of the field, and keeps the state', async () => {
    await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    const before = JSON.stringify(h.store.state);
    const bad = await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml.replace('weight: 100', 'weight: -1') });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { fields: Record<string, string> };
    expect(body.fields).toEqual({ 'upstreams[0].targets[0].weight': 'value should be between 0 and 65535' });
    const malformed = await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'services: [\n' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toMatch(/malformed YAML at line/);
    expect(JSON.stringify(h.store.state)).toBe(before);
  });

  it('undoes the last change, and says when there is nothing to undo', async () => {
    await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    await fetch(`${h.adminUrl}/services/web`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"host":"green"}' });
    expect(h.store.state.services[0]!.host).toBe('green');
    const undo = await fetch(`${h.adminUrl}/undo`, { method: 'POST' });
    expect(undo.status).toBe(200);
    expect(h.store.state.services[0]!.host).toBe('blue');
    await fetch(`${h.adminUrl}/undo`, { method: 'POST' });
    const none = await fetch(`${h.adminUrl}/undo`, { method: 'POST' });
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({ message: 'nothing to undo' });
  });

  it('lets the old colour be deleted after a switch, as Kong does', async () => {
    await fetch(`${h.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    await fetch(`${h.adminUrl}/services/web`, { method: 'PATCH', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'host=green' });
    expect((await fetch(`${h.adminUrl}/upstreams/blue`, { method: 'DELETE' })).status).toBe(204);
    expect(h.store.state.services[0]!.upstreams).toEqual([{ name: 'green', weight: 100 }]);
    const inUse = await fetch(`${h.adminUrl}/upstreams/green`, { method: 'DELETE' });
    expect(inUse.status).toBe(400);
    expect(((await inUse.json()) as { fields: unknown }).fields).toEqual({ '@referenced_by': 'services' });
  });
});
