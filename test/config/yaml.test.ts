import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportYaml, loadDeclarative } from '../../src/config/yaml.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { seed004 } from '../helpers/seeds.js';

const ctx = { now: 1, newId: randomUUID };
function failure(text: string): SwitchyardError {
  try {
    loadDeclarative(text, ctx, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    return e as SwitchyardError;
  }
  throw new Error('expected the config to be rejected');
}

describe('Kong declarative config', () => {
  it("loads the seed's blue-green YAML", () => {
    const s = loadDeclarative(seed004(), ctx);
    expect(s.services).toHaveLength(1);
    expect(s.services[0]).toMatchObject({ name: 'example-service', host: 'blue', path: '/anything' });
    expect(s.routes[0]).toMatchObject({ name: 'example-route', hosts: ['example.domain.com'], service: { id: s.services[0]!.id } });
    expect(s.upstreams.map((u) => [u.name, u.targets.map((t) => `${t.target}=${t.weight}`)])).toEqual([
      ['blue', ['192.168.34.15:80=100', '192.168.34.16:80=50']],
      ['green', ['192.168.34.17:80=100', '192.168.34.18:80=100']],
    ]);
  });

  it('round-trips through export', () => {
    const s = loadDeclarative(seed004(), ctx);
    const yaml = exportYaml(s);
    expect(yaml).toContain('_format_version: "3.0"');
    const again = loadDeclarative(yaml, ctx);
    expect(exportYaml(again)).toBe(yaml);
  });

  it('keeps the split extension', () => {
    const yaml = `
services:
  - name: web
    host: blue
    upstreams: [{ name: blue, weight: 80 }, { name: green, weight: 20 }]
    routes: [{ hosts: [web.localhost] }]
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:3001 }]
  - name: green
    targets: [{ target: 127.0.0.1:3002 }]
`;
    const s = loadDeclarative(yaml, ctx);
    expect(s.services[0]!.upstreams).toEqual([{ name: 'blue', weight: 80 }, { name: 'green', weight: 20 }]);
    expect(exportYaml(s)).toContain('weight: 80');
  });

  it("exports what Kong itself accepts with --format kong: no split, no apps, and says so", () => {
    const yaml = `
services:
  - name: web
    host: blue
    upstreams: [{ name: blue, weight: 80 }, { name: green, weight: 20 }]
    routes: [{ hosts: [web.localhost] }]
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:3001 }]
  - name: green
    targets: [{ target: 127.0.0.1:3002 }]
`;
    const notes: string[] = [];
    const kong = exportYaml(loadDeclarative(yaml, ctx), 'kong', notes);
    expect(kong).not.toMatch(/^\s+upstreams:/m);
    expect(kong).toContain('host: blue');
    expect(notes).toEqual(['service web: Kong has no weighted split between upstreams; exported with host blue (blue 80, green 20 in switchyard)']);
    // And it loads back: the round trip a Kong user makes.
    expect(loadDeclarative(kong, ctx).services[0]).toMatchObject({ name: 'web', host: 'blue', upstreams: [] });
  });

  it("loads what Kong exports: Kong-only fields at Kong's defaults pass, other values are refused", () => {
    const dump = `
_format_version: "3.0"
services:
  - name: web
    host: blue
    port: 80
    protocol: http
    tls_verify: null
    routes:
      - name: web
        hosts: [web.localhost]
        https_redirect_status_code: 426
        path_handling: v0
        regex_priority: 0
        request_buffering: true
        response_buffering: true
        strip_path: true
upstreams:
  - name: blue
    hash_on: none
    hash_fallback: none
    hash_on_cookie_path: /
    use_srv_name: false
    slots: 10000
    targets: [{ target: 127.0.0.1:3001, weight: 100 }]
`;
    expect(loadDeclarative(dump, ctx).routes[0]).toMatchObject({ name: 'web', hosts: ['web.localhost'] });
    expect(failure(dump.replace('request_buffering: true', 'request_buffering: false')).fields).toEqual({
      'services[0].routes[0].request_buffering': "not supported by switchyard (only Kong's default true is accepted)",
    });
    // Kong's hashing is switchyard's too now; only hashing on Kong's consumers is refused, saying why.
    expect(failure(dump.replace('hash_on: none', 'hash_on: consumer')).fields['upstreams[0].hash_on']).toMatch(/switchyard has no consumers/);
  });

  it('names the path of a bad field', () => {
    const e = failure(`
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:1 }]
  - name: green
    targets:
      - target: 127.0.0.1:2
        weight: 70000
`);
    expect(e.fields).toEqual({ 'upstreams[1].targets[0].weight': 'value should be between 0 and 65535' });
    expect(failure('services:\n  - name: x\n    host: blue\n    routes:\n      - paths: [nope]\n').fields).toEqual({ 'services[0].routes[0].paths[0]': 'should start with: / (fixed path) or ~/ (regex path)' });
    // As Kong's POST /config: a duplicate in a file is the file's error (400), with its place.
    expect(failure('upstreams:\n  - name: a\n  - name: a\n').fields).toEqual({ 'upstreams[1].name': `UNIQUE violation detected on '{name="a"}' (upstream name already exists)` });
    expect(failure('plugins: [{ name: key-auth }]\n').fields).toEqual({ 'plugins[0]': 'key-auth on every route: switchyard has no plugins' });
    expect(failure('services:\n  - name: x\n    host: up\n    upstreams: [{ name: missing }]\n').fields).toEqual({ 'services[0].upstreams[0].name': "no upstream named 'missing'" });
  });

  it('reports malformed YAML with its line', () => {
    const e = failure('services:\n  - name: x\n   host: [unclosed\n');
    expect(e.message).toMatch(/^test\.yaml: malformed YAML at line \d+/);
  });
});
