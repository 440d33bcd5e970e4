/**
 * Bad input everywhere, by property: random commands with random bodies never crash the core,
 * every failure is a SwitchyardError naming a reason, and a failed command leaves the state
 * exactly as it was; whatever succeeds leaves a state that validates again from scratch.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { replaceState, type Command } from '../../src/core/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';

const names = fc.constantFrom('blue', 'green', 'web', 'api', 'app-v1', 'app-v2', 'nope', '', 'ünïcode', 'a'.repeat(300));
const weird = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double(),
  fc.constantFrom(65535, 65536, -1, 0, 1.5, Number.MAX_SAFE_INTEGER, NaN, Infinity),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('100', 'abc', '', ' 5 ', '1e3', 'true', '127.0.0.1:3001', 'my-app.example.com', '/path'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const fieldNames = fc.constantFrom('name', 'host', 'port', 'path', 'weight', 'target', 'hosts', 'paths', 'retries', 'upstreams', 'service', 'strip_path', 'command', 'targets', 'instances', 'env', 'route', 'no_route', 'foo', '__proto__', 'constructor');
const body = fc.dictionary(fieldNames, weird, { maxKeys: 5 });

const command: fc.Arbitrary<Command> = fc.oneof(
  body.map((fields) => ({ op: 'upstream.create', fields }) as Command),
  fc.tuple(names, body).map(([upstream, fields]) => ({ op: 'upstream.update', upstream, fields }) as Command),
  names.map((upstream) => ({ op: 'upstream.delete', upstream }) as Command),
  fc.tuple(names, body).map(([upstream, fields]) => ({ op: 'target.create', upstream, fields }) as Command),
  fc.tuple(names, fc.constantFrom('127.0.0.1:3001', '127.0.0.1:3002', 'x'), body).map(([upstream, target, fields]) => ({ op: 'target.update', upstream, target, fields }) as Command),
  body.map((fields) => ({ op: 'service.create', fields }) as Command),
  fc.tuple(names, body).map(([service, fields]) => ({ op: 'service.update', service, fields }) as Command),
  fc.tuple(names, fc.array(fc.record({ name: names, weight: weird }), { maxLength: 3 })).map(([service, split]) => ({ op: 'service.split', service, split }) as unknown as Command),
  fc.tuple(names, body).map(([service, fields]) => ({ op: 'route.create', service, fields }) as Command),
  body.map((fields) => ({ op: 'app.push', fields }) as Command),
  fc.tuple(names, fc.constantFrom('my-app.example.com', 'bad', 'x.example.com/p'), weird).map(([app, route, weight]) => ({ op: 'app.map-route', app, route, weight }) as Command),
  fc.tuple(fc.constantFrom('app.start', 'app.stop', 'app.delete'), names).map(([op, app]) => ({ op, app }) as Command),
  fc.constant<Command>({ op: 'state.replace', state: { upstreams: 'nope' } }),
);

/** A store with something in it, so updates have targets to hit. */
function seeded(): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] } });
  store.dispatch({ op: 'service.create', fields: { name: 'web', upstreams: [{ name: 'blue', weight: 80 }, { name: 'green', weight: 20 }] } });
  store.dispatch({ op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } });
  store.dispatch({ op: 'app.push', fields: { name: 'app-v1', targets: ['127.0.0.1:3003'], route: 'my-app.example.com' } });
  return store;
}

describe('the command layer under random input', () => {
  it('never crashes; failures are typed and change nothing; successes stay valid', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 12 }), (commands) => {
        const store = seeded();
        for (const cmd of commands) {
          const before = JSON.stringify(store.state);
          try {
            store.dispatch(cmd);
          } catch (e) {
            expect(e).toBeInstanceOf(SwitchyardError);
            expect((e as Error).message.length).toBeGreaterThan(0);
            expect(JSON.stringify(store.state)).toBe(before);
            continue;
          }
          // Whatever was accepted validates again from scratch, as a restart would read it.
          expect(() => replaceState(JSON.parse(JSON.stringify(store.state)), { now: 1, newId: randomUUID })).not.toThrow();
        }
      }),
      { numRuns: 300 },
    );
  });
});
