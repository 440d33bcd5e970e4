import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/core/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { effectiveSplit } from '../../src/core/model.js';
import { percentages } from '../../src/core/traffic.js';
import { Store } from '../../src/core/store.js';

function seeded(): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001', weight: 100 }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green' } });
  store.dispatch({ op: 'target.create', upstream: 'green', fields: { target: '127.0.0.1:3002' } });
  store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue' } });
  store.dispatch({ op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } });
  return store;
}

/** Runs a command that must fail, and checks the state did not move. */
function rejects(store: Store, cmd: Command): SwitchyardError {
  const before = JSON.stringify(store.state);
  const table = store.table;
  let error: unknown;
  try {
    store.dispatch(cmd);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SwitchyardError);
  expect(JSON.stringify(store.state)).toBe(before);
  expect(store.table).toBe(table);
  return error as SwitchyardError;
}

describe('commands', () => {
  it('creates entities with Kong defaults', () => {
    const s = seeded().state;
    expect(s.upstreams[1]?.targets[0]).toMatchObject({ target: '127.0.0.1:3002', weight: 100 });
    expect(s.services[0]).toMatchObject({ name: 'web', host: 'blue', port: 80, retries: 5, path: null, protocol: 'http' });
    expect(s.routes[0]).toMatchObject({ hosts: ['web.localhost'], strip_path: true, preserve_host: false });
  });

  it.each([
    [-1, 'value should be between 0 and 65535'],
    [65536, 'value should be between 0 and 65535'],
    ['abc', 'expected an integer'],
    [1.5, 'expected an integer'],
  ])('rejects target weight %s and keeps the state', (weight, reason) => {
    const store = seeded();
    const e = rejects(store, { op: 'target.update', upstream: 'blue', target: '127.0.0.1:3001', fields: { weight } });
    expect(e.code).toBe('schema violation');
    expect(e.fields).toEqual({ weight: reason });
    expect(e.message).toBe(`schema violation (weight: ${reason})`);
  });

  it('names unknown entities', () => {
    const store = seeded();
    expect(rejects(store, { op: 'target.create', upstream: 'nope', fields: { target: '127.0.0.1:1' } }).message).toBe("upstream 'nope' not found");
    expect(rejects(store, { op: 'service.update', service: 'nope', fields: { host: 'green' } }).code).toBe('not found');
    expect(rejects(store, { op: 'service.split', service: 'web', split: [{ name: 'purple', weight: 1 }] }).fields).toEqual({ 'upstreams[0].name': "no upstream named 'purple'" });
  });

  it('refuses duplicate names and targets', () => {
    const store = seeded();
    expect(rejects(store, { op: 'upstream.create', fields: { name: 'blue' } }).code).toBe('unique constraint violation');
    expect(rejects(store, { op: 'service.create', fields: { name: 'web', host: 'green' } }).code).toBe('unique constraint violation');
    expect(rejects(store, { op: 'target.create', upstream: 'blue', fields: { target: '127.0.0.1:3001' } }).code).toBe('unique constraint violation');
  });

  it('refuses unknown fields and bad shapes', () => {
    const store = seeded();
    expect(rejects(store, { op: 'upstream.create', fields: { name: 'x', foo: 1 } }).fields).toEqual({ foo: 'unknown field' });
    expect(rejects(store, { op: 'route.create', service: 'web', fields: {} }).fields['@entity']).toMatch(/must set one of/);
    expect(rejects(store, { op: 'route.create', service: 'web', fields: { paths: ['nope'] } }).fields).toEqual({ 'paths[0]': 'should start with: / (fixed path) or ~/ (regex path)' });
    expect(rejects(store, { op: 'target.create', upstream: 'blue', fields: { target: 'not a host:1' } }).fields.target).toMatch(/Invalid target/);
    expect(rejects(store, { op: 'service.create', fields: { name: 'x' } }).fields).toEqual({ host: 'required field missing' });
  });

  it('refuses to delete what is still referenced', () => {
    const store = seeded();
    expect(rejects(store, { op: 'upstream.delete', upstream: 'blue' }).code).toBe('foreign key violation');
    expect(rejects(store, { op: 'service.delete', service: 'web' }).code).toBe('foreign key violation');
  });

  it('a failing batch changes nothing, even after steps that succeeded', () => {
    const store = seeded();
    rejects(store, {
      op: 'batch',
      commands: [
        { op: 'target.update', upstream: 'blue', target: '127.0.0.1:3001', fields: { weight: 5 } },
        { op: 'target.update', upstream: 'green', target: '127.0.0.1:3002', fields: { weight: -1 } },
      ],
    });
  });

  it("PATCH host moves 100% to the upstream and keeps the other at weight 0", () => {
    const store = seeded();
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } });
    const s = store.state.services[0]!;
    expect(s.host).toBe('green');
    expect(s.upstreams).toEqual([
      { name: 'blue', weight: 0 },
      { name: 'green', weight: 100 },
    ]);
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'blue' } });
    expect(store.state.services[0]!.upstreams).toEqual([
      { name: 'blue', weight: 100 },
      { name: 'green', weight: 0 },
    ]);
  });

  it('a split sets host to the heaviest upstream and shares follow the weights', () => {
    const store = seeded();
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 20 }, { name: 'green', weight: 80 }] });
    const s = store.state.services[0]!;
    expect(s.host).toBe('green');
    expect(effectiveSplit(store.state, s)).toEqual([{ name: 'blue', weight: 20 }, { name: 'green', weight: 80 }]);
    expect(percentages([1, 1, 1])).toEqual([34, 33, 33]);
    expect(percentages([0, 0])).toEqual([0, 0]);
  });

  it('renaming an upstream carries the services that use it', () => {
    const store = seeded();
    store.dispatch({ op: 'service.split', service: 'web', split: [{ name: 'blue', weight: 1 }, { name: 'green', weight: 1 }] });
    store.dispatch({ op: 'upstream.update', upstream: 'blue', fields: { name: 'cobalt' } });
    expect(store.state.services[0]!.upstreams.map((e) => e.name)).toEqual(['cobalt', 'green']);
  });

  it('undo puts back the state before the last change', () => {
    const store = seeded();
    const before = store.state;
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } });
    store.undo();
    expect(store.state).toBe(before);
    expect(() => new Store().undo()).toThrow('nothing to undo');
  });

  it('a read-only store refuses every change', () => {
    const store = new Store({ readonly: true });
    expect(() => store.dispatch({ op: 'upstream.create', fields: { name: 'x' } })).toThrow(/read-only/);
  });

  it('persists before the change takes effect, and a failed save rejects the change', () => {
    let fail = false;
    const saved: unknown[] = [];
    const store = new Store({ persist: (s) => (fail ? (() => { throw new Error('disk full'); })() : saved.push(s)) });
    store.dispatch({ op: 'upstream.create', fields: { name: 'a' } });
    expect(saved).toHaveLength(1);
    fail = true;
    expect(() => store.dispatch({ op: 'upstream.create', fields: { name: 'b' } })).toThrow('disk full');
    expect(store.state.upstreams.map((u) => u.name)).toEqual(['a']);
  });
});
