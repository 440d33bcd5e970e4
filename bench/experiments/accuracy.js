/** Split accuracy: the observed split vs the configured one over N requests, counted from the response bodies. */
import { keepAliveAgent, tally } from '../lib/http.js';
import { benchConfig, HOST, patchService, startServe } from '../lib/subjects.js';

const CONFIGS = [
  { configured: '80/20', split: { blue: 80, green: 20 } },
  { configured: '99/1', split: { blue: 99, green: 1 } },
  { configured: '1/1/1', split: { blue: 1, green: 1, red: 1 } },
];

async function accuracy(sy, backends, n, concurrency) {
  const admin = keepAliveAgent(1);
  const agent = keepAliveAgent(concurrency);
  const out = [];
  for (const c of CONFIGS) {
    await patchService(
      sy.adminUrl,
      { upstreams: Object.entries(c.split).map(([name, weight]) => ({ name, weight })) },
      admin,
    );
    await backends.reset();
    const { counts, errors } = await tally(sy.proxyUrl, HOST, n, concurrency, agent);
    const atBackends = await backends.counts();
    const sum = Object.values(c.split).reduce((a, b) => a + b, 0);
    const names = Object.keys(c.split);
    const expected = names.map((k) => (n * c.split[k]) / sum);
    const observed = names.map((k) => counts[k] ?? 0);
    const deviations = names.map((_, i) => Math.abs(observed[i] - expected[i]));
    const stray = Object.keys(counts).filter((k) => !names.includes(k));
    out.push({
      configured: c.configured,
      requests: n,
      observed: observed.join(' / '),
      expected: expected.map((e) => (Number.isInteger(e) ? String(e) : e.toFixed(1))).join(' / '),
      counts,
      atBackends,
      errors,
      maxDeviation: Math.max(...deviations),
      // Smooth weighted round-robin: every window of sum(weights) picks is exact, so over N picks
      // each count is within one of N·w/W.
      exact: errors === 0 && stray.length === 0 && deviations.every((d) => d < 1),
    });
  }
  agent.destroy();
  admin.destroy();
  return out;
}

export default {
  name: 'accuracy',
  params: (quick) => ({ accuracyRequests: quick ? 3000 : 10_000, accuracyConcurrency: 8 }),
  async run({ P, backends, log }) {
    const sy = await startServe(benchConfig(backends.ports), { label: 'accuracy' });
    try {
      log('accuracy…');
      return {
        accuracy: await accuracy(sy, backends, P.accuracyRequests, P.accuracyConcurrency).catch((e) => ({
          error: e.message,
        })),
      };
    } finally {
      await sy.stop();
    }
  },
};
