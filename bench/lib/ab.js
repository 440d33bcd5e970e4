/**
 * An interleaved A/B of CPU per request: bare http-proxy (a fixed target, a keep-alive agent)
 * against a switchyard subject, both started once over the same backends and warmed up, then
 * measured in pairs with the same connections, duration and fixed request rate (75% of the
 * slower side's own), alternating which goes first, so a noisy moment on a shared machine lands
 * on both sides alike. Each pair gives one ratio: switchyard's CPU µs per request ÷ bare's (the
 * CPU of each proxy process, every thread's time on a CPU to the nanosecond from /proc's
 * schedstat, divided by the requests it served). Where it can (pin.js), the two proxies run on a
 * core of their own and everything else on the others. The summary (median, spread) is
 * goals.js's `abSummary`.
 *
 * Not side by side: both proxies loaded at once on the shared core agree far better for serve
 * (a build against itself within a few per cent a pair), but not for the UI. While a frame is
 * drawn (milliseconds) requests queue, and the next turn of its event loop takes them in a batch
 * that costs less per request, while bare, preempted by it, costs more: the UI came out at 0.73×.
 */
import { measure } from './measure.js';
import { HOST, startBareProxy } from './subjects.js';
import { abSummary } from './goals.js';
import { pin, pinning, unpinAll } from './pin.js';

const keep = (r) => ({
  requests: r.requests,
  rps: r.rps,
  p50: r.p50,
  p99: r.p99,
  errors: r.errors,
  cpuPct: r.cpuPct,
  cpuUsPerRequest: r.cpuUsPerRequest,
});

/**
 * `start(ctx)` starts the switchyard side ({ pid, url, stop } or { skipped }); `label` names it.
 * Resolves with `{ label, pairs: [{ first, bare, switchyard, ratio }], summary }` or `{ skipped }`.
 */
export async function interleavedAB(ctx, { label, start }) {
  const { P, lg, backends, log } = ctx;
  const bare = await startBareProxy(backends.ports.blue);
  let sy;
  try {
    sy = await start(ctx);
    if (sy.skipped) return { label, skipped: sy.skipped };
    const sides = { bare, switchyard: sy };
    const plan = pinning();
    if (plan) {
      for (const s of Object.values(sides)) pin(s.pid, plan.subjects);
      for (const p of [lg.pid(), backends.pid, process.pid]) if (p) pin(p, plan.rest);
    }
    // Warm-up, then a short run as fast as each side goes, which says how fast that is.
    const fastest = {};
    for (const [k, s] of Object.entries(sides)) {
      const load = { url: s.url, headers: { host: HOST }, connections: P.connections };
      await lg.run({ ...load, duration: P.warmupS });
      fastest[k] = (await lg.run({ ...load, duration: P.abDurationS / 2 })).rps;
    }
    // The pairs then run an open loop at one fixed rate for both, below either's ceiling: CPU per
    // request falls as a process gets busier (more requests per turn of its event loop), so two
    // sides driven as fast as each goes, at different rates, are not measured alike. wrk cannot
    // hold a rate; with it the pairs run as fast as each side goes.
    const rate =
      lg.name === 'wrk'
        ? null
        : Math.max(100, Math.floor((Math.min(fastest.bare, fastest.switchyard) * P.abLoad) / 10_000) * 100);
    const pairs = [];
    for (let i = 0; i < P.abPairs; i++) {
      const order = i % 2 === 0 ? ['bare', 'switchyard'] : ['switchyard', 'bare'];
      const r = {};
      for (const k of order)
        r[k] = keep(
          await measure(ctx, {
            pid: sides[k].pid,
            url: sides[k].url,
            durationS: P.abDurationS,
            warmupS: P.abWarmupS,
            rate,
            fine: true,
          }),
        );
      const ratio =
        r.bare.cpuUsPerRequest && r.switchyard.cpuUsPerRequest
          ? r.switchyard.cpuUsPerRequest / r.bare.cpuUsPerRequest
          : null;
      pairs.push({ first: order[0], bare: r.bare, switchyard: r.switchyard, ratio });
      log(
        `${label} ÷ bare, pair ${i + 1}/${P.abPairs} (${order[0]} first): CPU per request ${r.switchyard.cpuUsPerRequest?.toFixed(1)} / ${r.bare.cpuUsPerRequest?.toFixed(1)} µs = ${ratio?.toFixed(3)}`,
      );
    }
    return {
      label,
      pinned: plan
        ? `the proxies on CPU ${plan.subjects}; load generator, backends and harness on CPU ${plan.rest}`
        : null,
      connections: P.connections,
      rate,
      load: P.abLoad,
      ceilings: fastest,
      durationS: P.abDurationS,
      warmupS: P.abWarmupS,
      pairs,
      summary: abSummary(pairs.map((p) => p.ratio)),
    };
  } finally {
    unpinAll();
    await sy?.stop?.();
    await bare.stop();
  }
}

/** The parameters both A/B experiments share (`--pairs N` overrides the count). */
export const abParams = (quick, pairs) => ({
  abPairs: pairs ?? (quick ? 2 : 9),
  // The fixed rate of the measured runs, in % of the slower side's warm-up rate.
  abLoad: 75,
  abDurationS: quick ? 1 : 5,
  abWarmupS: quick ? 0.5 : 1,
});
