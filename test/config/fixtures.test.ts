/**
 * Real declarative files (test/fixtures/kong/, each naming its source): each loads with
 * skipUnsupported, with these entity counts and this list of what was left out; those with
 * something switchyard does not have are refused without it, naming every one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeclarative } from '../../src/config/yaml.js';
import { SwitchyardError } from '../../src/core/errors.js';

const DIR = path.resolve(__dirname, '../fixtures/kong');
let n = 0;
const ctx = { now: 1, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };

interface Expect {
  /** services, routes, upstreams, targets */
  counts: [number, number, number, number];
  version: string;
  /** The paths of what was left out. */
  skipped: string[];
  /** Routes left open by a skipped access plugin: route → those plugins. */
  open?: Record<string, string[]>;
}

const FIXTURES: Record<string, Expect> = {
  'kong-config-init.yml': { counts: [0, 0, 0, 0], version: '3.0', skipped: [] },
  'deck-complex-state.yaml': {
    counts: [3, 9, 3, 5],
    version: '3.0',
    skipped: ['consumers[0]', 'consumers[1]', 'consumers[2]', 'plugins[0]', 'plugins[1]', 'plugins[2]'],
    // Global key-auth and basic-auth: every route is open without them.
    open: Object.fromEntries(
      [
        'zebra-route-3',
        'zebra-route-1',
        'zebra-route-2',
        'alpha-route-2',
        'alpha-route-1',
        'beta-route',
        'standalone-zebra-route',
        'standalone-alpha-route',
        'standalone-beta-route',
      ].map((r) => [r, ['key-auth', 'basic-auth']]),
    ),
  },
  'deck-nested-entities.yaml': {
    counts: [1, 3, 1, 3],
    version: '3.0',
    skipped: [
      'certificates[0]',
      'consumer_groups[0]',
      'consumer_groups[1]',
      'consumer_groups[2]',
      'consumers[0]',
      'services[0].plugins[0]',
      'services[0].plugins[1]',
      'services[0].plugins[2]',
      'services[0].routes[0].plugins[0]',
      'services[0].routes[0].plugins[1]',
      'services[0].routes[0].plugins[2]',
    ],
    open: {
      'alpha-route': ['acl', 'bot-detection', 'key-auth'],
      'mike-route': ['acl'],
      'zulu-route': ['acl'],
    },
  },
  'deck-complex-nested-structure.yaml': {
    counts: [3, 6, 3, 3],
    version: '3.0',
    skipped: [
      'certificates[0]',
      'consumers[0]',
      'consumers[1]',
      'consumers[2]',
      'services[0].plugins[0]',
      'services[0].plugins[1]',
      'services[0].plugins[2]',
      'services[0].routes[0].plugins[0]',
      'services[0].routes[0].plugins[1]',
      'services[0].routes[0].plugins[2]',
    ],
    open: {
      'alpha-route': ['basic-auth', 'jwt', 'key-auth', 'acl'],
      'mike-route': ['basic-auth', 'jwt', 'key-auth'],
      'zulu-route': ['basic-auth', 'jwt', 'key-auth'],
    },
  },
  'deck-plugins-nested-1.1.yaml': {
    counts: [1, 2, 0, 0],
    version: '1.1',
    skipped: ['services[0].plugins[0]', 'services[0].plugins[1]'],
  },
  'deck-konnect.yaml': { counts: [1, 0, 0, 0], version: '3.0', skipped: [] },
  'deck-select-tags.yaml': { counts: [1, 1, 0, 0], version: '3.0', skipped: ['consumers[0]'] },
  'deck-upstream-1.1.yaml': { counts: [0, 0, 1, 1], version: '1.1', skipped: [] },
  // Kong's own 2.1 file: a regex path without `~`, migrated on load as Kong 3 does.
  'kong-legacy-regex-2.1.yml': { counts: [2, 1, 0, 0], version: '2.1', skipped: [] },
  // Regex paths (`~`) and regex_priority, as Kong's ingress controller and openapi2kong write them.
  'kic-regex-prefixed-path.yaml': { counts: [1, 1, 1, 0], version: '3.0', skipped: [] },
  'openapi2kong-names-inferred.yaml': { counts: [1, 6, 1, 2], version: '3.0', skipped: [] },
  // Supabase's gateway: url beside protocol (the url wins, as in Kong), a ws service, and every
  // route's key-auth/acl left out with --skip-unsupported, each named open.
  'supabase-kong.yml': {
    counts: [20, 20, 0, 0],
    version: '2.1',
    skipped: [
      'consumers[0]',
      'consumers[1]',
      'consumers[2]',
      'acls[0]',
      'acls[1]',
      'basicauth_credentials[0]',
      'services[0].plugins[0]',
      'services[1].plugins[0]',
      'services[2].plugins[0]',
      'services[3].plugins[0]',
      'services[4].plugins[0]',
      'services[5].plugins[0]',
      'services[6].plugins[0]',
      'services[6].plugins[1]',
      'services[6].plugins[2]',
      'services[6].plugins[3]',
      'services[7].plugins[0]',
      'services[7].plugins[1]',
      'services[7].plugins[2]',
      'services[7].plugins[3]',
      'services[8].plugins[0]',
      'services[8].plugins[1]',
      'services[8].plugins[2]',
      'services[8].plugins[3]',
      'services[9].plugins[0]',
      'services[9].plugins[1]',
      'services[9].plugins[2]',
      'services[9].plugins[3]',
      'services[10].plugins[0]',
      'services[11].plugins[0]',
      'services[12].plugins[0]',
      'services[12].plugins[1]',
      'services[12].plugins[2]',
      'services[12].plugins[3]',
      'services[13].plugins[0]',
      'services[13].plugins[1]',
      'services[13].plugins[2]',
      'services[14].plugins[0]',
      'services[14].plugins[1]',
      'services[14].plugins[2]',
      'services[15].plugins[0]',
      'services[16].plugins[0]',
      'services[16].plugins[1]',
      'services[17].plugins[0]',
      'services[18].plugins[0]',
      'services[19].plugins[0]',
      'services[19].plugins[1]',
    ],
    open: {
      'auth-v1-all': ['key-auth', 'acl'],
      'rest-v1-all': ['key-auth', 'acl'],
      'graphql-v1-all': ['key-auth', 'acl'],
      'realtime-v1-ws': ['key-auth', 'acl'],
      'realtime-v1-rest-openapi': ['request-termination'],
      'realtime-v1-rest-tenants': ['request-termination'],
      'realtime-v1-rest': ['key-auth', 'acl'],
      'meta-all': ['key-auth', 'acl'],
      'mcp-blocker-route': ['request-termination'],
      mcp: ['request-termination'],
      'dashboard-all': ['basic-auth'],
    },
  },
};

const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');

describe('real declarative files', () => {
  it('every fixture names its source in its first line', () => {
    const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'requests.yaml');
    expect(files.sort()).toEqual(Object.keys(FIXTURES).sort());
    for (const f of files) expect(read(f).split('\n')[0], f).toMatch(/^# Source: (adapted from )?\S+\/\S+ /);
  });

  for (const [file, want] of Object.entries(FIXTURES)) {
    it(`${file} loads`, () => {
      const r = readDeclarative(read(file), ctx, { source: file, skipUnsupported: true });
      const s = r.state;
      expect([
        s.services.length,
        s.routes.length,
        s.upstreams.length,
        s.upstreams.reduce((a, u) => a + u.targets.length, 0),
      ]).toEqual(want.counts);
      expect(r.formatVersion).toBe(want.version);
      expect(r.skipped.map((e) => e.path)).toEqual(want.skipped);
      expect(Object.fromEntries(r.routes.filter((x) => x.open.length).map((x) => [x.route, x.open]))).toEqual(
        want.open ?? {},
      );
      if (want.skipped.length) {
        // Without the flag: refused, every one of them named, and nothing else.
        let e: unknown;
        try {
          readDeclarative(read(file), ctx, { source: file });
        } catch (x) {
          e = x;
        }
        expect(e).toBeInstanceOf(SwitchyardError);
        expect(Object.keys((e as SwitchyardError).fields).sort()).toEqual([...want.skipped].sort());
        expect((e as SwitchyardError).message).toMatch(
          new RegExp(`^${file.replace('.', '\\.')}: ${want.skipped.length} errors?:\n`),
        );
      }
    });
  }
});
