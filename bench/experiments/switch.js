/**
 * Switching on `switchyard serve` through the admin API: after each change returns, how many of
 * the next requests still go to the old side (goal 0); then 1,000 blue/green switches while the
 * load runs, and the requests that failed meanwhile (goal 0).
 */
import { performance } from 'node:perf_hooks';
import { keepAliveAgent, percentiles, probe, sleep } from '../lib/http.js';
import { benchConfig, HOST, patchService, startServe } from '../lib/subjects.js';

/** After each change returns, the next 20 requests (10 at once, 10 one by one) must be on the new side. */
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
    for (const x of await Promise.all(Array.from({ length: 10 }, () => probe(sy.proxyUrl, HOST, agent))))
      count(x);
    for (let j = 0; j < 10; j++) count(await probe(sy.proxyUrl, HOST, agent));
  }
  agent.destroy();
  admin.destroy();
  return { rounds, requests, oldRouted, errors, patchMs: percentiles(patchMs) };
}

/** `switches` blue/green switches through the admin API while the load runs. */
async function switchUnderLoad(ctx, sy, switches) {
  const { lg, backends, P } = ctx;
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

export default {
  name: 'switch',
  params: (quick) => ({ switchRounds: quick ? 100 : 500, switchesUnderLoad: quick ? 300 : 1000 }),
  async run(ctx) {
    const { P, log } = ctx;
    const sy = await startServe(benchConfig(ctx.backends.ports), { label: 'switch' });
    try {
      log('switch latency…');
      const latency = await switchLatency(sy, P.switchRounds).catch((e) => ({ error: e.message }));
      log('switches under load…');
      const underLoad = await switchUnderLoad(ctx, sy, P.switchesUnderLoad).catch((e) => ({
        error: e.message,
      }));
      return { switchLatency: latency, switchUnderLoad: underLoad };
    } finally {
      await sy.stop();
    }
  },
};
