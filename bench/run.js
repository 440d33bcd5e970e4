#!/usr/bin/env node
/**
 * `npm run bench` (or `node bench/run.js [--quick]`): switchyard's data plane against the same
 * loopback backends reached directly, through a bare http-proxy, through `switchyard serve`,
 * through switchyard with its UI running, through nginx (when installed) and through HAProxy steered
 * by switchyard (when installed), under the same load; then switching (latency, under load, and on
 * the HAProxy fleet), split accuracy, steady memory and the scale of the config.
 * Results go to bench/results/latest.json and latest.md (a quick run: quick.json and quick.md). See bench/README.md.
 *
 * Options: --quick (under a minute, for CI smoke use), --loadgen auto|wrk|autocannon,
 * --connections N, --duration S, --warmup S, --rounds N (repeat the subjects, keep the median),
 * --only LIST (direct,bare,serve,ui,nginx,haproxy,switch,accuracy,memory,scale,render,failover,picks; haproxy brings serve
 * along, its point of comparison), --profile (CPU-profile switchyard serve and the UI under the same load),
 * --strict (exit 1 when a correctness goal is missed), --out DIR.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLoadgen } from './lib/loadgen.js';
import { cpuMeter, hasProc, memory } from './lib/proc.js';
import { keepAliveAgent, percentiles, probe, sleep, tally } from './lib/http.js';
import { stopAll, track } from './lib/procs.js';
import {
  benchConfig,
  patchService,
  ROOT,
  startBackends,
  startBareProxy,
  startNginx,
  startServe,
  startUi,
  tempDir,
} from './lib/subjects.js';
import { markdown } from './lib/report.js';
import { fleetAdminSwitch, fleetKeyPress, startHaproxyFleet, waitInSync } from './lib/haproxy.js';
import { summarize } from './lib/profile.js';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    loadgen: { type: 'string', default: process.env.BENCH_LOADGEN ?? 'auto' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  process.stdout.write(
    'usage: node bench/run.js [--quick] [--loadgen auto|wrk|autocannon] [--connections N] [--duration S] [--warmup S] [--rounds N]\n' +
      '                         [--only direct,bare,serve,ui,nginx,haproxy,switch,accuracy,memory,scale,render,failover,picks] [--profile] [--strict] [--out DIR]\n',
  );
  process.exit(0);
}

const QUICK = opt.quick;
const P = {
  mode: QUICK ? 'quick' : 'full',
  connections: Number(opt.connections ?? 32),
  durationS: Number(opt.duration ?? (QUICK ? 2 : 10)),
  warmupS: Number(opt.warmup ?? (QUICK ? 1 : 2)),
  pipelining: 1,
  rounds: Number(opt.rounds ?? (QUICK ? 1 : 3)),
  switchRounds: QUICK ? 100 : 500,
  switchesUnderLoad: QUICK ? 300 : 1000,
  keyPresses: QUICK ? 3 : 10,
  renderRate: 2000,
  renderSamples: QUICK ? 8 : 40,
  renderPresses: QUICK ? 6 : 40,
  failoverRounds: QUICK ? 2 : 10,
  picks: QUICK ? 200_000 : 2_000_000,
  haproxyInstances: 2,
  fleetKeyPresses: QUICK ? 4 : 10,
  fleetSwitches: QUICK ? 10 : 40,
  accuracyRequests: QUICK ? 3000 : 10_000,
  accuracyConcurrency: 8,
  memoryPoints: QUICK ? [30_000, 60_000] : [100_000, 1_000_000],
  scaleRoutes: [1, 100, 1000],
  scaleDurationS: QUICK ? 1.5 : 10,
  scaleWarmupS: QUICK ? 0.5 : 2,
};
const ONLY = opt.only ? new Set(opt.only.split(',').map((s) => s.trim())) : null;
const want = (what) => ONLY === null || ONLY.has(what);
const HOST = 'bench.localhost';
// Nothing here may run unbounded: the whole bench has a deadline.
const DEADLINE_MS = QUICK ? 180_000 : 45 * 60_000;

let backendsPid = null;
const log = (line) => process.stderr.write(`bench: ${line}\n`);
const notes = [];
let failed = false;

function machine(lg) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    node: process.versions.node,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadgen: lg.version,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Warm-up, then the measured run; CPU of the process under test and of the load generator. */
async function measure(
  lg,
  { pid, url, host = HOST, durationS = P.durationS, warmupS = P.warmupS, controlPid },
) {
  const load = { url, headers: { host }, connections: P.connections, pipelining: 1 };
  if (warmupS > 0) await lg.run({ ...load, duration: warmupS });
  const meter = cpuMeter(pid);
  const backendMeter = cpuMeter(backendsPid);
  // What steers the process under test, when something does (switchyard driving HAProxy).
  const controlMeter = controlPid ? cpuMeter(controlPid) : null;
  const run = lg.start({ ...load, duration: durationS });
  const lgMeter = cpuMeter(lg.pid());
  const r = await run.done;
  const cpu = meter.stop();
  const backendCpuPct = backendMeter.stop().pct;
  const controlCpuPct = controlMeter?.stop().pct;
  // wrk has exited by now and reports its own CPU; autocannon keeps running and is read from /proc.
  const loadgenCpuPct =
    r.loadgenCpuSeconds !== undefined ? (r.loadgenCpuSeconds / r.seconds) * 100 : lgMeter.stop().pct;
  const mem = memory(pid);
  // CPU per request is steadier than req/s on a shared machine: it does not care who else runs.
  const cpuUsPerRequest = r.requests > 0 ? (cpu.seconds / r.requests) * 1e6 : null;
  return {
    ...r,
    cpuPct: cpu.pct,
    cpuUsPerRequest,
    backendCpuPct,
    loadgenCpuPct,
    rssMiB: mem.rssMiB,
    peakRssMiB: mem.peakRssMiB,
    ...(controlMeter ? { controlCpuPct, controlPeakRssMiB: memory(controlPid).peakRssMiB } : {}),
  };
}

function skipped(key, label, reason) {
  log(`${label}: skipped (${reason})`);
  return { key, label, skipped: reason };
}

/** The admin API: after each change returns, how many of the next requests go to the old side. */
async function switchLatency(sy, rounds) {
  const agent = keepAliveAgent(16);
  const admin = keepAliveAgent(1);
  await patchService(sy.adminUrl, { host: 'blue' }, admin);
  let side = 'blue';
  let oldRouted = 0;
  let requests = 0;
  let errors = 0;
  const patchMs = [];
  const count = (r) => {
    requests++;
    if (r.backend === null) errors++;
    else if (r.backend !== side) oldRouted++;
  };
  for (let i = 0; i < rounds; i++) {
    const next = side === 'blue' ? 'green' : 'blue';
    // Both dialects: Kong's `host` switch and the split's weights.
    const body =
      i % 2 === 0
        ? { host: next }
        : {
            upstreams: [
              { name: 'blue', weight: next === 'blue' ? 100 : 0 },
              { name: 'green', weight: next === 'green' ? 100 : 0 },
            ],
          };
    const r = await patchService(sy.adminUrl, body, admin);
    patchMs.push(r.ms);
    side = next;
    // Ten at once, then ten one after the other.
    for (const x of await Promise.all(Array.from({ length: 10 }, () => probe(sy.proxyUrl, HOST, agent))))
      count(x);
    for (let j = 0; j < 10; j++) count(await probe(sy.proxyUrl, HOST, agent));
  }
  agent.destroy();
  admin.destroy();
  return { rounds, requests, oldRouted, errors, patchMs: percentiles(patchMs) };
}

/** 1,000 blue/green switches through the admin API while the load runs. */
async function switchUnderLoad(lg, sy, backends, switches) {
  const admin = keepAliveAgent(1);
  await patchService(sy.adminUrl, { host: 'blue' }, admin);
  await backends.reset();
  const run = lg.start({
    url: sy.proxyUrl,
    headers: { host: HOST },
    connections: P.connections,
    duration: 300,
  });
  const t0 = performance.now();
  await sleep(500);
  const patchMs = [];
  let adminErrors = 0;
  let side = 'blue';
  try {
    for (let i = 0; i < switches; i++) {
      side = side === 'blue' ? 'green' : 'blue';
      try {
        patchMs.push((await patchService(sy.adminUrl, { host: side }, admin)).ms);
      } catch {
        adminErrors++;
      }
    }
    await sleep(500);
  } finally {
    run.stop();
  }
  const r = await run.done;
  const counts = await backends.counts();
  admin.destroy();
  return {
    switches,
    seconds: (performance.now() - t0) / 1000,
    requests: r.requests,
    rps: r.rps,
    failed: r.errors,
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
    adminErrors,
    backendCounts: counts,
    patchMs: percentiles(patchMs),
    p99: r.p99,
    max: r.max,
  };
}

/** Observed split vs configured over N requests (counted from the response bodies). */
async function accuracy(sy, backends, n) {
  const admin = keepAliveAgent(1);
  const agent = keepAliveAgent(P.accuracyConcurrency);
  const configs = [
    { configured: '80/20', split: { blue: 80, green: 20 } },
    { configured: '99/1', split: { blue: 99, green: 1 } },
    { configured: '1/1/1', split: { blue: 1, green: 1, red: 1 } },
  ];
  const out = [];
  for (const c of configs) {
    await patchService(
      sy.adminUrl,
      { upstreams: Object.entries(c.split).map(([name, weight]) => ({ name, weight })) },
      admin,
    );
    await backends.reset();
    const { counts, errors } = await tally(sy.proxyUrl, HOST, n, P.accuracyConcurrency, agent);
    const atBackends = await backends.counts();
    const sum = Object.values(c.split).reduce((a, b) => a + b, 0);
    const names = Object.keys(c.split);
    const expected = names.map((k) => (n * c.split[k]) / sum);
    const observed = names.map((k) => counts[k] ?? 0);
    const deviations = names.map((_, i) => Math.abs(observed[i] - expected[i]));
    const stray = Object.keys(counts).filter((k) => !names.includes(k));
    const maxDeviation = Math.max(...deviations);
    out.push({
      configured: c.configured,
      requests: n,
      observed: observed.join(' / '),
      expected: expected.map((e) => (Number.isInteger(e) ? String(e) : e.toFixed(1))).join(' / '),
      counts,
      atBackends,
      errors,
      maxDeviation,
      // Smooth weighted round-robin: every window of sum(weights) picks is exact, so over N picks
      // each count is within one of N·w/W.
      exact: errors === 0 && stray.length === 0 && deviations.every((d) => d < 1),
    });
  }
  agent.destroy();
  admin.destroy();
  return out;
}

/** The time from a key press in the UI (via tmux) to the first request routed by the new weights. */
async function keyPress(ui, presses) {
  const admin = keepAliveAgent(1);
  const agent = keepAliveAgent(1);
  await patchService(ui.adminUrl, { host: 'blue' }, admin);
  let side = 'blue';
  const ms = [];
  const sendKeyMs = [];
  try {
    for (let i = 0; i < presses; i++) {
      const next = side === 'blue' ? 'green' : 'blue';
      const key = next === 'green' ? 'G' : 'B';
      await sleep(300);
      const t0 = performance.now();
      const sent = ui.pressKey(key);
      let seen = null;
      while (performance.now() - t0 < 5000) {
        const r = await probe(ui.proxyUrl, HOST, agent);
        if (r.backend === next) {
          seen = r.at - t0;
          break;
        }
      }
      sendKeyMs.push(await sent);
      if (seen === null) {
        throw new Error(`no request went to ${next} within 5 s of pressing ${key} (screen: ${ui.screenLine()})`);
      }
      ms.push(seen);
      side = next;
    }
  } finally {
    agent.destroy();
    admin.destroy();
  }
  return {
    presses,
    keys: 'G (100% green) / B (100% blue)',
    ms: percentiles(ms),
    tmuxSendKeysMs: percentiles(sendKeyMs),
    all: ms,
  };
}

/**
 * The UI under load in its own process (bench/lib/ui-render.js): frames per second and per stats
 * sample at `rate` req/s, and key press → the frame that shows it. The test suite only counts
 * frames per sample; the timings live here.
 */
function uiRender(rate, samples, presses) {
  return childJson('ui-render.js', ['--rate', String(rate), '--samples', String(samples), '--presses', String(presses)]);
}

/** The balancer's cost per pick for each algorithm and for a sticky split (bench/lib/picks.js): no network. */
function picks(n) {
  return childJson('picks.js', ['--picks', String(n)]);
}

/** A target killed under load (bench/lib/failover.js): time until marked down, failed requests. */
function failover(rounds) {
  return childJson('failover.js', ['--rounds', String(rounds)]);
}

/** Runs a bench/lib script in its own process; resolves with the JSON it prints. */
function childJson(name, args) {
  const script = fileURLToPath(new URL(`./lib/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${name} exited with ${code}: ${err.slice(-400)}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${name} said: ${out.slice(-400)} ${err.slice(-400)}`));
      }
    });
  });
}

/** RSS after the first and the second point (e.g. 100k and 1M requests). */
async function steadyMemory(lg, backends, ports, points) {
  const sy = await startServe(benchConfig(ports), { label: 'memory' });
  try {
    await backends.reset();
    const out = [];
    let served = 0;
    let rate = null;
    for (const target of points) {
      while (served < target) {
        // autocannon stops at `amount`; wrk only knows durations, estimated from the last rate.
        const left = target - served;
        const secs = rate ? Math.min(30, Math.max(1, left / rate)) : Math.min(5, Math.max(1, left / 10_000));
        const r = await lg.run({
          url: sy.proxyUrl,
          headers: { host: HOST },
          connections: P.connections,
          duration: secs,
          amount: left,
        });
        rate = r.rps || rate;
        served = Object.values(await backends.counts()).reduce((a, b) => a + b, 0);
      }
      await sleep(300);
      const m = memory(sy.pid);
      out.push({
        label: target >= 1e6 ? `${target / 1e6}M` : `${target / 1e3}k`,
        requests: served,
        rssMiB: m.rssMiB,
        peakRssMiB: m.peakRssMiB,
      });
      log(`memory: ${served} requests, RSS ${m.rssMiB.toFixed(1)} MiB`);
    }
    const [a, b] = out;
    const growthMiB = b.rssMiB - a.rssMiB;
    const growthPct = (growthMiB / a.rssMiB) * 100;
    const noiseMiB = 8;
    const noisePct = 10;
    return {
      points: out,
      growthMiB,
      growthPct,
      noiseMiB,
      noisePct,
      flat: growthMiB <= noiseMiB || growthPct <= noisePct,
    };
  } finally {
    await sy.stop();
  }
}

async function scale(lg, ports) {
  const out = [];
  const variants = [
    ...P.scaleRoutes.map((n) => ({ routes: n, byPath: false })),
    { routes: P.scaleRoutes.at(-1), byPath: true },
  ];
  for (const v of variants) {
    const sy = await startServe(benchConfig(ports, v), { label: `scale-${v.routes}` });
    try {
      // The last route defined: the worst case for anything that scans.
      const host = v.routes === 1 ? HOST : v.byPath ? HOST : `r${v.routes - 1}.bench.localhost`;
      const url = v.byPath ? `${sy.proxyUrl}/p${v.routes - 1}` : sy.proxyUrl;
      const r = await measure(lg, {
        pid: sy.pid,
        url,
        host,
        durationS: P.scaleDurationS,
        warmupS: P.scaleWarmupS,
      });
      const label =
        v.routes === 1
          ? '1'
          : v.byPath
            ? `${v.routes.toLocaleString('en-US')} (paths on one host)`
            : `${v.routes.toLocaleString('en-US')} (hosts)`;
      out.push({
        label,
        routes: v.routes,
        byPath: v.byPath,
        rps: r.rps,
        p50: r.p50,
        p99: r.p99,
        errors: r.errors,
        cpuPct: r.cpuPct,
        cpuUsPerRequest: r.cpuUsPerRequest,
        peakRssMiB: r.peakRssMiB,
      });
      log(`scale ${label}: ${Math.round(r.rps)} req/s`);
    } finally {
      await sy.stop();
    }
  }
  const one = out.find((s) => s.routes === 1)?.rps;
  for (const s of out) s.vsOne = one ? s.rps / one : null;
  return out;
}

/** The same load on a subject run under `node --cpu-prof`: where its CPU goes. */
async function profileSubject(lg, ports, which) {
  const dir = tempDir(`profile-${which}`);
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
  const subject =
    which === 'ui'
      ? await startUi(benchConfig(ports), { nodeArgs })
      : await startServe(benchConfig(ports), { label: 'profile', nodeArgs });
  if (subject.skipped) return { skipped: subject.skipped };
  let r;
  try {
    r = await measure(lg, { pid: subject.pid, url: subject.proxyUrl });
  } finally {
    await subject.stop();
  }
  // The profile is written as the process exits.
  let file;
  for (let i = 0; i < 50 && !file; i++) {
    file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) await sleep(100);
  }
  if (!file) throw new Error(`${which} wrote no CPU profile`);
  const summary = summarize(path.join(dir, file));
  fs.mkdirSync(opt.out, { recursive: true });
  const keep = path.join(opt.out, `${which}.cpuprofile`);
  fs.copyFileSync(path.join(dir, file), keep);
  return { subject: which, ...summary, file: path.relative(ROOT, keep), rpsWhileProfiled: r.rps };
}

const ratio = (a, b) => (a && b ? a / b : null);

/** The "Data planes" rows: in-process vs HAProxy under the same load, and switching on each. */
function dataPlanes(r) {
  const pick = (s) =>
    s && !s.skipped
      ? {
          label: s.label,
          rps: s.rps,
          p50: s.p50,
          p99: s.p99,
          max: s.max,
          errors: s.errors,
          cpuPct: s.cpuPct,
          cpuUsPerRequest: s.cpuUsPerRequest,
          peakRssMiB: s.peakRssMiB,
        }
      : null;
  const serve = r.subjects.find((s) => s.key === 'serve');
  const hap = r.subjects.find((s) => s.key === 'haproxy');
  if (hap?.skipped) return { skipped: hap.skipped };
  const inProcess = pick(serve);
  const haproxy = pick(hap);
  if (haproxy) {
    haproxy.instances = P.haproxyInstances;
    haproxy.controlCpuPct = hap.controlCpuPct ?? null;
    haproxy.controlPeakRssMiB = hap.controlPeakRssMiB ?? null;
  }
  return {
    instances: P.haproxyInstances,
    loadThrough: `instance 1 of ${P.haproxyInstances} (one load generator process)`,
    inProcess,
    haproxy,
    haproxyOverInProcessRps: ratio(haproxy?.rps, inProcess?.rps),
    haproxyOverInProcessCpuPerRequest: ratio(haproxy?.cpuUsPerRequest, inProcess?.cpuUsPerRequest),
    keyPress: r.fleetKeyPress ?? null,
    adminSwitch: r.fleetAdminSwitch ?? null,
    // For comparison, when they ran: the same measures on the in-process proxy.
    inProcessKeyPress: r.keyPress && !r.keyPress.error && !r.keyPress.skipped ? r.keyPress.ms : null,
    inProcessOldRouted:
      r.switchLatency && !r.switchLatency.error
        ? {
            oldRouted: r.switchLatency.oldRouted,
            requests: r.switchLatency.requests,
            rounds: r.switchLatency.rounds,
          }
        : null,
  };
}

const pctText = (v) => (v === null ? '–' : `${Math.round(v * 100)}%`);
const xText = (v) => (v === null ? '–' : `${v.toFixed(2)}×`);

function targets(r) {
  const by = Object.fromEntries(r.subjects.filter((s) => !s.skipped && !s.error).map((s) => [s.key, s]));
  const serveBare = ratio(by.serve?.rps, by.bare?.rps);
  const serveP99 = ratio(by.serve?.p99, by.bare?.p99);
  const uiBare = ratio(by.ui?.rps, by.bare?.rps);
  r.ratios = {
    serveOverBareRps: serveBare,
    serveOverBareP99: serveP99,
    serveOverDirectRps: ratio(by.serve?.rps, by.direct?.rps),
    bareOverDirectRps: ratio(by.bare?.rps, by.direct?.rps),
    uiOverBareRps: uiBare,
    uiOverBareP99: ratio(by.ui?.p99, by.bare?.p99),
    uiOverDirectRps: ratio(by.ui?.rps, by.direct?.rps),
    nginxOverDirectRps: ratio(by.nginx?.rps, by.direct?.rps),
    haproxyOverServeRps: ratio(by.haproxy?.rps, by.serve?.rps),
    haproxyOverServeCpuPerRequest: ratio(by.haproxy?.cpuUsPerRequest, by.serve?.cpuUsPerRequest),
  };
  const t = [];
  const add = (name, value, goal, met) => t.push({ name, value, goal, met });
  add(
    'switchyard serve req/s ÷ bare http-proxy',
    pctText(serveBare),
    '≥ 90%',
    serveBare === null ? null : serveBare >= 0.9,
  );
  add(
    'switchyard serve p99 ÷ bare http-proxy',
    xText(serveP99),
    '≤ 1.2×',
    serveP99 === null ? null : serveP99 <= 1.2,
  );
  add('switchyard serve req/s ÷ direct', pctText(r.ratios.serveOverDirectRps), '(the ceiling)', null);
  const cpuRatio = ratio(by.serve?.cpuUsPerRequest, by.bare?.cpuUsPerRequest);
  r.ratios.serveOverBareCpuPerRequest = cpuRatio;
  add(
    'switchyard serve CPU per request ÷ bare http-proxy',
    xText(cpuRatio),
    '(cost, steadier than req/s)',
    null,
  );
  add(
    'switchyard with the UI req/s ÷ bare http-proxy',
    pctText(uiBare),
    '≥ 85%',
    uiBare === null ? null : uiBare >= 0.85,
  );
  add('switchyard with the UI p99 ÷ bare http-proxy', xText(r.ratios.uiOverBareP99), '', null);
  add('switchyard with the UI req/s ÷ direct', pctText(r.ratios.uiOverDirectRps), '', null);
  const u = r.uiRender;
  if (u && !u.error) {
    add(
      `UI frames per stats sample at ${u.rate} req/s (${u.frames} frames, ${u.samples} samples of ${u.sampleMs} ms)`,
      `${u.framesPerSample.toFixed(2)} (${u.framesPerSecond.toFixed(1)}/s)`,
      '≤ 1 per sample, +2 for phase',
      u.frames <= u.samples + 2,
    );
    add(
      `UI key press → the frame showing it at ${u.rate} req/s, p50 / p99 (${u.presses} presses)`,
      `${u.keyToScreenMs.p50.toFixed(0)} / ${u.keyToScreenMs.p99.toFixed(0)} ms`,
      'p99 < 300 ms',
      u.keyToScreenMs.p99 < 300,
    );
  }
  const correctness = [];
  const f = r.failover;
  if (f && !f.error) {
    add(
      `a target killed under load → marked down, p50 / max (${f.rounds} kills)`,
      `${f.markedDownMs.p50.toFixed(1)} / ${f.markedDownMs.max.toFixed(1)} ms`,
      '< 1 s',
      f.markedDownMs.max < 1000,
    );
    correctness.push([`failed requests while a target was killed (${f.requests} requests)`, String(f.failed), '0', f.failed === 0]);
  }
  if (r.switchLatency && !r.switchLatency.error)
    correctness.push([
      'requests routed by old weights after the admin API acknowledged',
      String(r.switchLatency.oldRouted),
      '0',
      r.switchLatency.oldRouted === 0 && r.switchLatency.errors === 0,
    ]);
  if (r.switchUnderLoad && !r.switchUnderLoad.error)
    correctness.push([
      `failed requests during ${r.switchUnderLoad.switches} switches under load`,
      String(r.switchUnderLoad.failed),
      '0',
      r.switchUnderLoad.failed === 0 && r.switchUnderLoad.adminErrors === 0,
    ]);
  if (Array.isArray(r.accuracy))
    correctness.push([
      'exact split (80/20, 99/1, 1/1/1)',
      r.accuracy.map((a) => (a.exact ? 'exact' : 'off')).join(', '),
      'exact',
      r.accuracy.every((a) => a.exact),
    ]);
  if (r.memory && !r.memory.error)
    correctness.push([
      `RSS ${r.memory.points[1].label} vs ${r.memory.points[0].label} requests`,
      `${r.memory.growthMiB >= 0 ? '+' : ''}${r.memory.growthMiB.toFixed(1)} MiB`,
      'flat',
      r.memory.flat,
    ]);
  if (serveBare !== null && serveBare < 0.9 && cpuRatio !== null) {
    notes.push(
      cpuRatio <= 1.1
        ? `switchyard serve reached ${pctText(serveBare)} of bare http-proxy's req/s while spending ${xText(cpuRatio)} its CPU per request: the gap is not switchyard's per-request cost but CPU it did not get (2 cores shared by load generator, backends and proxy; other work on the machine). Run the full mode on a quiet machine.`
        : `switchyard serve spends ${xText(cpuRatio)} the CPU per request of bare http-proxy${opt.profile ? ': see its profile below' : ': run with --profile to see where'}.`,
    );
  }
  if (r.switchUnderLoad?.rps && by.serve?.rps) {
    r.switchUnderLoad.rpsVsServe = r.switchUnderLoad.rps / by.serve.rps;
  }
  for (const [name, value, goal, met] of correctness) {
    add(name, value, goal, met);
    if (!met && opt.strict) failed = true;
  }
  r.targets = t;
}

async function main() {
  if (!hasProc) notes.push('/proc is not readable here: CPU and RSS are not measured.');
  const report = { machine: null, params: P, subjects: [], notes };
  const lg = await createLoadgen(opt.loadgen, track);
  report.machine = machine(lg);
  log(
    `${report.machine.cores} cores, Node ${report.machine.node}, ${lg.version}, ${P.mode} mode: ${P.connections} connections, ${P.warmupS}+${P.durationS} s per subject`,
  );
  if (report.machine.loadavg[0] > report.machine.cores * 0.5)
    notes.push(
      `The machine was busy when the bench started (load average ${report.machine.loadavg.join(', ')}): numbers are noisy.`,
    );
  if (lg.name === 'autocannon')
    notes.push(
      'wrk is not installed: the load generator is autocannon (Node, one core), which caps what *direct* can show.',
    );
  const backends = await startBackends();
  backendsPid = backends.pid;
  const { ports } = backends;

  try {
    // Each subject alone in its own process, one after the other; with --rounds N, the whole
    // sequence is repeated (interleaved, so a noisy moment hits every subject alike) and the run
    // with the median req/s stands for the subject.
    const subjects = [
      {
        key: 'direct',
        label: 'direct to one backend',
        start: async () => ({
          pid: backends.pid,
          url: `http://127.0.0.1:${ports.blue}`,
          stop: async () => {},
        }),
      },
      {
        key: 'bare',
        label: 'bare http-proxy (keep-alive agent)',
        start: async () => {
          const bare = await startBareProxy(ports.blue);
          return { ...bare, url: bare.url };
        },
      },
      {
        key: 'serve',
        label: 'switchyard serve (80/20)',
        start: async () => {
          const sy = await startServe(benchConfig(ports));
          return { ...sy, url: sy.proxyUrl };
        },
      },
      {
        key: 'ui',
        label: 'switchyard with the UI (80/20)',
        start: async () => {
          const ui = await startUi(benchConfig(ports));
          return ui.skipped ? ui : { ...ui, url: ui.proxyUrl };
        },
        // Once, after the first measured run: the key press test needs the UI.
        after: async (ui, round) => {
          if (round > 0) return;
          try {
            report.keyPress = await keyPress(ui, P.keyPresses);
            log(`key press → routed: p50 ${report.keyPress.ms.p50?.toFixed(1)} ms`);
          } catch (e) {
            report.keyPress = { error: e.message };
            log(`key press: ${e.message}`);
          }
        },
      },
      {
        key: 'nginx',
        label: 'nginx (80/20, keep-alive, 1 worker)',
        start: async () => {
          const ng = await startNginx(ports);
          return ng.skipped ? ng : { ...ng, label: `nginx ${ng.version} (80/20, keep-alive, 1 worker)` };
        },
      },
      {
        key: 'haproxy',
        label: 'HAProxy steered by switchyard (80/20)',
        // The same route exported as HAProxy config, N instances started from it, `switchyard
        // serve --data-plane haproxy` steering them all; the load goes through the first one.
        start: async () => {
          const fleet = await startHaproxyFleet(benchConfig(ports), {
            count: P.haproxyInstances,
            host: HOST,
          });
          if (fleet.skipped) return fleet;
          let sy;
          try {
            sy = await startServe(null, {
              label: 'haproxy-serve',
              stateDir: fleet.stateDir,
              args: fleet.serveArgs,
            });
            await waitInSync(sy.adminUrl);
          } catch (e) {
            await sy?.stop();
            await fleet.stop();
            return { skipped: `switchyard could not steer HAProxy: ${e.message.slice(0, 400)}` };
          }
          const first = fleet.instances[0];
          return {
            pid: first.pid,
            url: first.url,
            controlPid: sy.pid,
            label: `HAProxy ${fleet.version} (80/20, ${fleet.threads ?? '?'} threads; instance 1 of ${fleet.instances.length}, steered by switchyard)`,
            fleet,
            sy,
            stop: async () => {
              await sy.stop();
              await fleet.stop();
            },
          };
        },
        // Once, after the first measured run: switching on the fleet, through the admin API of
        // the steering `serve`, then (that one stopped) with the UI steering the same instances.
        after: async (it, round) => {
          if (round > 0) return;
          try {
            report.fleetAdminSwitch = await fleetAdminSwitch(
              it.sy.adminUrl,
              it.fleet.instances,
              HOST,
              P.fleetSwitches,
            );
            log(
              `HAProxy fleet, PATCH returned → all instances switched: p50 ${report.fleetAdminSwitch.allSwitchedMs.p50?.toFixed(1)} ms, old-side requests ${report.fleetAdminSwitch.oldRouted.join(' / ')}`,
            );
          } catch (e) {
            report.fleetAdminSwitch = { error: e.message };
            log(`HAProxy fleet admin switch: ${e.message}`);
          }
          await it.sy.stop();
          const ui = await startUi(benchConfig(ports), { args: it.fleet.serveArgs });
          if (ui.skipped) {
            report.fleetKeyPress = { skipped: ui.skipped };
            return;
          }
          try {
            report.fleetKeyPress = await fleetKeyPress(ui, it.fleet.instances, HOST, P.fleetKeyPresses);
            log(
              `HAProxy fleet, key press → all instances switched: p50 ${report.fleetKeyPress.ms.p50?.toFixed(1)} ms`,
            );
          } catch (e) {
            report.fleetKeyPress = { error: e.message };
            log(`HAProxy fleet key press: ${e.message}`);
          } finally {
            await ui.stop();
          }
        },
      },
      // The HAProxy subject is compared with `switchyard serve`: it brings serve along.
    ].filter((x) => want(x.key) || (x.key === 'serve' && want('haproxy')));
    // The first subject measured would otherwise also pay for a cold load generator (and cold
    // backends): *direct* does that when it runs; without it (e.g. --only haproxy), a warm-up of its own.
    if (subjects.length && subjects[0].key !== 'direct')
      await lg.run({
        url: `http://127.0.0.1:${ports.blue}`,
        headers: { host: HOST },
        connections: P.connections,
        duration: P.warmupS + 1,
      });
    const runs = new Map(subjects.map((x) => [x.key, []]));
    const skips = new Map();
    for (let round = 0; round < P.rounds; round++) {
      for (const x of subjects) {
        if (skips.has(x.key)) continue;
        log(`${x.label}${P.rounds > 1 ? ` (round ${round + 1}/${P.rounds})` : ''}…`);
        const it = await x.start();
        if (it.skipped) {
          skips.set(x.key, it.skipped);
          if (x.key === 'ui') report.keyPress = { skipped: it.skipped };
          if (x.key === 'haproxy') report.fleetKeyPress = report.fleetAdminSwitch = { skipped: it.skipped };
          continue;
        }
        try {
          const r = await measure(lg, { pid: it.pid, url: it.url, controlPid: it.controlPid });
          if (it.label) x.label = it.label;
          if (x.key === 'ui') r.screen = it.screen();
          runs.get(x.key).push(r);
          await x.after?.(it, round);
        } finally {
          await it.stop();
        }
      }
    }
    for (const x of subjects) {
      if (skips.has(x.key)) {
        report.subjects.push(skipped(x.key, x.label, skips.get(x.key)));
        continue;
      }
      const all = runs.get(x.key);
      const sorted = [...all].sort((m, n) => m.rps - n.rps);
      const median = sorted[Math.floor((sorted.length - 1) / 2)];
      report.subjects.push({
        key: x.key,
        label: x.label,
        ...median,
        peakRssMiB: Math.max(...all.map((r) => r.peakRssMiB)),
        ...(all.length > 1
          ? { rounds: all.map((r) => ({ rps: r.rps, p99: r.p99, cpuUsPerRequest: r.cpuUsPerRequest })) }
          : {}),
      });
    }
    for (const s of report.subjects)
      if (!s.skipped)
        log(
          `${s.label}: ${Math.round(s.rps)} req/s, p99 ${s.p99?.toFixed(2)} ms, ${s.errors} errors, CPU ${Math.round(s.cpuPct)}%`,
        );

    if (want('switch') || want('accuracy')) {
      const sy = await startServe(benchConfig(ports), { label: 'switch' });
      try {
        if (want('switch')) {
          log('switch latency…');
          report.switchLatency = await switchLatency(sy, P.switchRounds).catch((e) => ({ error: e.message }));
          log('switches under load…');
          report.switchUnderLoad = await switchUnderLoad(lg, sy, backends, P.switchesUnderLoad).catch(
            (e) => ({ error: e.message }),
          );
        }
        if (want('accuracy')) {
          log('accuracy…');
          report.accuracy = await accuracy(sy, backends, P.accuracyRequests).catch((e) => ({
            error: e.message,
          }));
        }
      } finally {
        await sy.stop();
      }
    }
    if (want('memory')) {
      log('steady memory…');
      report.memory = await steadyMemory(lg, backends, ports, P.memoryPoints).catch((e) => ({
        error: e.message,
      }));
    }
    if (want('scale')) {
      log('scale of the config…');
      report.scale = await scale(lg, ports).catch((e) => ({ error: e.message }));
    }
    if (want('render')) {
      log(`the UI under load (${P.renderRate} req/s in its process)…`);
      report.uiRender = await uiRender(P.renderRate, P.renderSamples, P.renderPresses).catch((e) => ({
        error: e.message,
      }));
    }
    if (want('failover')) {
      log('a target killed under load…');
      report.failover = await failover(P.failoverRounds).catch((e) => ({ error: e.message }));
    }
    if (want('picks')) {
      log(`the balancer's cost per pick (${P.picks} picks each)…`);
      report.picks = await picks(P.picks).catch((e) => ({ error: e.message }));
    }
    if (opt.profile) {
      report.profiles = [];
      for (const which of ['serve', 'ui']) {
        if (!want(which)) continue;
        log(`profiling ${which}…`);
        report.profiles.push(
          await profileSubject(lg, ports, which).catch((e) => ({ subject: which, error: e.message })),
        );
      }
    }
  } finally {
    lg.close();
    await backends.stop();
  }

  for (const s of report.subjects)
    if (!s.skipped && s.errors > 0)
      notes.push(`${s.label}: ${s.errors} errors (${s.non2xx} non-2xx, ${s.socketErrors} socket errors).`);
  for (const k of [
    'switchLatency',
    'switchUnderLoad',
    'keyPress',
    'fleetAdminSwitch',
    'fleetKeyPress',
    'uiRender',
    'failover',
    'picks',
    'memory',
    'scale',
  ])
    if (report[k]?.error) notes.push(`${k} failed: ${report[k].error}`);
  if (report.accuracy?.error) notes.push(`accuracy failed: ${report.accuracy.error}`);
  if (want('haproxy')) report.dataPlanes = dataPlanes(report);
  targets(report);

  fs.mkdirSync(opt.out, { recursive: true });
  const md = markdown(report);
  // A quick run is a smoke test: it must not overwrite the full run's committed figures.
  const base = QUICK ? 'quick' : 'latest';
  fs.writeFileSync(path.join(opt.out, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(opt.out, `${base}.md`), md);
  process.stdout.write(`${md}\n`);
  log(`wrote ${path.relative(process.cwd(), path.join(opt.out, `${base}.json`))} and ${base}.md`);
  if (!QUICK && opt.out === path.join(ROOT, 'bench', 'results')) updateReadme(md);
  const required = ['direct', 'bare', 'serve'].filter(want);
  for (const k of required) if (!report.subjects.some((s) => s.key === k && !s.skipped)) failed = true;
}

/** A full run puts its table into README.md between `<!-- bench:start -->` and `<!-- bench:end -->`, when both are there. */
function updateReadme(md) {
  const file = path.join(ROOT, 'README.md');
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf('<!-- bench:start -->');
  const b = text.indexOf('<!-- bench:end -->');
  if (a === -1 || b < a) return;
  const body = md.replace(/^# .*\n\n/, '');
  fs.writeFileSync(file, `${text.slice(0, a)}<!-- bench:start -->\n${body}\n${text.slice(b)}`);
  log('updated the benchmark section of README.md');
}

const watchdog = setTimeout(() => {
  log(`still running after ${DEADLINE_MS / 1000} s: giving up`);
  stopAll().finally(() => process.exit(1));
}, DEADLINE_MS);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    stopAll().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (e) {
  failed = true;
  log(`failed: ${e.stack ?? e.message}`);
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
process.exit(failed ? 1 : 0);
