/** The CLI loads real Kong files: `config check`, `serve --config`, with and without --skip-unsupported. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, serve } from '../helpers/cli.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/kong/deck-nested-entities.yaml');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-load-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the CLI and a Kong file', () => {
  it('config check names every error of the file at once', async () => {
    const bad = path.join(dir, 'kong.yml');
    fs.writeFileSync(
      bad,
      'services:\n  - name: a\n    host: "a b"\n    routes: [{ paths: [x] }]\nplugins: [{ name: cors }]\n',
    );
    expect(await run(['config', 'check', bad])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `switchyard: ${bad}: 3 errors:\n` +
        '  plugins[0]: cors on every route: switchyard has no plugins\n' +
        '  services[0].host: invalid value: a b\n' +
        '  services[0].routes[0].paths[0]: should start with: / (fixed path) or ~/ (regex path)\n' +
        'to load the rest without what switchyard does not have: --skip-unsupported (POST /config?skip_unsupported=true)\n',
    });
  });

  it('config check --skip-unsupported lists what was left out, route by route, and warns of open routes', async () => {
    const r = await run(['config', 'check', FIXTURE, '--skip-unsupported']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      `${FIXTURE}: ok (1 services, 3 routes, 1 upstreams)`,
      'skipped 11 entities switchyard does not have:',
      '  route alpha-route (service test-service): acl, cors, rate-limiting, bot-detection, key-auth, response-transformer',
      '  route mike-route (service test-service): acl, cors, rate-limiting',
      '  route zulu-route (service test-service): acl, cors, rate-limiting',
    ]);
    expect(r.stderr).toBe(
      'WARNING: route alpha-route (service test-service) is now OPEN: acl, bot-detection, key-auth were skipped, so anyone gets through\n' +
        'WARNING: route mike-route (service test-service) is now OPEN: acl was skipped, so anyone gets through\n' +
        'WARNING: route zulu-route (service test-service) is now OPEN: acl was skipped, so anyone gets through\n',
    );
  }, 20_000);

  it('serve --config refuses a file with plugins, and --skip-unsupported serves the rest, saying what it left out', async () => {
    const refused = await run([
      'serve',
      '--proxy-port',
      '0',
      '--admin-port',
      '0',
      '--state-dir',
      path.join(dir, 's1'),
      '--config',
      FIXTURE,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^switchyard: ${FIXTURE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 11 errors:\n`),
    );
    const sy = await serve(['--state-dir', path.join(dir, 's2'), '--config', FIXTURE, '--skip-unsupported']);
    try {
      expect(sy.stderr()).toContain('skipped 11 entities switchyard does not have:');
      expect(sy.stderr()).toContain(
        'WARNING: route mike-route (service test-service) is now OPEN: acl was skipped, so anyone gets through',
      );
      const routes = (await (
        await fetch(`${sy.adminUrl}/routes`, { signal: AbortSignal.timeout(5_000) })
      ).json()) as { data: { name: string }[] };
      expect(routes.data.map((x) => x.name).sort()).toEqual(['alpha-route', 'mike-route', 'zulu-route']);
    } finally {
      await sy.stop();
    }
  }, 40_000);
});
