/**
 * Under load: the traffic generator at 2,000 req/s through the real proxy to the real backends,
 * all in this process. The screen repaints a few times a second whatever the rate, and a key
 * still takes effect at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { startDemo, type Demo } from '../../src/demo/index.js';
import { App } from '../../src/ui/App.js';
import { tick, waitFor, waitForContent } from './helpers.js';

let engine: Engine;
let demo: Demo;

beforeAll(async () => {
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
  demo = await startDemo(engine, { rate: 2000, latencyMs: [0, 2] });
});

afterAll(async () => {
  cleanup();
  await demo.stop();
  await engine.stop(1000);
});

it('repaints a few times a second at 2,000 req/s and answers keys at once', async () => {
  const r = render(<App engine={engine} demo={demo} size={{ columns: 120, rows: 40 }} colour={false} />);
  await waitForContent(r.lastFrame, 'generator 2000 req/s');
  await tick();
  // Let the load settle.
  await waitFor(
    () => engine.stats.snapshot().total.rate > 500,
    () => `a rate above 500 req/s (now ${engine.stats.snapshot().total.rate.toFixed(0)})`,
    8000,
  );

  const before = r.frames.length;
  const requestsBefore = engine.stats.snapshot().total.requests;
  await new Promise((res) => setTimeout(res, 2000));
  const frames = r.frames.length - before;
  const requests = engine.stats.snapshot().total.requests - requestsBefore;
  expect(requests).toBeGreaterThan(1000);
  // 4 Hz sampling: about 8 frames in 2 s, never one per request.
  expect(frames).toBeLessThanOrEqual(16);

  for (const [key, text] of [
    ['5', 'blue 50%'],
    ['G', '100% green'],
    ['B', 'blue 100%'],
  ] as const) {
    const t0 = performance.now();
    r.stdin.write(key);
    await waitForContent(r.lastFrame, text, 2000);
    const ms = performance.now() - t0;
    expect(ms, `${key} took ${ms.toFixed(0)} ms`).toBeLessThan(300);
  }
  const split = engine.store.state.services.find((s) => s.name === 'demo')?.upstreams;
  expect(split).toEqual([
    { name: 'blue', weight: 100 },
    { name: 'green', weight: 0 },
  ]);
  expect(demo.traffic.failed).toBe(0);
}, 30_000);
