/**
 * Interleaved A/B (lib/ab.js): CPU per request of switchyard with its UI running (in a tmux
 * pseudo-terminal, rendering as a user would see it) ÷ bare http-proxy, median and spread.
 */
import { abParams, interleavedAB } from '../lib/ab.js';
import { benchConfig, startUi } from '../lib/subjects.js';

export default {
  name: 'ab-ui',
  params: abParams,
  async run(ctx) {
    ctx.log(`interleaved A/B, switchyard with the UI vs bare http-proxy (${ctx.P.abPairs} pairs)…`);
    const ab = await interleavedAB(ctx, {
      label: 'switchyard with the UI (80/20)',
      start: async ({ backends }) => {
        const ui = await startUi(benchConfig(backends.ports));
        return ui.skipped ? ui : { ...ui, url: ui.proxyUrl };
      },
    }).catch((e) => ({ error: e.message }));
    return { abUi: ab };
  },
};
