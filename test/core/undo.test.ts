/** Undo takes back the operator's last change, entity by entity, and never the deployer's steps. */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';

function seeded(): Store {
  const store = new Store();
  store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] } });
  store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] } });
  store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue' } });
  return store;
}

const deployment = (state: string) => ({
  id: '4242',
  mta: 'shop',
  version: '2.0.0',
  state,
  modules: [{ name: 'web', old_app: null, new_app: 'web-green', routes: ['shop.example.com'], temp_routes: [] }],
});

describe('undo', () => {
  it('takes back only what the change touched: the supervisor’s changes since stay', () => {
    const store = seeded();
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } }, 'ui');
    // Bookkeeping of the supervisor, elsewhere, after the operator's change.
    store.dispatch({ op: 'target.create', upstream: 'blue', fields: { target: '127.0.0.1:3009' } }, 'supervisor', {
      system: true,
    });
    const out = store.undo('ui');
    expect(out.summary).toMatch(/^undid "/);
    expect(store.state.services[0]?.host).toBe('blue');
    expect(store.state.upstreams[0]?.targets.map((t) => t.target)).toEqual(['127.0.0.1:3001', '127.0.0.1:3009']);
  });

  it('puts a deleted entity back where it was, with its id', () => {
    const store = seeded();
    const green = store.state.upstreams[1]!;
    store.dispatch({ op: 'upstream.create', fields: { name: 'canary' } });
    store.dispatch({ op: 'upstream.delete', upstream: 'green' }, 'admin');
    expect(store.state.upstreams.map((u) => u.name)).toEqual(['blue', 'canary']);
    store.undo();
    expect(store.state.upstreams.map((u) => u.name)).toEqual(['blue', 'green', 'canary']);
    expect(store.state.upstreams[1]).toBe(green);
  });

  it('never takes back a step of the deployer, and refuses when a deployment changed since', () => {
    const store = seeded();
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } }, 'ui');
    store.dispatch({ op: 'deployment.put', deployment: deployment('deploying') }, 'deploy', { undoable: false });
    store.dispatch({ op: 'deployment.put', deployment: deployment('pending') }, 'deploy', { undoable: false });
    const before = JSON.stringify(store.state);
    let error: unknown;
    try {
      store.undo('ui');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as Error).message).toMatch(
      /^cannot undo "service web[^"]*": deployment shop 2\.0\.0 \(4242\) started since; abort it, or resume it, instead$/,
    );
    expect(JSON.stringify(store.state)).toBe(before);
    expect(store.canUndo).toBe(true);
  });

  it('says how a deployment moved on when the change came while it existed', () => {
    const store = seeded();
    store.dispatch({ op: 'deployment.put', deployment: deployment('pending') }, 'deploy', { undoable: false });
    store.dispatch({ op: 'service.update', service: 'web', fields: { host: 'green' } }, 'ui');
    store.dispatch({ op: 'deployment.put', deployment: deployment('resumed') }, 'deploy', { undoable: false });
    expect(() => store.undo()).toThrow(/deployment shop 2\.0\.0 \(4242\) went from pending to resumed since/);
  });
});
