/** `--readonly`: the UI says so, and a key that would change routing is refused with the reason. */
import { afterEach, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { Store } from '../../src/core/store.js';
import { App } from '../../src/ui/App.js';
import { KEYS, tick, waitForFrame } from './helpers.js';

let engine: Engine | undefined;
afterEach(async () => {
  cleanup();
  await engine?.stop(100);
});

it('refuses every change from the keyboard and leaves the state as it was', async () => {
  const seed = new Store();
  seed.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] } });
  seed.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] } });
  seed.dispatch({ op: 'service.create', fields: { name: 'web', upstreams: [{ name: 'blue', weight: 100 }, { name: 'green', weight: 0 }] } });
  seed.dispatch({ op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } });
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0, readonly: true, initialState: seed.state });
  const before = JSON.stringify(engine.store.state);
  const r = render(<App engine={engine} size={{ columns: 100, rows: 30 }} colour={false} sampleMs={50} />);
  await waitForFrame(r.lastFrame, ['read-only', 'web.localhost → web']);
  await tick();
  r.stdin.write(KEYS.right);
  await waitForFrame(r.lastFrame, '✗ switchyard is read-only (--readonly): changes are refused');
  expect(JSON.stringify(engine.store.state)).toBe(before);
  // G refuses with the same words, so the screen cannot show it was handled: p (pause) after it
  // can. Keys are taken in order, so once the screen is paused, G has been refused.
  r.stdin.write('G');
  r.stdin.write('p');
  await waitForFrame(r.lastFrame, '⏸ paused');
  expect(JSON.stringify(engine.store.state)).toBe(before);
});

it('the demo runs read-only: its scene is set up, and the keys are refused', async () => {
  const { startDemo } = await import('../../src/demo/index.js');
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0, readonly: true });
  const demo = await startDemo(engine, { rate: 0, latencyMs: [0, 0] });
  try {
    expect(engine.store.state.services.map((s) => s.name)).toEqual(['demo']);
    expect(engine.store.canUndo).toBe(false);
    const r = render(<App engine={engine} demo={demo} size={{ columns: 100, rows: 30 }} colour={false} sampleMs={50} />);
    await waitForFrame(r.lastFrame, ['read-only', 'demo.localhost → demo']);
    await tick();
    r.stdin.write(KEYS.right);
    await waitForFrame(r.lastFrame, '✗ switchyard is read-only (--readonly): changes are refused');
  } finally {
    await demo.stop();
  }
});
