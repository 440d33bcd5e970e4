/**
 * Under load: the traffic generator at 2,000 req/s through the real proxy to the real backends,
 * all in this process. The screen repaints once per stats sample whatever the rate (counted in
 * frames per sample, not per second), and keys still take effect. How fast (frames per second,
 * key to screen in ms) is measured by `npm run bench` (its "UI under load" section), not here.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { startDemo, type Demo } from '../../src/demo/index.js';
import { App } from '../../src/ui/App.js';
import { StatsSampler } from '../../src/ui/hooks/use-stats.js';
import { tick, waitFor, waitForFrame } from './helpers.js';

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

it('repaints once per stats sample at 2,000 req/s, never per request, and keys take effect', async () => {
  const SAMPLE_MS = 100;
  const r = render(
    <App engine={engine} demo={demo} size={{ columns: 120, rows: 40 }} colour={false} sampleMs={SAMPLE_MS} />,
  );
  await waitForFrame(r.lastFrame, 'generator 2000 req/s');
  await tick();
  await waitFor(
    () => engine.stats.snapshot().total.requests > 500,
    () => `500 requests through the proxy (now ${engine.stats.snapshot().total.requests})`,
    30_000,
  );

  // A twin sampler on the App's clock counts the samples; the App may draw one frame per sample
  // (its own sampler's phase differs, hence + 2), whatever the number of requests meanwhile.
  const twin = new StatsSampler(engine.stats, SAMPLE_MS);
  let samples = 0;
  const framesBefore = r.frames.length;
  const requestsBefore = engine.stats.snapshot().total.requests;
  const unsubscribe = twin.subscribe(() => samples++);
  try {
    await waitFor(() => samples >= 10, 'ten stats samples', 30_000);
  } finally {
    unsubscribe();
  }
  const frames = r.frames.length - framesBefore;
  const requests = engine.stats.snapshot().total.requests - requestsBefore;
  expect(requests, 'requests during the ten samples').toBeGreaterThan(100);
  expect(frames, `${frames} frames for ${samples} samples and ${requests} requests`).toBeLessThanOrEqual(
    samples + 2,
  );

  for (const [key, text] of [
    ['5', 'blue 50%'],
    ['G', '100% green'],
    ['B', 'blue 100%'],
  ] as const) {
    r.stdin.write(key);
    await waitForFrame(r.lastFrame, text, 30_000);
  }
  const split = engine.store.state.services.find((s) => s.name === 'demo')?.upstreams;
  expect(split).toEqual([
    { name: 'blue', weight: 100 },
    { name: 'green', weight: 0 },
  ]);
  expect(demo.traffic.failed).toBe(0);
}, 120_000);
