/**
 * What one UI frame costs the process (#16): `switchyard demo`'s parts in one process (the demo's
 * traffic generator at `--rate` req/s through the real proxy to the real backends), the real App
 * rendered through ink-testing-library at 120×40, and each frame measured from the stats sample
 * that starts it (the sampler's `snapshot()` call) to the end of the task that wrote it: the main
 * thread's CPU (`/proc/thread-self/schedstat`), the wall time, and the heap the frame allocated
 * (used heap before and after, for frames no GC ran in). Then the whole process's CPU per second
 * with the numbers live against the same run paused (`p`, so no frames), in interleaved phases:
 * that difference over the frames drawn is the frame's cost including the GC threads.
 *
 * Run: `npm run build && node bench/frame-cost.js [--rate 2000] [--rounds 3] [--phase 4] [--dist DIR]`;
 * prints a summary on stderr and one JSON line on stdout. `--rate 0` measures frames whose numbers
 * do not move; `--dist` measures another build (a copy of dist/), for interleaved before/after runs;
 * `node --cpu-prof bench/frame-cost.js` profiles the same run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    phase: { type: 'string', default: '4' },
    warm: { type: 'string', default: '3' },
    // Another build to measure (a copy of dist/ from before a change), for interleaved A/B runs.
    dist: { type: 'string' },
    // Where to write a sampling heap profile of the live phases (collected objects included), if anywhere.
    'heap-prof': { type: 'string' },
  },
});
// As bin/switchyard.js runs it: React's production build (set before React is first imported),
// and colours as in a 256-colour terminal (tmux's xterm-256color): without a TTY chalk would
// drop every style, and Ink's output stage would have far less to do than on a real screen.
process.env.NODE_ENV ??= 'production';
process.env.FORCE_COLOR ??= '2';
const { createElement } = await import('react');
const { render, cleanup } = await import('ink-testing-library');
const DIST = opt.dist ? pathToFileURL(`${path.resolve(opt.dist)}/`) : new URL('../dist/', import.meta.url);
const { Engine } = await import(new URL('engine.js', DIST).href);
const { startDemo } = await import(new URL('demo/index.js', DIST).href);
const { App } = await import(new URL('ui/App.js', DIST).href);
// As runTui does before the first frame (when this build has it): Ink's memos shared across frames.
const caches = await import(new URL('ui/ink-caches.js', DIST).href).catch(() => null);
const sharedCaches = process.env.FRAME_COST_OWN_CACHES === '1' ? false : ((await caches?.shareInkCaches()) ?? false);
const RATE = Number(opt.rate);
const ROUNDS = Number(opt.rounds);
const PHASE_MS = Number(opt.phase) * 1000;
const WARM_MS = Number(opt.warm) * 1000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** The main thread's CPU time so far, in ms (the first field of schedstat is ns on the CPU). */
function threadMs() {
  return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}
function processMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ['gc'] });

const engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
const demo = await startDemo(engine, { rate: RATE, latencyMs: [0, 2] });

// A frame opens when the UI's sampler asks for a snapshot and closes three microtasks later: after
// React's render and commit (one microtask, queued by the sampler's listener after ours) and Ink's
// output, within the same task. A sample whose render changed nothing on screen writes nothing.
let recording = false;
const frames = [];
let writes = 0;
const stats = {
  snapshot() {
    if (recording) {
      const f = {
        cpu: threadMs(),
        proc: processMs(),
        wall: performance.now(),
        heap: v8.getHeapStatistics().used_heap_size,
        writes,
      };
      const close = () => {
        const heap = v8.getHeapStatistics().used_heap_size;
        const t1 = performance.now();
        frames.push({
          cpu: threadMs() - f.cpu,
          proc: processMs() - f.proc,
          wall: t1 - f.wall,
          heap: heap - f.heap,
          t0: f.wall,
          t1,
          wrote: writes > f.writes,
        });
      };
      const later = (f) => globalThis.queueMicrotask(f);
      later(() => later(() => later(close)));
    }
    return engine.stats.snapshot();
  },
};
const uiEngine = {
  store: engine.store,
  stats,
  proxyUrl: engine.proxyUrl,
  proxyTlsUrl: engine.proxyTlsUrl,
  adminUrl: engine.adminUrl,
  supervisor: engine.supervisor,
  deployer: engine.deployer,
  dataPlane: engine.dataPlane,
};
const r = render(
  createElement(App, { engine: uiEngine, demo, size: { columns: 120, rows: 40 }, colour: true }),
);
const write = r.stdout.write;
r.stdout.write = (frame) => {
  writes++;
  write(frame);
};
const text = () => (r.lastFrame() ?? '').replace(ANSI, '');

async function until(check, what, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One phase: the process's CPU per second and the frames written. */
async function phase(live) {
  const want = live ? '● live' : 'paused';
  if (!text().includes(want)) r.stdin.write('p');
  await until(() => text().includes(want), want);
  await sleep(300);
  recording = live;
  const w0 = writes;
  const c0 = processMs();
  const m0 = threadMs();
  const t0 = performance.now();
  const q0 = engine.stats.snapshot().total.requests;
  await sleep(PHASE_MS);
  const seconds = (performance.now() - t0) / 1000;
  recording = false;
  return {
    live,
    seconds,
    cpuPerSecond: (processMs() - c0) / seconds,
    mainPerSecond: (threadMs() - m0) / seconds,
    frames: writes - w0,
    rps: (engine.stats.snapshot().total.requests - q0) / seconds,
  };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Where the frames' garbage comes from: V8's sampling heap profiler, keeping what GC collected. */
async function heapProfile(file) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

try {
  await until(() => text().includes(`generator ${RATE} req/s`), 'the first frame');
  await sleep(WARM_MS);
  const phases = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, the first of each pair alternating.
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const live of order) {
      const stop = live && opt['heap-prof'] ? await heapProfile(opt['heap-prof']) : null;
      phases.push(await phase(live));
      await stop?.();
    }
  }
  await sleep(50);
  const clean = frames.filter((f) => !gcs.some((g) => g.start < f.t1 && g.end > f.t0));
  const live = phases.filter((p) => p.live);
  const paused = phases.filter((p) => !p.live);
  const fps = mean(live.map((p) => p.frames / p.seconds));
  const sps = frames.length / live.reduce((a, p) => a + p.seconds, 0);
  const extra = mean(live.map((p) => p.cpuPerSecond)) - mean(paused.map((p) => p.cpuPerSecond));
  const extraMain = mean(live.map((p) => p.mainPerSecond)) - mean(paused.map((p) => p.mainPerSecond));
  const result = {
    rate: RATE,
    rps: round(mean(phases.map((p) => p.rps)), 0),
    samples: frames.length,
    /** Samples whose render changed the screen (Ink wrote a frame). */
    written: frames.filter((f) => f.wrote).length,
    framesPerSecond: round(fps),
    mainCpuMsPerSample: {
      p50: round(
        quantile(
          frames.map((f) => f.cpu),
          0.5,
        ),
      ),
      p90: round(
        quantile(
          frames.map((f) => f.cpu),
          0.9,
        ),
      ),
      mean: round(mean(frames.map((f) => f.cpu))),
    },
    // getrusage: exact where schedstat may lag a little, but counts every thread busy meanwhile.
    processCpuMsPerSample: {
      p50: round(quantile(frames.map((f) => f.proc), 0.5)),
      mean: round(mean(frames.map((f) => f.proc))),
    },
    wallMsPerSample: {
      p50: round(
        quantile(
          frames.map((f) => f.wall),
          0.5,
        ),
      ),
    },
    allocKbPerSample: {
      framesWithoutGc: clean.length,
      p50: round(
        quantile(
          clean.map((f) => f.heap / 1024),
          0.5,
        ),
        0,
      ),
      mean: round(mean(clean.map((f) => f.heap / 1024)), 0),
    },
    sharedInkCaches: sharedCaches,
    livePausedMsPerSample: { process: round(extra / sps), mainThread: round(extraMain / sps) },
    phases: phases.map((p) => ({
      ...p,
      seconds: round(p.seconds),
      cpuPerSecond: round(p.cpuPerSecond, 1),
      mainPerSecond: round(p.mainPerSecond, 1),
      rps: round(p.rps, 0),
    })),
  };
  process.stderr.write(
    `${result.samples} samples, ${result.written} of them drew a frame (Ink's memos ${sharedCaches ? 'shared across frames' : 'per frame'}) [${result.framesPerSecond} frames/s] at ${result.rps} req/s\n` +
      `main-thread CPU per sample: p50 ${result.mainCpuMsPerSample.p50} ms, mean ${result.mainCpuMsPerSample.mean} ms, p90 ${result.mainCpuMsPerSample.p90} ms (wall p50 ${result.wallMsPerSample.p50} ms; process CPU p50 ${result.processCpuMsPerSample.p50} ms, mean ${result.processCpuMsPerSample.mean} ms)\n` +
      `heap allocated per sample: p50 ${result.allocKbPerSample.p50} KB, mean ${result.allocKbPerSample.mean} KB (${clean.length} frames without GC)\n` +
      `live − paused, per sample: process ${result.livePausedMsPerSample.process} ms, main thread ${result.livePausedMsPerSample.mainThread} ms\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  cleanup();
  await demo.stop();
  await engine.stop(1000);
}
