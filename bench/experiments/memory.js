/** Steady memory of `switchyard serve`: RSS after the first and the second point (e.g. 100k and 1M requests). */
import { sleep } from '../lib/http.js';
import { memory as rss } from '../lib/proc.js';
import { benchConfig, HOST, startServe } from '../lib/subjects.js';

async function steadyMemory({ lg, backends, P, log }) {
  const sy = await startServe(benchConfig(backends.ports), { label: 'memory' });
  try {
    await backends.reset();
    const out = [];
    let served = 0;
    let rate = null;
    for (const target of P.memoryPoints) {
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
      const m = rss(sy.pid);
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

export default {
  name: 'memory',
  params: (quick) => ({ memoryPoints: quick ? [30_000, 60_000] : [100_000, 1_000_000] }),
  async run(ctx) {
    ctx.log('steady memory…');
    return { memory: await steadyMemory(ctx).catch((e) => ({ error: e.message })) };
  },
};
