/** A target killed under load (bench/lib/failover.js): the time until it is marked down, and the requests that failed. */
import { childJson } from '../lib/child-json.js';

export default {
  name: 'failover',
  params: (quick) => ({ failoverRounds: quick ? 2 : 10 }),
  async run({ P, log }) {
    log('a target killed under load…');
    return {
      failover: await childJson('failover.js', ['--rounds', String(P.failoverRounds)]).catch((e) => ({
        error: e.message,
      })),
    };
  },
};
