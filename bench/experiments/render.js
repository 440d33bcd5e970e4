/**
 * The UI under load in its own process (bench/lib/ui-render.js): frames per second and per stats
 * sample at `renderRate` req/s, and key press → the frame that shows it. The test suite only
 * counts frames per sample; the timings live here.
 */
import { childJson } from '../lib/child-json.js';

export default {
  name: 'render',
  params: (quick) => ({ renderRate: 2000, renderSamples: quick ? 8 : 40, renderPresses: quick ? 6 : 40 }),
  async run({ P, log }) {
    log(`the UI under load (${P.renderRate} req/s in its process)…`);
    const args = ['--rate', P.renderRate, '--samples', P.renderSamples, '--presses', P.renderPresses];
    return {
      uiRender: await childJson('ui-render.js', args.map(String)).catch((e) => ({ error: e.message })),
    };
  },
};
