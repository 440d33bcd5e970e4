/**
 * Loading a Kong declarative file as a Kong user writes it: every error at once, Kong's and decK's
 * metadata, and Kong's entities switchyard does not have refused by name or skipped on request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSkipped, readDeclarative, type LoadOptions } from '../../src/config/yaml.js';
import { SwitchyardError } from '../../src/core/errors.js';

let n = 0;
const ctx = { now: 1, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
const load = (text: string, opts: LoadOptions = {}) =>
  readDeclarative(text, ctx, { source: 'kong.yml', ...opts });
function failure(text: string, opts: LoadOptions = {}): SwitchyardError {
  try {
    load(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    return e as SwitchyardError;
  }
  throw new Error('expected the file to be refused');
}

describe('every error of a file at once', () => {
  const bad = `
_format_version: "3.0"
upstreams:
  - name: blue
    targets: [{ target: 127.0.0.1:1, weight: 70000 }]
  - name: green
    targets: [{ target: 127.0.0.1:2 }]
services:
  - name: orders
    host: green
    port: 99999
    routes:
      - name: orders-api
        paths: [/orders, nope]
  - name: web
    host: blue
    upstreams: [{ name: blue, weight: 50 }, { name: green, weight: 50 }]
    routes:
      - paths: [/web]
        strip_path: maybe
routes:
  - name: loose
    service: orders
    hosts: ["a*b.example.com"]
`;

  it('names each with its path and the file, in one error', () => {
    const e = failure(bad);
    expect(e.fields).toEqual({
      'upstreams[0].targets[0].weight': 'value should be between 0 and 65535',
      'services[0].port': 'value should be between 0 and 65535',
      // The routes of a service that failed are still checked, on their own.
      'services[0].routes[0].paths[1]': 'should start with: / (fixed path) or ~/ (regex path)',
      'services[1].routes[0].strip_path': 'expected a boolean',
      // The route names the failed service: its own error, not a missing service.
      'routes[0].hosts[0]': 'invalid wildcard: must be placed at leftmost or rightmost label',
    });
    expect(e.message).toBe(
      [
        'kong.yml: 5 errors:',
        '  upstreams[0].targets[0].weight: value should be between 0 and 65535',
        '  services[0].port: value should be between 0 and 65535',
        '  services[0].routes[0].paths[1]: should start with: / (fixed path) or ~/ (regex path)',
        '  services[1].routes[0].strip_path: expected a boolean',
        '  routes[0].hosts[0]: invalid wildcard: must be placed at leftmost or rightmost label',
      ].join('\n'),
    );
  });

  it('does not report again what depends on an entity that failed', () => {
    const e = failure(
      'upstreams:\n  - name: blue\n    slots: 1\nservices:\n  - name: web\n    host: blue\n    upstreams: [{ name: blue }]\n',
    );
    expect(e.fields).toEqual({ 'upstreams[0].slots': 'value should be between 10 and 65536' });
  });

  it('names the file, line and column of a YAML syntax error', () => {
    const e = failure('services:\n  - name: x\n   host: [unclosed\n');
    expect(e.code).toBe('invalid');
    expect(e.message).toBe(
      'kong.yml: malformed YAML at line 3, column 1: Sequence item without - indicator (and 1 more)',
    );
  });
});

describe("Kong's and decK's metadata", () => {
  it('tolerates _comment and _ignore at the top and on every entity, nested too', () => {
    const s = load(`
_format_version: "3.0"
_transform: true
_comment: a top-level comment
_ignore: [1, { any: thing }]
_workspace: default
_konnect: { control_plane_name: prod }
_plugin_configs: { limits: { minute: 5 } }
services:
  - name: web
    _comment: the web service
    _ignore: [x]
    host: blue
    routes:
      - name: web
        _comment: its route
        paths: [/]
routes:
  - name: other
    _ignore: []
    paths: [/other]
upstreams:
  - name: blue
    _comment: blue
    targets:
      - target: 127.0.0.1:1
        _comment: the first
targets:
  - upstream: blue
    target: 127.0.0.1:2
    _ignore: [y]
`).state;
    expect(s.services.map((x) => x.name)).toEqual(['web']);
    expect(s.routes.map((r) => r.name)).toEqual(['web', 'other']);
    expect(s.upstreams[0]!.targets.map((t) => t.target)).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });

  it('refuses metadata of the wrong type, naming it', () => {
    expect(
      failure('_comment: [a]\n_ignore: x\n_transform: yes\nservices:\n  - host: a\n    _comment: 3\n').fields,
    ).toEqual({
      _comment: 'expected a string',
      _ignore: 'expected an array',
      _transform: 'expected a boolean',
      'services[0]._comment': 'expected a string',
    });
  });

  it('reads the format versions Kong reads, and says how to write "3"', () => {
    for (const v of ['"1.1"', '"2.1"', '"3.0"', '3.0', '2.1'])
      expect(load(`_format_version: ${v}\n`).formatVersion).toBe(
        v.replace(/"/g, '') === '3.0' ? '3.0' : v.replace(/"/g, ''),
      );
    expect(load('services: []\n').formatVersion).toBe('3.0');
    expect(failure('_format_version: "3"\n').fields).toEqual({
      _format_version: 'unsupported version "3"; expected one of "1.1", "2.1", "3.0" (write "3.0")',
    });
    expect(failure('_format_version: "1.0"\n').fields).toHaveProperty('_format_version');
  });

  it("applies decK's _info: defaults fill missing fields, select_tags are added to every entity's tags", () => {
    const s = load(`
_info:
  select_tags: [team-a]
  defaults:
    service: { port: 8080, read_timeout: 5000, host: unused.example }
    route: { strip_path: false }
    target: { weight: 10 }
services:
  - name: a
    host: a.example
    tags: [mine]
    routes: [{ name: a, paths: [/a] }]
  - name: b
    url: http://b.example/b
    read_timeout: 7
upstreams:
  - name: u
    targets: [{ target: 127.0.0.1:1 }, { target: 127.0.0.1:2, weight: 3 }]
`).state;
    expect(s.services.map((x) => [x.host, x.port, x.read_timeout, x.tags])).toEqual([
      ['a.example', 8080, 5000, ['mine', 'team-a']],
      // A service given by url takes its address from it, not from the defaults.
      ['b.example', 80, 7, ['team-a']],
    ]);
    expect(s.routes[0]).toMatchObject({ strip_path: false, tags: ['team-a'] });
    expect(s.upstreams[0]!.targets.map((t) => t.weight)).toEqual([10, 3]);
  });

  it('loads what `kong config init` writes', () => {
    const text = fs.readFileSync(path.resolve(__dirname, '../fixtures/kong/kong-config-init.yml'), 'utf8');
    const r = load(text);
    expect(r.state.services).toEqual([]);
    expect(r.skipped).toEqual([]);
  });
});

describe("Kong's entities that switchyard does not have", () => {
  const file = `
_format_version: "3.0"
services:
  - name: orders
    host: orders.internal
    plugins: [{ name: rate-limiting, config: { minute: 5 } }]
    routes:
      - name: orders-api
        paths: [/orders]
        plugins: [{ name: key-auth }]
      - name: orders-public
        paths: [/public]
  - name: admin
    host: admin.internal
    routes: [{ name: admin, paths: [/admin] }]
routes:
  - name: health
    paths: [/health]
plugins:
  - name: ip-restriction
    service: admin
    config: { allow: [10.0.0.0/8] }
  - name: prometheus
  - name: acl
    route: health
    enabled: false
  - name: rate-limiting
    consumer: alice
consumers:
  - username: alice
    keyauth_credentials: [{ key: secret-key }]
    plugins: [{ name: request-transformer }]
certificates:
  - cert: "-----BEGIN CERTIFICATE-----"
    key: "-----BEGIN PRIVATE KEY-----"
    snis: [{ name: example.com }]
vaults:
  - prefix: env-vault
    name: env
`;

  it('are refused, each named with where it is and what it was on', () => {
    const e = failure(file);
    expect(e.fields).toEqual({
      'plugins[0]': 'ip-restriction on service admin: switchyard has no plugins',
      'plugins[1]': 'prometheus on every route: switchyard has no plugins',
      'plugins[2]': 'acl on route health: switchyard has no plugins',
      'plugins[3]': 'rate-limiting on consumer alice: switchyard has no plugins',
      'consumers[0]': 'alice: switchyard has no consumers',
      'certificates[0]': 'switchyard has no certificates',
      'vaults[0]': 'env-vault: switchyard has no vaults',
      'services[0].plugins[0]': 'rate-limiting on service orders: switchyard has no plugins',
      'services[0].routes[0].plugins[0]': 'key-auth on route orders-api: switchyard has no plugins',
    });
    expect(e.message).toMatch(/^kong\.yml: 9 errors:\n/);
    expect(e.message.split('\n').at(-1)).toBe(
      'to load the rest without what switchyard does not have: --skip-unsupported (POST /config?skip_unsupported=true)',
    );
  });

  it('with skipUnsupported, the rest loads and what was left out is data, route by route', () => {
    const r = load(file, { skipUnsupported: true });
    expect(r.state.services.map((s) => s.name)).toEqual(['orders', 'admin']);
    expect(r.state.routes.map((x) => x.name)).toEqual(['orders-api', 'orders-public', 'admin', 'health']);
    expect(r.skipped.map((s) => [s.path, s.name, s.on, s.access, s.enabled, s.nested])).toEqual([
      ['plugins[0]', 'ip-restriction', 'service admin', true, true, 0],
      ['plugins[1]', 'prometheus', 'every route', false, true, 0],
      ['plugins[2]', 'acl', 'route health', true, false, 0],
      ['plugins[3]', 'rate-limiting', 'consumer alice', false, true, 0],
      // A credential's key is a secret: not repeated here.
      ['consumers[0]', 'alice', null, false, true, 2],
      ['certificates[0]', null, null, false, true, 1],
      ['vaults[0]', 'env-vault', null, false, true, 0],
      ['services[0].plugins[0]', 'rate-limiting', 'service orders', false, true, 0],
      ['services[0].routes[0].plugins[0]', 'key-auth', 'route orders-api', true, true, 0],
    ]);
    expect(r.routes).toEqual([
      {
        route: 'orders-api',
        service: 'orders',
        plugins: ['prometheus', 'rate-limiting', 'key-auth'],
        open: ['key-auth'],
      },
      { route: 'orders-public', service: 'orders', plugins: ['prometheus', 'rate-limiting'], open: [] },
      {
        route: 'admin',
        service: 'admin',
        plugins: ['ip-restriction', 'prometheus'],
        open: ['ip-restriction'],
      },
      // The disabled acl did nothing: leaving it out opens nothing.
      { route: 'health', service: null, plugins: ['prometheus'], open: [] },
    ]);
    expect(describeSkipped(r)).toEqual({
      lines: [
        'skipped 9 entities switchyard does not have:',
        '  route orders-api (service orders): prometheus, rate-limiting, key-auth',
        '  route orders-public (service orders): prometheus, rate-limiting',
        '  route admin (service admin): ip-restriction, prometheus',
        '  route health: prometheus',
        '  plugins[2] (acl, on route health, disabled)',
        '  plugins[3] (rate-limiting, on consumer alice)',
        '  consumers[0] (alice, with 2 nested)',
        '  certificates[0] (with 1 nested)',
        '  vaults[0] (env-vault)',
      ],
      warnings: [
        'route orders-api (service orders) is now OPEN: key-auth was skipped, so anyone gets through',
        'route admin (service admin) is now OPEN: ip-restriction was skipped, so anyone gets through',
      ],
    });
  });

  it('with skipUnsupported, errors in what switchyard has still refuse the file', () => {
    const e = failure(file.replace('host: admin.internal', 'host: "bad host"'), { skipUnsupported: true });
    expect(e.fields).toEqual({ 'services[1].host': 'invalid value: bad host' });
  });

  it('an unknown top-level key is an error of its own', () => {
    expect(failure('servces: []\n').fields).toEqual({
      servces:
        "unknown field (switchyard reads services, routes, upstreams and targets, and knows the rest of Kong's entities by name)",
    });
  });
});
