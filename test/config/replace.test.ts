/**
 * Replacing the state with a declarative file reconciles by name, as decK does: applying the
 * export of a state changes nothing at all, so no app is restarted, no id changes, and the store
 * sees no change (no new table, no undo entry, no change event).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportYaml, loadDeclarative } from '../../src/config/yaml.js';
import type { Command } from '../../src/core/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';

const upstreamName = fc.constantFrom('blue', 'green', 'api');
const appName = fc.constantFrom('app-v1', 'app-v2', 'shop');
const address = fc.constantFrom('127.0.0.1:3001', '127.0.0.1:3002', '10.0.0.7:80', 'backend.internal:8080');
const weight = fc.constantFrom(0, 1, 20, 80, 100, 65535);
const tags = fc.option(fc.constantFrom([], ['a'], ['blue', 'prod']), { nil: undefined });
const kfRoute = fc.constantFrom('my-app.example.com', 'shop.example.com/api', 'my-app.example.com/v2');
const hosts = fc.option(fc.constantFrom([], ['web.localhost'], ['a.example.com', 'b.example.com']), { nil: undefined });
const paths = fc.option(fc.constantFrom(['/'], ['/api'], ['/v1', '/v2']), { nil: undefined });
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const upstreamCreate = fc
  .record({
    name: fc.constantFrom('blue', 'green', 'api', 'pool', 'legacy'),
    targets: fc.uniqueArray(fc.record({ target: address, weight }), { selector: (t) => t.target, maxLength: 3 }),
    tags,
    interval: fc.constantFrom(0, 0, 5),
  })
  .map(({ interval, ...u }) => ({ op: 'upstream.create', fields: defined({ ...u, ...(interval ? { healthchecks: { active: { healthy: { interval } } } } : {}) }) }) as Command);

const serviceCreate = fc
  .record({
    name: fc.option(fc.constantFrom('web', 'shop', 'api'), { nil: undefined }),
    host: fc.constantFrom('blue', 'green', 'example.org'),
    port: fc.constantFrom(80, 8080),
    path: fc.option(fc.constantFrom('/', '/anything'), { nil: undefined }),
    tags,
  })
  .map((s) => ({ op: 'service.create', fields: defined(s) }) as Command);

const routeCreate = fc
  .record({
    service: fc.option(fc.constantFrom('web', 'shop', 'api'), { nil: undefined }),
    name: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
    hosts,
    paths,
    methods: fc.option(fc.constantFrom([], ['GET'], ['POST']), { nil: undefined }),
    strip_path: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ service, ...fields }) => ({ op: 'route.create', service, fields: defined(fields) }) as Command);

const appPush = fc
  .record({
    name: appName,
    how: fc.constantFrom('command', 'targets'),
    instances: fc.constantFrom(1, 2),
    env: fc.option(fc.constant({ VERSION: 'v2' }), { nil: undefined }),
    route: fc.option(kfRoute, { nil: undefined }),
  })
  .map(
    ({ name, how, instances, env, route }) =>
      ({
        op: 'app.push',
        fields: defined(how === 'command' ? { name, command: 'node app.js', cwd: '/srv/app', instances, env, route } : { name, targets: ['127.0.0.1:4001', '127.0.0.1:4002'], route }),
      }) as Command,
  );

const deploymentPut = fc
  .record({ id: fc.constantFrom('1', '2'), state: fc.constantFrom('pending', 'resumed', 'aborted'), old: appName, next: appName, steps: fc.option(fc.constant([10, 50, 100]), { nil: undefined }) })
  .map(
    ({ id, state, old, next, steps }) =>
      ({
        op: 'deployment.put',
        deployment: defined({ id, mta: 'shop', version: '2.0.0', state, steps, modules: [{ name: 'shop', old_app: old, new_app: next, routes: ['shop.example.com'], temp_routes: ['shop-idle.example.com'] }] }),
      }) as Command,
  );

/** Commands an operator (or the supervisor) would send; the ones that fail are skipped. */
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: upstreamCreate, weight: 3 },
  { arbitrary: serviceCreate, weight: 3 },
  { arbitrary: routeCreate, weight: 3 },
  { arbitrary: appPush, weight: 3 },
  fc.tuple(upstreamName, address, weight, tags).map(([upstream, target, w, t]) => ({ op: 'target.create', upstream, fields: defined({ target, weight: w, tags: t }) }) as Command),
  fc.tuple(upstreamName, address, weight).map(([upstream, target, w]) => ({ op: 'target.update', upstream, target, fields: { weight: w } }) as Command),
  // Kong's manual health, kept in the state.
  fc.tuple(upstreamName, address, fc.constantFrom('healthy', 'unhealthy') as fc.Arbitrary<'healthy' | 'unhealthy'>).map(([upstream, target, verdict]) => ({ op: 'target.health', upstream, target, verdict }) as Command),
  fc
    .tuple(fc.constantFrom('web', 'shop', 'api'), fc.uniqueArray(fc.record({ name: upstreamName, weight: fc.constantFrom(0, 1, 50, 100) }), { selector: (e) => e.name, minLength: 1, maxLength: 3 }))
    .map(([service, split]) => ({ op: 'service.split', service, split }) as Command),
  fc.tuple(fc.constantFrom('web', 'shop', 'api'), fc.constantFrom('blue', 'green')).map(([service, host]) => ({ op: 'service.update', service, fields: { host } }) as Command),
  fc.tuple(appName, kfRoute, weight).map(([app, route, w]) => ({ op: 'app.map-route', app, route, weight: w }) as Command),
  fc.tuple(fc.constantFrom('app.start', 'app.stop', 'app.restart'), appName).map(([op, app]) => ({ op, app }) as Command),
  // The supervisor's bookkeeping: an instance that answers joins its app's upstream.
  fc.tuple(appName, fc.constantFrom('127.0.0.1:41001', '127.0.0.1:41002')).map(([upstream, target]) => ({ op: 'target.create', upstream, fields: { target } }) as Command),
  deploymentPut,
);

/** UUIDs that tell who made them: `series` 1 is the running state's, 2 the file's. */
function ids(series: number): () => string {
  let n = 0;
  return () => `0000000${series}-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

/** A store with a clock that moves and ids that are never reused. */
function storeAt(start: number): { store: Store; tick: () => void } {
  let now = start;
  return { store: new Store({ now: () => now, newId: ids(1) }), tick: () => void (now += 7) };
}

function build(commands: readonly Command[]): Store {
  const { store, tick } = storeAt(1_000);
  for (const cmd of commands) {
    tick();
    try {
      store.dispatch(cmd);
    } catch (e) {
      if (!(e instanceof SwitchyardError)) throw e;
    }
  }
  return store;
}

describe('config apply of an unchanged export', () => {
  it('changes nothing: the same state, no new table, no undo entry, no change event', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40, size: 'large' }), (commands) => {
        const store = build(commands);
        const before = store.state;
        const table = store.table;
        const changes: string[] = [];
        store.subscribe((c) => changes.push(c.summary));
        // Loaded later, with other ids and another clock, as `config apply` does in another process.
        const file = exportYaml(before);
        const loaded = loadDeclarative(file, { now: 999_999, newId: ids(2) });
        const outcome = store.dispatch({ op: 'state.replace', state: loaded }, 'config');
        expect(store.state).toEqual(before);
        expect(store.state).toBe(before);
        expect(store.table).toBe(table);
        expect(changes).toEqual([]);
        expect(outcome.summary).toMatch(/^state unchanged/);
      }),
      { numRuns: 200 },
    );
  });
});
