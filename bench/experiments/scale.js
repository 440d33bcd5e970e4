/** Scale of the config: `switchyard serve` with 1, 100 and 1,000 routes by host, and 1,000 by path on one host. */
import { measure } from '../lib/measure.js';
import { benchConfig, HOST, startServe } from '../lib/subjects.js';

async function scale(ctx) {
  const { P, backends, log } = ctx;
  const out = [];
  const variants = [
    ...P.scaleRoutes.map((n) => ({ routes: n, byPath: false })),
    { routes: P.scaleRoutes.at(-1), byPath: true },
  ];
  for (const v of variants) {
    const sy = await startServe(benchConfig(backends.ports, v), { label: `scale-${v.routes}` });
    try {
      // The last route defined: the worst case for anything that scans.
      const host = v.routes === 1 ? HOST : v.byPath ? HOST : `r${v.routes - 1}.bench.localhost`;
      const url = v.byPath ? `${sy.proxyUrl}/p${v.routes - 1}` : sy.proxyUrl;
      const r = await measure(ctx, {
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

export default {
  name: 'scale',
  params: (quick) => ({
    scaleRoutes: [1, 100, 1000],
    scaleDurationS: quick ? 1.5 : 10,
    scaleWarmupS: quick ? 0.5 : 2,
  }),
  async run(ctx) {
    ctx.log('scale of the config…');
    return { scale: await scale(ctx).catch((e) => ({ error: e.message })) };
  },
};
