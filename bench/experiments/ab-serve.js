/** Interleaved A/B (lib/ab.js): CPU per request of `switchyard serve` (80/20) ÷ bare http-proxy, median and spread of the pairs. */
import { abParams, interleavedAB } from '../lib/ab.js';
import { benchConfig, startServe } from '../lib/subjects.js';

export default {
  name: 'ab',
  params: abParams,
  async run(ctx) {
    ctx.log(`interleaved A/B, switchyard serve vs bare http-proxy (${ctx.P.abPairs} pairs)…`);
    const ab = await interleavedAB(ctx, {
      label: 'switchyard serve (80/20)',
      start: async ({ backends }) => {
        const sy = await startServe(benchConfig(backends.ports), { label: 'ab' });
        return { ...sy, url: sy.proxyUrl };
      },
    }).catch((e) => ({ error: e.message }));
    return { abServe: ab };
  },
};
