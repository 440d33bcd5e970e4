/** The balancer's cost per pick for each algorithm and for a sticky split (bench/lib/picks.js): no network. */
import { childJson } from '../lib/child-json.js';

export default {
  name: 'picks',
  params: (quick) => ({ picks: quick ? 200_000 : 2_000_000 }),
  async run({ P, log }) {
    log(`the balancer's cost per pick (${P.picks} picks each)…`);
    return {
      picks: await childJson('picks.js', ['--picks', String(P.picks)]).catch((e) => ({ error: e.message })),
    };
  },
};
