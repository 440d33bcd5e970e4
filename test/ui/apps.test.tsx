/**
 * The apps and deployments panes over a real engine: real app processes (examples/hello-app.js)
 * started by the supervisor, real blue-green deploys through the deployer, real HTTP through the
 * proxy, driven through ink-testing-library.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { findKfRoute, parseRoute } from '../../src/core/apps.js';
import { Engine } from '../../src/engine.js';
import { parseManifest } from '../../src/deploy/manifest.js';
import type { DeployOptions } from '../../src/deploy/bg-deploy.js';
import { App } from '../../src/ui/App.js';
import { backend, call, type Backend } from '../admin/harness.js';
import {
  absent,
  closeAgent,
  countColours,
  get,
  KEYS,
  press,
  stripAnsi,
  tick,
  waitFor,
  waitForFrame,
} from './helpers.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');

let engine: Engine;

beforeEach(async () => {
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
});

afterEach(async () => {
  cleanup();
  await engine.stop(200);
});

afterAll(() => closeAgent());

function show(size = { columns: 100, rows: 40 }) {
  const r = render(<App engine={engine} size={size} colour={false} sampleMs={50} />);
  return { ...r, frame: () => stripAnsi(r.lastFrame() ?? '') };
}

type Shown = ReturnType<typeof show>;



/** Tabs to the pane titled `title`, one key at a time: each tab waits until the focus has moved. */
async function focus(r: Shown, title: string) {
  const focused = () => /━━ ([^━]+?) ━/.exec(r.frame())?.[1];
  for (let i = 0; i < 5 && focused() !== title; i++) {
    const before = focused();
    r.stdin.write(KEYS.tab);
    await waitFor(() => focused() !== before, () => `tab to move the focus from ${before}:\n${r.frame()}`);
  }
  return waitForFrame(r.lastFrame, `━━ ${title}`);
}

function healthy(app: string, n = 1) {
  return waitFor(
    () => (engine.supervisor.status(app)?.healthy ?? 0) >= n,
    () => `${app} to have ${n} healthy instance(s): ${JSON.stringify(engine.supervisor.status(app))}`,
    10_000,
  );
}

async function push(name: string, route?: string, command = `node ${HELLO}`) {
  engine.store.dispatch({ op: 'app.push', fields: { name, command, no_route: true } }, 'test');
  if (route) engine.store.dispatch({ op: 'app.map-route', app: name, route, weight: 1 }, 'test');
}

function manifest(version: number, extra = ''): string {
  return [
    'ID: shop',
    `version: ${version}.0.0`,
    'modules:',
    '  - name: shop-web',
    `    command: VERSION=v${version} ${extra}node ${HELLO}`,
    '    instances: 1',
    '    routes:',
    '      - shop.example.com',
    '',
  ].join('\n');
}

/** blue (1.0.0) live on shop.example.com, green (2.0.0) pending beside it. */
async function pendingDeploy(opts: DeployOptions = {}) {
  const first = await engine.deployer.deploy(parseManifest(manifest(1)), {});
  expect(first.state).toBe('resumed');
  const d = await engine.deployer.deploy(parseManifest(manifest(2)), opts);
  expect(d.state).toBe('pending');
  return d;
}

/** The frame with runs of blanks (and wrapped lines) as one space, to read paragraphs whole. */
const flat = (frame: string) => frame.replace(/\s+/g, ' ');

const deployment = (id: string) => engine.store.state.deployments.find((d) => d.id === id);

describe('the apps pane', () => {
  it('shows each app with state, instances and routes; s stops and starts it and the proxy follows', async () => {
    await push('app-v1', 'my-app.example.com');
    await push('app-v2', 'my-app.example.com');
    await Promise.all([healthy('app-v1'), healthy('app-v2')]);
    const r = show();
    await waitForFrame(r.lastFrame, [
      /app-v1 +● started +1\/1 +\S+ +my-app\.example\.com 50%/,
      /app-v2 +● started +1\/1 +\S+ +my-app\.example\.com 50%/,
    ]);
    expect(await countColours(engine.proxyUrl, 'my-app.example.com', 10)).toEqual({
      'app-v1': 5,
      'app-v2': 5,
    });

    await focus(r, 'Apps');
    await tick();
    await press(r, 's', [
      'app app-v1 stopped',
      /app-v1 +○ stopped +0\/1 +\S+ +my-app\.example\.com 0%/,
      /app-v2 +● started +1\/1 +\S+ +my-app\.example\.com 100%/,
      's start',
      absent('no target'),
    ]);
    // A stopped app's route serves its other app, from the very next request.
    expect(await countColours(engine.proxyUrl, 'my-app.example.com', 10)).toEqual({ 'app-v2': 10 });
    // With both stopped, the route has nowhere to send: its row says so where the rate was.
    r.stdin.write('j'); // keys are taken in order: the next s is on app-v2
    await press(r, 's', ['app app-v2 stopped', /my-app\.example\.com .* no target/]);
    expect(await countColours(engine.proxyUrl, 'my-app.example.com', 2)).toEqual({ 'HTTP 503': 2 });
    await press(r, 's', 'app app-v2 started');
    await healthy('app-v2');
    r.stdin.write('k');

    await press(r, 's', 'app app-v1 started');
    await healthy('app-v1');
    await waitForFrame(r.lastFrame, /app-v1 +● started +1\/1 +\S+ +my-app\.example\.com 50%/);
    expect(await countColours(engine.proxyUrl, 'my-app.example.com', 10)).toEqual({
      'app-v1': 5,
      'app-v2': 5,
    });
  });

  it('a stopped address app (--target) takes no traffic, and every pane and GET /apps say so, as the proxy does', async () => {
    const backends: Backend[] = await Promise.all([backend('addr-v1'), backend('addr-v2')]);
    try {
      for (const b of backends) {
        engine.store.dispatch({ op: 'app.push', fields: { name: b.name, targets: [b.address], no_route: true } }, 'test');
        engine.store.dispatch({ op: 'app.map-route', app: b.name, route: 'addr.example.com', weight: 1 }, 'test');
      }
      // The supervisor admits each address once it answers.
      await Promise.all(backends.map((b) => healthy(b.name)));
      const r = show();
      await waitForFrame(r.lastFrame, [
        /addr-v1 +● started +1\/1 +\S+ +addr\.example\.com 50%/,
        /addr\.example\.com +v1 50% .* 50% v2/,
      ]);
      expect(await countColours(engine.proxyUrl, 'addr.example.com', 4)).toEqual({ 'addr-v1': 2, 'addr-v2': 2 });

      await focus(r, 'Apps');
      await tick();
      // Stopped, its address stays in the upstream, at its weight: the proxy sends it nothing.
      await press(r, 's', [
        'app addr-v1 stopped',
        /addr-v1 +○ stopped +0\/1 +\S+ +addr\.example\.com 0%/,
        /addr-v2 +● started +1\/1 +\S+ +addr\.example\.com 100%/,
        /addr\.example\.com +v1 0% .* 100% v2/,
        // The targets pane (shares of the selected service): addr-v1 and its address get nothing.
        /▾ addr-v1 +100 +0% .*○ stop.*\n +127\.0\.0\.1:\d+ +100 +0% .*○ off/,
        absent('no target'),
      ]);
      expect(await countColours(engine.proxyUrl, 'addr.example.com', 4)).toEqual({ 'addr-v2': 4 });

      // Both stopped: the route answers 503, and the services pane says it has no target.
      r.stdin.write('j'); // keys are taken in order: the next s is on addr-v2
      await press(r, 's', [
        'app addr-v2 stopped',
        /addr-v2 +○ stopped +0\/1 +\S+ +addr\.example\.com 0%/,
        /addr\.example\.com +v1 0% .* 0% v2 +no target/,
      ]);
      expect(await countColours(engine.proxyUrl, 'addr.example.com', 2)).toEqual({ 'HTTP 503': 2 });
      const apps = await call(engine.adminUrl, '/apps');
      expect(apps.body.data.map((a: { name: string; state: string; routes: unknown }) => [a.name, a.state, a.routes])).toEqual([
        ['addr-v1', 'stopped', [{ route: 'addr.example.com', weight: 1, percent: 0 }]],
        ['addr-v2', 'stopped', [{ route: 'addr.example.com', weight: 1, percent: 0 }]],
      ]);
      const routes = await call(engine.adminUrl, '/app-routes');
      expect(routes.body.data[0].apps).toEqual([
        { name: 'addr-v1', weight: 1, percent: 0, state: 'stopped' },
        { name: 'addr-v2', weight: 1, percent: 0, state: 'stopped' },
      ]);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('l opens the log of the app under the cursor; esc closes it', async () => {
    await push('app-v1');
    await healthy('app-v1');
    const r = show();
    await focus(r, 'Apps');
    await tick();
    await press(r, 'l', [
      'Log of app-v1',
      /\[app-v1\/0\] starting: node .*hello-app\.js \(PORT=\d+\)/,
      /\[app-v1\/0\] app-v1 v1 listening on 127\.0\.0\.1:\d+/,
      /\[app-v1\/0\] healthy on 127\.0\.0\.1:\d+/,
      'esc close',
    ]);
    await press(r, KEYS.escape, ['━━ Apps', absent('Log of')]);
  });

  it('delete asks first: esc and enter on Cancel keep the app; Delete removes it and its route share', async () => {
    await push('app-v1', 'my-app.example.com');
    await push('app-v2', 'my-app.example.com');
    await Promise.all([healthy('app-v1'), healthy('app-v2')]);
    const r = show();
    await focus(r, 'Apps');
    await tick();
    await press(r, 'd', ['▸ Cancel', 'Delete app app-v1']);
    await press(r, KEYS.escape, 'cancelled: nothing changed');
    await press(r, 'd', '▸ Cancel');
    await press(r, KEYS.enter, 'cancelled: nothing changed');
    expect(engine.store.state.apps.map((a) => a.name)).toEqual(['app-v1', 'app-v2']);

    await press(r, 'd', '▸ Cancel');
    await press(r, KEYS.right, '▸ Delete');
    await press(r, KEYS.enter, [
      'app app-v1 deleted',
      /app-v2 +● started +1\/1 +\S+ +my-app\.example\.com 100%/,
      absent(/app-v1 +●/),
    ]);
    expect(engine.store.state.apps.map((a) => a.name)).toEqual(['app-v2']);
    expect(await countColours(engine.proxyUrl, 'my-app.example.com', 6)).toEqual({ 'app-v2': 6 });
  });

  it('a crashed app shows red with the word crashed; its log says why', async () => {
    await push('broken', undefined, 'echo "cannot find config.yml" >&2; exit 3');
    await waitFor(() => engine.supervisor.status('broken')?.crashed, 'broken to crash', 15_000);
    const r = show();
    await waitForFrame(r.lastFrame, /broken +✗ crashed +0\/1/);
    await focus(r, 'Apps');
    await tick();
    await press(r, 'l', ['Log of broken', /✗ crashed: exited with code 3/, 'cannot find config.yml']);
  }, 30_000);
});

describe('the deployments pane', () => {
  it('pressing r on a pending deploy routes the next request to green; a asks first, and Esc cancels', async () => {
    const d = await pendingDeploy();
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-blue': 4 });
    const r = show();
    // Both versions with their live numbers and routes, and what r and a will do, before either is pressed.
    await waitForFrame(r.lastFrame, [
      `${d.id}  shop 1.0.0 → 2.0.0  ◐ pending`,
      /old shop-web-blue +● 1\/1 +\S+\/s +\d+ req +shop\.example\.com 100%/,
      /new shop-web-green +● 1\/1 +\S+\/s +\d+ req +shop-idle\.example\.com 100% · shop\.example\.com 0%/,
      (f) =>
        flat(f).includes(
          'r resume shop.example.com → shop-web-green 100%; shop-idle.example.com removed; shop-web-blue drained and deleted',
        ),
      (f) =>
        flat(f).includes(
          'a abort shop-web-blue keeps shop.example.com; shop-web-green and shop-idle.example.com stay for a look (then c removes them)',
        ),
    ]);

    await press(r, '\u001b[Z', ['━━ Deployments', 'r resume']);
    await tick();
    await press(r, 'a', ['▸ Cancel', `Abort shop 2.0.0 (${d.id})? shop-web-blue keeps all traffic`]);
    await press(r, KEYS.escape, 'cancelled: nothing changed');
    expect(deployment(d.id)?.state).toBe('pending');
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-blue': 4 });

    r.stdin.write('r');
    await waitFor(() => deployment(d.id)?.state === 'resumed', 'the deployment to resume');
    // The very next request goes to green.
    expect((await get(engine.proxyUrl, 'shop.example.com')).body).toBe('shop-web-green v2 0\n');
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-green': 4 });
    // Nothing left to decide: the pane goes, the keys go back to the apps.
    await waitForFrame(
      r.lastFrame,
      [
        'shop 2.0.0 live: shop.example.com → shop-web-green; shop-web-blue retired',
        absent('Deployments'),
        '━━ Apps',
      ],
      20_000,
    );
    expect(engine.store.state.apps.map((a) => a.name)).toEqual(['shop-web-green']);
    expect((await get(engine.proxyUrl, 'shop-idle.example.com')).status).toBe(404);
  }, 30_000);

  it('after an abort, c cleans up (asking first): the new app and its temporary route go', async () => {
    const d = await pendingDeploy();
    const r = show();
    await waitForFrame(r.lastFrame, '◐ pending');
    await focus(r, 'Deployments');
    await tick();
    await press(r, 'a', '▸ Cancel');
    await press(r, KEYS.right, '▸ Abort');
    await press(r, KEYS.enter, [
      'shop 2.0.0 aborted: shop-web-blue keeps all traffic; c cleans up',
      '○ aborted',
      /c clean up +delete shop-web-green and shop-idle\.example\.com/,
    ]);
    expect(deployment(d.id)?.state).toBe('aborted');
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-blue': 4 });
    expect((await get(engine.proxyUrl, 'shop-idle.example.com')).body).toBe('shop-web-green v2 0\n');

    // The question gives way to the buttons; the pane above spells out all of it.
    await press(r, 'c', ['▸ Cancel', `Clean up shop 2.0.0 (${d.id}): delete shop-web-green and`]);
    await press(r, KEYS.escape, 'cancelled: nothing changed');
    expect(engine.store.state.apps.map((a) => a.name)).toContain('shop-web-green');
    await press(r, 'c', '▸ Cancel');
    await press(r, KEYS.right, '▸ Clean up');
    await press(r, KEYS.enter, ['shop 2.0.0 cleaned up: shop-web-green deleted', absent('━━ Deployments')]);
    expect(engine.store.state.apps.map((a) => a.name)).toEqual(['shop-web-blue']);
    expect(findKfRoute(engine.store.state, parseRoute('shop-idle.example.com'))).toBeUndefined();
    expect((await get(engine.proxyUrl, 'shop-idle.example.com')).status).toBe(404);
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-blue': 4 });

    // The next deploy reuses the names (shop-web-green, shop-idle…): the cleaned-up one stays gone.
    const next = await engine.deployer.deploy(parseManifest(manifest(3)), {});
    await waitForFrame(r.lastFrame, [
      `${next.id}  shop 1.0.0 → 3.0.0  ◐ pending`,
      absent(`${d.id}  shop`),
      absent('c clean up'),
    ]);
  }, 30_000);

  it('a gradual resume shows its step, the time to the next and the figures it is judged on', async () => {
    const d = await pendingDeploy({
      steps: [50, 100],
      intervalMs: 60_000,
      maxErrorRate: 0.05,
      maxP99Ms: 500,
    });
    const r = show();
    await waitForFrame(r.lastFrame, [
      `${d.id}  shop 1.0.0 → 2.0.0  ◐ pending`,
      (f) =>
        flat(f).includes(
          'r resume step by step: shop.example.com → shop-web-green 50% → 100%, 1m a step; aborts itself if 5xx > 5% or p99 > 500ms',
        ),
    ]);
    await focus(r, 'Deployments');
    await tick();
    // The flash comes from the deployer's answer, after the store's first step: wait for both.
    await press(r, 'r', [
      '◐ resuming 50%',
      'shop 2.0.0 resuming step by step: shop-web-green has 50% of shop.example.com',
      /step 1\/2: shop-web-green has 50% of shop\.example\.com; next step \(100%\) in (1m|5\ds)\b/,
    ]);
    await countColours(engine.proxyUrl, 'shop.example.com', 10);
    await waitForFrame(r.lastFrame, [
      /judged on 5 responses: 5xx 0\.0% \(max 5%\) · p99 \S+ms \(max 500ms\)/,
      /a abort +shop\.example\.com back to shop-web-blue 100%/,
    ]);
    await press(r, 'a', '▸ Cancel');
    await press(r, KEYS.right, '▸ Abort');
    await press(r, KEYS.enter, '○ aborted');
    expect(await countColours(engine.proxyUrl, 'shop.example.com', 4)).toEqual({ 'shop-web-blue': 4 });
  }, 30_000);
});

describe('at 80x24', () => {
  it('fits with several apps and a pending deploy, whichever pane has the keys', async () => {
    await push('app-v1', 'my-app.example.com');
    await push('app-v2', 'my-app.example.com');
    await push('worker');
    await pendingDeploy();
    await Promise.all([healthy('app-v1'), healthy('app-v2'), healthy('worker')]);
    const r = show({ columns: 80, rows: 24 });
    const check = (frame: string) => {
      const lines = frame.split('\n');
      expect(lines.length, frame).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
      return frame;
    };
    check(
      await waitForFrame(r.lastFrame, [
        '◐ pending',
        '━━ Routes → services',
        'Upstreams → targets',
        '── Apps',
        '── Deployments',
        '? help',
        'q quit',
      ]),
    );
    await focus(r, 'Apps');
    check(
      await waitForFrame(r.lastFrame, [
        '━━ Apps',
        ...['app-v1', 'app-v2', 'worker', 'shop-web-blue', 'shop-web-green'],
      ]),
    );
    await focus(r, 'Deployments');
    check(
      await waitForFrame(r.lastFrame, [
        '━━ Deployments',
        '1.0.0 → 2.0.0',
        'old shop-web-blue',
        'new shop-web-green',
        'r resume  a abort',
      ]),
    );
    check(await press(r, 'a', '▸ Cancel'));
    check(await press(r, KEYS.escape, 'cancelled'));
    check(await press(r, '?', 'Everywhere'));
    check(await press(r, KEYS.escape, '━━ Deployments'));
    await focus(r, 'Apps');
    await tick();
    check(await press(r, 'l', 'Log of app-v1'));
    check(await press(r, KEYS.escape, '━━ Apps'));
    check(await focus(r, 'Routes → services'));
  }, 30_000);
});
