/**
 * The operator's traffic verbs: a switch names an existing upstream, and a change that would
 * leave a serving service nothing to send to is refused unless forced (#14).
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/core/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';

function seeded(): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'empty' } });
  store.dispatch({ op: 'service.create', fields: { name: 'demo', upstreams: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }] } });
  return store;
}

function refused(store: Store, cmd: Command): SwitchyardError {
  const before = store.state;
  const version = store.table.version;
  let error: unknown;
  try {
    store.dispatch(cmd);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SwitchyardError);
  expect(store.state).toBe(before);
  expect(store.table.version).toBe(version);
  return error as SwitchyardError;
}

describe('switch', () => {
  it('refuses an upstream that does not exist, naming those that do, and changes nothing', () => {
    const e = refused(seeded(), { op: 'service.switch', service: 'demo', upstream: 'purple' });
    expect(e.code).toBe('invalid');
    expect(e.message).toBe("no upstream 'purple' to switch service demo to: it can switch to blue, green or empty; nothing changed");
  });

  it('sends everything to an existing upstream and keeps the others at 0', () => {
    const store = seeded();
    const { summary } = store.dispatch({ op: 'service.switch', service: 'demo', upstream: 'green' });
    expect(summary).toBe('service demo → blue 0% / green 100%');
    expect(store.state.services[0]).toMatchObject({ host: 'green', upstreams: [{ name: 'blue', weight: 0 }, { name: 'green', weight: 100 }] });
  });

  it('asks before switching to an upstream with nothing to send to; force does it', () => {
    const store = seeded();
    const e = refused(store, { op: 'service.switch', service: 'demo', upstream: 'empty' });
    expect(e.code).toBe('confirmation required');
    expect(e.message).toBe('service demo → blue 0% / green 0% / empty 100% would leave service demo nothing to send to (empty has no targets): every request would get 503. Nothing changed');
    store.dispatch({ op: 'service.switch', service: 'demo', upstream: 'empty', force: true });
    expect(store.state.services[0]?.host).toBe('empty');
  });

  it('names a stopped app and targets at weight 0 as the reason', () => {
    const store = seeded();
    store.dispatch({ op: 'target.update', upstream: 'green', target: '127.0.0.1:3002', fields: { weight: 0 } });
    expect(refused(store, { op: 'service.switch', service: 'demo', upstream: 'green' }).message).toContain('(every target of green has weight 0)');
  });
});

describe('split', () => {
  it('asks before a split of all zeros; force does it', () => {
    const store = seeded();
    const cmd: Command = { op: 'service.split', service: 'demo', split: [{ name: 'blue', weight: 0 }, { name: 'green', weight: 0 }] };
    const e = refused(store, cmd);
    expect(e.code).toBe('confirmation required');
    expect(e.message).toBe('service demo → blue 0% / green 0% would leave service demo nothing to send to (all its weights are 0): every request would get 503. Nothing changed');
    store.dispatch({ ...cmd, force: true });
    expect(store.state.services[0]?.upstreams.map((u) => u.weight)).toEqual([0, 0]);
  });

  it('does not ask when the service served nothing before either', () => {
    const store = seeded();
    store.dispatch({ op: 'service.split', service: 'demo', split: [{ name: 'blue', weight: 0 }, { name: 'green', weight: 0 }], force: true });
    store.dispatch({ op: 'service.split', service: 'demo', split: [{ name: 'blue', weight: 0 }, { name: 'empty', weight: 5 }] });
    expect(store.state.services[0]?.upstreams).toEqual([{ name: 'blue', weight: 0 }, { name: 'empty', weight: 5 }]);
  });

  it("leaves Kong's PATCH alone: any host, any split, as Kong's clients send them", () => {
    const store = seeded();
    store.dispatch({ op: 'service.update', service: 'demo', fields: { upstreams: [{ name: 'blue', weight: 0 }, { name: 'green', weight: 0 }] } });
    store.dispatch({ op: 'service.update', service: 'demo', fields: { host: 'example.com' } });
    expect(store.state.services[0]).toMatchObject({ host: 'example.com', upstreams: [] });
  });
});
