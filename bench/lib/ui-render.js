/**
 * The UI under load, in one process as `switchyard demo` runs it: the demo's traffic generator at
 * `--rate` req/s through the real proxy to the real backends, the real App rendered through
 * ink-testing-library. Measures what the test suite only counts: frames per second and per stats
 * sample while the load runs, and the time from a key press to the frame that shows it.
 *
 * Run by bench/experiments/render.js as a child process (`node bench/lib/ui-render.js --rate N --presses K
 * --samples S`); prints one JSON object on stdout.
 */
import { setImmediate } from 'node:timers';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createElement } from 'react';
import { render, cleanup } from 'ink-testing-library';
import { Engine } from '../../dist/engine.js';
import { startDemo } from '../../dist/demo/index.js';
import { App } from '../../dist/ui/App.js';
import { SAMPLE_MS, StatsSampler } from '../../dist/ui/hooks/use-stats.js';
import { percentiles, sleep } from './http.js';

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    presses: { type: 'string', default: '20' },
    samples: { type: 'string', default: '20' },
  },
});
const RATE = Number(opt.rate);
const PRESSES = Number(opt.presses);
const SAMPLES = Number(opt.samples);
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

async function until(check, what, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
const demo = await startDemo(engine, { rate: RATE, latencyMs: [0, 2] });
const r = render(createElement(App, { engine, demo, size: { columns: 120, rows: 40 }, colour: false }));
const frame = () => (r.lastFrame() ?? '').replace(ANSI, '');
try {
  await until(() => frame().includes(`generator ${RATE} req/s`), 'the first frame');
  await until(() => engine.stats.snapshot().total.requests > RATE, 'a second of load');

  // Frames while the load runs, against the samples of a twin sampler on the App's clock.
  const twin = new StatsSampler(engine.stats, SAMPLE_MS);
  let samples = 0;
  const framesBefore = r.frames.length;
  const requestsBefore = engine.stats.snapshot().total.requests;
  const t0 = performance.now();
  const off = twin.subscribe(() => samples++);
  await until(() => samples >= SAMPLES, `${SAMPLES} samples`, SAMPLES * SAMPLE_MS * 10);
  off();
  const seconds = (performance.now() - t0) / 1000;
  const frames = r.frames.length - framesBefore;
  const requests = engine.stats.snapshot().total.requests - requestsBefore;

  // Key → the frame that shows the change, alternating G and B, a pause between presses.
  const keyMs = [];
  for (let i = 0; i < PRESSES; i++) {
    const [key, text] = i % 2 === 0 ? ['G', '100% green'] : ['B', 'blue 100%'];
    await sleep(SAMPLE_MS + 50);
    const start = performance.now();
    r.stdin.write(key);
    await until(() => frame().includes(text), `${key} to show ${text}`);
    keyMs.push(performance.now() - start);
  }
  process.stdout.write(
    `${JSON.stringify({
      rate: RATE,
      achievedRps: requests / seconds,
      samples,
      sampleMs: SAMPLE_MS,
      frames,
      framesPerSecond: frames / seconds,
      framesPerSample: frames / samples,
      requests,
      failed: demo.traffic.failed,
      presses: PRESSES,
      keyToScreenMs: percentiles(keyMs),
    })}\n`,
  );
} finally {
  cleanup();
  await demo.stop();
  await engine.stop(1000);
}
