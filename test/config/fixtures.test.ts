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
  // Loads, but its "/regex.+" is a prefix here until the router's migration of 2.x regex paths lands.
  'kong-legacy-regex-2.1.yml': { counts: [2, 1, 0, 0], version: '2.1', skipped: [] },
};

/**
 * Files that need what other work adds (named): what is wrong with them today, exactly. When
 * that lands, this fails: move the file to FIXTURES with its counts.
 */
const WAITING: Record<
  string,
  { on: string; errors: Record<string, string>; /** once it loads */ counts: Expect['counts'] }
> = {
  'supabase-kong.yml': {
    on: "services' protocols (ws)",
    errors: { 'services[9].protocol': 'expected one of: http' },
    counts: [21, 21, 0, 0],
  },
  'kic-regex-prefixed-path.yaml': {
    on: 'the Kong router (regex paths)',
    errors: { 'services[0].routes[0].paths[0]': 'regex paths are not supported; use a path prefix' },
    counts: [1, 1, 1, 0],
  },
  'openapi2kong-names-inferred.yaml': {
    on: 'the Kong router (regex paths, regex_priority)',
    errors: Object.fromEntries(
      [0, 1, 2, 3, 4, 5].flatMap((i) => [
        [
          `services[0].routes[${i}].regex_priority`,
          "not supported by switchyard (only Kong's default 0 is accepted)",
        ],
        [`services[0].routes[${i}].paths[0]`, 'regex paths are not supported; use a path prefix'],
      ]),
    ),
    counts: [1, 6, 1, 1],
  },
};

const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');

describe('real declarative files', () => {
  it('every fixture names its source in its first line', () => {
    const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'requests.yaml');
    expect(files.sort()).toEqual([...Object.keys(FIXTURES), ...Object.keys(WAITING)].sort());
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

  for (const [file, w] of Object.entries(WAITING)) {
    it(`${file}: refused today only for what ${w.on} adds`, () => {
      let e: unknown;
      try {
        readDeclarative(read(file), ctx, { source: file, skipUnsupported: true });
      } catch (x) {
        e = x;
      }
      expect((e as SwitchyardError).fields).toEqual(w.errors);
    });
  }
});
