import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';
import { parseRoute } from '../../src/core/apps.js';
import { parseCommandLine } from '../../src/verbs/language.js';

function kf(): Store {
  const store = new Store();
  store.dispatch({ op: 'app.push', fields: { name: 'app-v1', targets: ['127.0.0.1:3001'], route: 'my-app.my-space.example.com' } });
  store.dispatch({ op: 'app.push', fields: { name: 'app-v2', targets: ['127.0.0.1:3002'], no_route: true } });
  return store;
}

function splitOf(store: Store) {
  const route = store.state.routes.find((r) => r.hosts?.[0] === 'my-app.my-space.example.com');
  return store.state.services.find((s) => s.id === route?.service?.id)?.upstreams;
}

describe('apps (Kf verbs as commands)', () => {
  it('push creates the app, its upstream and its route at weight 1', () => {
    const s = kf().state;
    expect(s.apps.map((a) => [a.name, a.state, a.targets])).toEqual([
      ['app-v1', 'started', ['127.0.0.1:3001']],
      ['app-v2', 'started', ['127.0.0.1:3002']],
    ]);
    // The addresses join the upstream only once they answer: the supervisor's job, not the command's.
    expect(s.upstreams.find((u) => u.name === 'app-v1')?.targets).toEqual([]);
    expect(s.routes).toHaveLength(1);
  });

  it('map-route adds an app and re-mapping updates its weight in place', () => {
    const store = kf();
    store.dispatch(parseCommandLine('map-route app-v2 my-space.example.com --hostname my-app --weight 0') as never);
    expect(splitOf(store)).toEqual([{ name: 'app-v1', weight: 1 }, { name: 'app-v2', weight: 0 }]);
    store.dispatch(parseCommandLine('map-route app-v1 my-space.example.com --hostname my-app --weight 80') as never);
    store.dispatch(parseCommandLine('map-route app-v2 my-space.example.com --hostname my-app --weight 20') as never);
    expect(splitOf(store)).toEqual([{ name: 'app-v1', weight: 80 }, { name: 'app-v2', weight: 20 }]);
    expect(store.state.routes).toHaveLength(1);
  });

  it('a stopped app keeps its weight but takes no traffic', () => {
    const store = kf();
    store.dispatch({ op: 'app.map-route', app: 'app-v2', route: 'my-app.my-space.example.com', weight: 1 });
    store.dispatch({ op: 'target.create', upstream: 'app-v1', fields: { target: '127.0.0.1:3001' } });
    store.dispatch({ op: 'app.stop', app: 'app-v1' });
    const up = store.table.upstreams.find((u) => u.name === 'app-v1')!;
    expect(up.targets.map((t) => t.weight)).toEqual([0]);
    expect(splitOf(store)).toEqual([{ name: 'app-v1', weight: 1 }, { name: 'app-v2', weight: 1 }]);
  });

  it('unmapping the last app keeps the route without a service; delete removes mappings', () => {
    const store = kf();
    store.dispatch({ op: 'app.map-route', app: 'app-v2', route: 'my-app.my-space.example.com', weight: 5 });
    store.dispatch({ op: 'app.delete', app: 'app-v1' });
    expect(splitOf(store)).toEqual([{ name: 'app-v2', weight: 5 }]);
    expect(store.state.upstreams.map((u) => u.name)).toEqual(['app-v2']);
    store.dispatch({ op: 'app.unmap-route', app: 'app-v2', route: 'my-app.my-space.example.com' });
    expect(store.state.routes[0]?.service).toBeNull();
    expect(store.state.services).toEqual([]);
  });

  it('rejects bad input and keeps the state', () => {
    const store = kf();
    const before = JSON.stringify(store.state);
    const bad = [
      () => store.dispatch({ op: 'app.map-route', app: 'nope', route: 'a.example.com' }),
      () => store.dispatch({ op: 'app.map-route', app: 'app-v1', route: 'a.example.com', weight: -1 }),
      () => store.dispatch({ op: 'app.map-route', app: 'app-v1', route: 'a.example.com', weight: '1.5' }),
      () => store.dispatch({ op: 'app.map-route', app: 'app-v1', route: 'a.example.com', weight: 'x' }),
      () => store.dispatch({ op: 'app.push', fields: { name: 'Bad_Name', targets: ['127.0.0.1:1'], no_route: true } }),
      () => store.dispatch({ op: 'app.push', fields: { name: 'x', no_route: true } }),
      () => store.dispatch({ op: 'app.push', fields: { name: 'x', command: 'true', targets: ['127.0.0.1:1'] } }),
      () => store.dispatch({ op: 'app.unmap-route', app: 'app-v2', route: 'my-app.my-space.example.com' }),
      () => store.dispatch({ op: 'app.push', fields: { name: 'x', targets: ['127.0.0.1:1'], route: 'nodomain' } }),
    ];
    for (const f of bad) expect(f).toThrow(SwitchyardError);
    expect(JSON.stringify(store.state)).toBe(before);
    store.dispatch({ op: 'upstream.create', fields: { name: 'plain' } });
    expect(() => store.dispatch({ op: 'app.push', fields: { name: 'plain', targets: ['127.0.0.1:1'], no_route: true } })).toThrow(/UNIQUE/);
  });

  it('parses Kf routes', () => {
    expect(parseRoute('My-App.example.com/api/')).toEqual({ host: 'my-app.example.com', path: '/api' });
    expect(parseRoute('my-app.example.com')).toEqual({ host: 'my-app.example.com', path: null });
    expect(() => parseRoute('localhost')).toThrow(/HOST\.DOMAIN/);
  });

  it('parses the verbs as the CLI and the : line take them', () => {
    expect(parseCommandLine('push web --route web.example.com --command "VERSION=v2 node server.js" --instances 2 --env A=1')).toEqual({
      op: 'app.push',
      fields: { name: 'web', command: 'VERSION=v2 node server.js', cwd: null, instances: '2', env: { A: '1' }, route: 'web.example.com' },
    });
    expect(parseCommandLine('map-route a example.com --hostname h --path /p --weight -1')).toEqual({ op: 'app.map-route', app: 'a', route: 'h.example.com/p', weight: '-1' });
    expect(() => parseCommandLine('map-route a example.com --bogus')).toThrow(/Unknown option '--bogus'/);
    expect(() => parseCommandLine('stop')).toThrow(/usage: stop APP/);
    // Two values after one flag: the second is named, with how to give several.
    expect(() => parseCommandLine('push web --no-route --target 127.0.0.1:1 127.0.0.1:2')).toThrow(
      "push: unexpected '127.0.0.1:2' (a flag takes one value: repeat it for more, --target A --target B)",
    );
  });

  it('refuses --env for an app given by address (it would be silently ignored), leaving the state as it was', () => {
    const store = new Store();
    const before = JSON.stringify(store.state);
    expect(() => store.dispatch(parseCommandLine('push web --no-route --target 127.0.0.1:3001 --env A=1') as never)).toThrow(
      /env: applies to an app switchyard starts \(--command\)/,
    );
    expect(JSON.stringify(store.state)).toBe(before);
  });
});
