import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/deploy/manifest.js';

const MTA = path.resolve(__dirname, '../fixtures/mta');
const read = (rel: string, opts: { defaultDomain?: string } = {}) =>
  parseManifest(fs.readFileSync(path.join(MTA, rel), 'utf8'), rel, {
    dir: path.dirname(path.join(MTA, rel)),
    ...opts,
  });
const error = (text: string, dir = MTA): string => {
  try {
    parseManifest(text, 'test.yaml', { dir });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe("real MTA descriptors (SAP's samples)", () => {
  it("reads the blue-green sample: module paths by name, requires ~{url} as environment, a default route each, java's parameters listed once", () => {
    const m = read('hello-green/mtad.yaml');
    expect(m.id).toBe('hello');
    expect(m.version).toBe('2.0.1');
    const [router, backend] = m.modules;
    expect(router).toMatchObject({
      name: 'hello-router',
      app: 'hello-router',
      command: 'node ../../app.js',
      cwd: path.join(MTA, 'hello-green/hello-router'),
      routes: ['hello-router.localhost'],
    });
    // The backend provides url: ${default-url}; the router requires it as backend/name/url.
    expect(router!.env).toEqual({
      MEMORY_CALCULATOR_V1: 'true',
      backend: 'http://hello-backend.localhost/content',
      name: 'backend',
      url: 'http://hello-backend.localhost',
    });
    expect(backend!.env).toEqual({ MEMORY_CALCULATOR_V1: 'true', COLOR: 'GREEN' });
    expect(backend!.routes).toEqual(['hello-backend.localhost']);
    expect(m.notes).toEqual([
      'no local meaning, ignored: buildpack, disk-quota, memory',
      'module types not used locally (run as push does): java.tomcat',
    ]);
  });

  it('takes the default domain from the option', () => {
    const m = read('hello-blue/mtad.yaml', { defaultDomain: 'apps.internal' });
    expect(m.modules.map((x) => x.routes)).toEqual([
      ['hello-router.apps.internal'],
      ['hello-backend.apps.internal'],
    ]);
    expect(m.modules[0]!.env.url).toBe('http://hello-backend.apps.internal');
  });

  it('reads cf-app: a dotted MTA id, app-name, ${default-host}.${default-domain} and generated routes, the http health check, an archive path run from its directory', () => {
    const m = read('cf-app/mtad.yaml');
    expect(m.id).toBe('a.cf.app');
    const [app] = m.modules;
    expect(app!.name).toBe('my-mta-managed-app-module');
    expect(app!.app).toBe('my-cf-app');
    expect(app!.command).toBe('npm start');
    expect(app!.cwd).toBe(path.join(MTA, 'cf-app/appBits'));
    expect(app!.health_path).toBe('/index');
    expect(app!.instances).toBe(1);
    expect(app!.routes[0]).toBe('my-cf-app.localhost');
    expect(app!.routes[1]).toMatch(/^my-custom-host[0-9a-f]{24}\.at\.some\.domain$/);
    expect(app!.env.MY_CF_APP_ENV_VARIABLE).toBe('HELLO MTA');
    expect(app!.env.A_MORE_COMPLEX_VAR).toContain('"elements": "http://my-cf-app.localhost"');
    expect(m.notes).toContain(
      'no local meaning, ignored: buildpack, memory, disk-quota, upload-timeout, health-check-timeout, app-features',
    );
  });

  it('reads sharing-values: ~{group/prop} between modules, property names with dashes, no-start noted', () => {
    const m = read('sharing-values/mtad.yaml');
    const [prov, cons] = m.modules;
    expect(prov!.app).toBe('providing-module');
    expect(cons!.env['m1-config']).toBe('static-string-with-suffix');
    expect(cons!.env['m1-url']).toBe('http://providing-module.localhost');
    expect(cons!.env['m1-user']).toBe(prov!.env['my-generated-user']);
    expect(m.notes).toContain(
      'no-start: started anyway, as a blue-green deploy checks that the new version answers: providing-module, consuming-module',
    );
  });
});

describe('MTA names and references', () => {
  const mod = (extra: string) =>
    `_schema-version: "2.1"\nID: mta_demo\nmodules:\n  - name: a_b.c\n    parameters:\n      command: node x\n${extra}`;

  it('accepts underscored ids and makes app names of module names', () => {
    const m = parseManifest(mod(''), 't', { dir: MTA });
    expect(m.id).toBe('mta_demo');
    expect(m.modules[0]).toMatchObject({ name: 'a_b.c', app: 'a-b-c', routes: ['a-b-c.localhost'] });
  });

  it('names the MTA id an MTA id, not an app name', () => {
    expect(error('ID: "my mta"\nmodules: []\n')).toContain("ID: invalid MTA id 'my mta'");
    expect(error('ID: "my mta"\nmodules: []\n')).not.toContain('app name');
  });

  it('refuses what cannot resolve, naming the field', () => {
    expect(error(mod('    properties:\n      X: ${nope}\n'))).toContain(
      'modules[0].properties: unknown placeholder ${nope}',
    );
    expect(error(mod('    properties:\n      X: ~{other/url}\n'))).toContain(
      "~{other/url}: module 'a_b.c' does not require 'other'",
    );
    expect(error(mod('    requires:\n      - name: db\n'))).toContain(
      "modules[0].requires[0].name: 'db' is provided by no module and named by no resource",
    );
    expect(error(mod('      host: ${nowhere}\n      domain: example.com\n'))).toContain(
      'modules[0].parameters.host: unknown placeholder ${nowhere}',
    );
    expect(error('_schema-version: "1.0"\nID: x\nmodules: []\n')).toContain(
      'switchyard reads MTA descriptors of schema 2.x and 3.x',
    );
    expect(error('_schema-version: "3.3"\nID: x\nmodules:\n  - name: web\n    path: nowhere\n')).toMatch(
      /modules\[0\]\.path: nothing to run for module 'web'/,
    );
    expect(
      error(
        '_schema-version: "3.3"\nID: x\nmodules:\n  - name: a.b\n    parameters: { command: x }\n  - name: a_b\n    parameters: { command: x }\n',
      ),
    ).toContain("module 'a_b' would run as app a-b, as module 'a.b' does");
  });

  it('resources feed properties; managed services are noted', () => {
    const m = parseManifest(
      mod(
        '    requires:\n      - name: cfg\n      - name: db\n    properties:\n      LEVEL: ~{cfg/level}\nresources:\n  - name: cfg\n    properties:\n      level: debug\n  - name: db\n    type: org.cloudfoundry.managed-service\n',
      ),
      't',
      { dir: MTA },
    );
    expect(m.modules[0]!.env).toEqual({ LEVEL: 'debug' });
    expect(m.notes).toContain(
      'services not created locally (resources): db (org.cloudfoundry.managed-service)',
    );
    expect(m.notes).toContain('requires with nothing to pass on locally: a_b.c → db');
  });

  it('reads host/domain parameters, no-route, and skips wildcard routes with a note', () => {
    const m = parseManifest(
      mod(
        '      host: shop\n      domain: example.com\n  - name: worker\n    parameters:\n      command: node w\n      no-route: true\n  - name: star\n    parameters:\n      command: node s\n      routes: [{ route: "*.example.org" }]\n',
      ),
      't',
      { dir: MTA },
    );
    expect(m.modules.map((x) => x.routes)).toEqual([['shop.example.com'], [], []]);
    expect(m.notes).toContain('wildcard routes not served locally: *.example.org');
  });
});
