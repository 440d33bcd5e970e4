/**
 * Key press → the first request on the new split, observed where it lands: at the backend. The UI
 * runs as a user runs it (`switchyard --config …` in a tmux pseudo-terminal, lib/subjects.js), the
 * split at 100% blue; each press (G: 100% green, B: 100% blue, through a tmux control-mode client,
 * lib/tmux-keys.js) arms the backends to report the next request the new side serves, and
 * the time is that arrival minus the press, on the machine's monotonic clock both processes share.
 * Twice: under full load (the load generator at its connections, through the UI's proxy) and at the
 * demo's load (50 req/s, paced from here; at that rate a request comes every 20 ms, so about half
 * of that wait is in the figure by construction). The first presses after the UI starts pay a cold
 * start and are not counted.
 */
import { setInterval, clearInterval } from 'node:timers';
import { keepAliveAgent, percentiles, request, sleep } from '../lib/http.js';
import { benchConfig, HOST, monotonicMs, patchService, startUi } from '../lib/subjects.js';
import { tmuxKeyClient } from '../lib/tmux-keys.js';

const WARMUP_PRESSES = 2;

function within(promise, ms, why) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(why())), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Requests at `rate` per second, each on its own clock tick (not waiting for the last answer). */
function paced(url, rate) {
  const agent = keepAliveAgent(16);
  let sent = 0;
  let failed = 0;
  const pending = new Set();
  const timer = setInterval(() => {
    sent++;
    const p = request(url, { host: HOST, agent, timeoutMs: 5000 }).then(
      (r) => r.status !== 200 && failed++,
      () => failed++,
    );
    pending.add(p);
    p.finally(() => pending.delete(p));
  }, 1000 / rate);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return { sent, failed };
    },
  };
}

/** `count` counted presses (after the uncounted ones), alternating G and B from 100% blue. */
async function presses(backends, ui, keys, count, warmup) {
  const ms = [];
  const tmuxMs = [];
  const warmupMs = [];
  let side = 'blue';
  for (let i = 0; i < warmup + count; i++) {
    const next = side === 'blue' ? 'green' : 'blue';
    const key = next === 'green' ? 'G' : 'B';
    await sleep(300);
    const seen = backends.firstRequest(next);
    await seen.armed;
    const t0 = monotonicMs();
    const sent = keys.press(key);
    const at = await within(
      seen.at,
      5000,
      () => `no request reached ${next} within 5 s of pressing ${key} (screen: ${ui.screenLine()})`,
    );
    const sendMs = await sent;
    side = next;
    if (i < warmup) {
      warmupMs.push(at - t0);
      continue;
    }
    ms.push(at - t0);
    tmuxMs.push(sendMs);
  }
  return { presses: count, ms: percentiles(ms), keyDeliveredMs: percentiles(tmuxMs), all: ms, warmupMs };
}

async function keySplit(ctx) {
  const { P, lg, backends, log } = ctx;
  const ui = await startUi(benchConfig(backends.ports));
  if (ui.skipped) return { skipped: ui.skipped };
  const admin = keepAliveAgent(1);
  let keys;
  try {
    keys = await tmuxKeyClient(ui.socket);
    await patchService(ui.adminUrl, { host: 'blue' }, admin);
    log(`key press → first request on the new split, under full load (${P.connections} connections)…`);
    const run = lg.start({
      url: ui.proxyUrl,
      headers: { host: HOST },
      connections: P.connections,
      duration: 600,
    });
    let full;
    try {
      await sleep(1000);
      full = await presses(backends, ui, keys, P.keySplitPresses, WARMUP_PRESSES);
    } finally {
      run.stop();
    }
    const load = await run.done;
    full.load = { connections: P.connections, rps: load.rps, errors: load.errors };
    log(`… p50 ${full.ms.p50?.toFixed(1)} ms, p99 ${full.ms.p99?.toFixed(1)} ms`);

    await patchService(ui.adminUrl, { host: 'blue' }, admin);
    log(`key press → first request on the new split, at the demo's load (${P.keySplitDemoRate} req/s)…`);
    const gen = paced(ui.proxyUrl, P.keySplitDemoRate);
    let demo;
    try {
      await sleep(1000);
      demo = await presses(backends, ui, keys, P.keySplitPresses, WARMUP_PRESSES);
    } finally {
      const g = await gen.stop();
      if (demo) demo.load = { rate: P.keySplitDemoRate, ...g };
    }
    log(`… p50 ${demo.ms.p50?.toFixed(1)} ms, p99 ${demo.ms.p99?.toFixed(1)} ms`);
    return { keys: 'G (100% green) / B (100% blue)', warmupPresses: WARMUP_PRESSES, full, demo };
  } finally {
    keys?.close();
    admin.destroy();
    await ui.stop();
  }
}

export default {
  name: 'key-split',
  params: (quick) => ({ keySplitPresses: quick ? 3 : 30, keySplitDemoRate: 50 }),
  async run(ctx) {
    return { keySplit: await keySplit(ctx).catch((e) => ({ error: e.message })) };
  },
};
