/**
 * An interleaved A/B of CPU per request: bare http-proxy (a fixed target, a keep-alive agent)
 * against a switchyard subject, both started once over the same backends and warmed up, then
 * measured in pairs with the same connections and duration, alternating which goes first, so a
 * noisy moment on a shared machine lands on both sides alike. Each pair gives one ratio:
 * switchyard's CPU µs per request ÷ bare's (the CPU of each proxy process, from /proc, divided by
 * the requests it served). Where it can (pin.js), the two proxies run on a core of their own and
 * everything else on the others. The summary (median, spread) is goals.js's `abSummary`.
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
    for (const s of Object.values(sides))
      await lg.run({ url: s.url, headers: { host: HOST }, connections: P.connections, duration: P.warmupS });
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
  abPairs: pairs ?? (quick ? 2 : 7),
  abDurationS: quick ? 1 : 5,
  abWarmupS: quick ? 0.5 : 1,
});
