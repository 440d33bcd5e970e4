/**
 * A sample whose numbers did not move draws nothing: the stats are still sampled on the App's
 * clock, but when nothing on screen changed nothing commits, so Ink writes no frame (#16: an
 * idle UI cost a frame's full work four times a second). A number that moves is drawn at the
 * next sample.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { App } from '../../src/ui/App.js';
import { get, tick, waitFor, waitForFrame } from './helpers.js';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
});

afterAll(async () => {
  cleanup();
  await engine.stop(1000);
});

it('draws no frame for samples whose numbers are as they were, and draws the one that differs', async () => {
  // The App's sampler reads through this, so the samples it took can be counted.
  let samples = 0;
  const stats = {
    snapshot: () => {
      samples++;
      return engine.stats.snapshot();
    },
  };
  const r = render(
    <App
      engine={{ store: engine.store, stats, proxyUrl: engine.proxyUrl, adminUrl: engine.adminUrl }}
      size={{ columns: 120, rows: 40 }}
      colour={false}
      sampleMs={20}
    />,
  );
  await waitForFrame(r.lastFrame, 'requests 0');
  await tick();

  const framesBefore = r.frames.length;
  const samplesBefore = samples;
  await waitFor(() => samples >= samplesBefore + 10, 'ten stats samples');
  expect(r.frames.length - framesBefore, `frames drawn in ${samples - samplesBefore} unchanged samples`).toBe(0);

  // A request no route takes still counts: the next sample shows it.
  const answer = await get(engine.proxyUrl, 'nowhere.example');
  expect(answer.status).toBe(404);
  await waitForFrame(r.lastFrame, 'requests 1');
}, 60_000);
