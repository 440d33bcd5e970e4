/**
 * The load generator (autocannon) in a process of its own, so it never shares an event loop
 * with the harness or the proxy. Forked with IPC: `{ run: options }` starts a run and is answered
 * with `{ result }`; `'stop'` ends the current run early (its result still comes). Latency is
 * recorded here from every response at microsecond resolution (autocannon's own histogram keeps
 * whole milliseconds).
 */
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { performance } from 'node:perf_hooks';

let current = null;

function run(o) {
  const hist = hdr.build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let statuses = { '2xx': 0, other: 0 };
  const t0 = performance.now();
  const instance = autocannon(
    {
      url: o.url,
      headers: o.headers ?? {},
      connections: o.connections,
      pipelining: 1,
      duration: o.duration,
      ...(o.amount ? { amount: o.amount } : {}),
      // An open loop at a fixed rate (the A/B): the same requests whatever the subject's speed.
      ...(o.rate ? { overallRate: o.rate } : {}),
      timeout: o.timeout ?? 10,
    },
    (err, r) => {
      current = null;
      const elapsed = (performance.now() - t0) / 1000;
      if (err) {
        process.send({ error: String(err?.message ?? err) });
        return;
      }
      const total = statuses['2xx'] + statuses.other;
      process.send({
        result: {
          requests: total,
          seconds: elapsed,
          rps: r.duration > 0 ? total / r.duration : total / elapsed,
          p50: hist.totalCount ? hist.getValueAtPercentile(50) / 1000 : null,
          p99: hist.totalCount ? hist.getValueAtPercentile(99) / 1000 : null,
          max: hist.totalCount ? hist.maxValue / 1000 : null,
          ok: statuses['2xx'],
          non2xx: statuses.other,
          socketErrors: r.errors,
          timeouts: r.timeouts,
          errors: statuses.other + r.errors,
        },
      });
    },
  );
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) statuses['2xx']++;
    else statuses.other++;
    hist.recordValue(Math.max(1, Math.round(ms * 1000)));
  });
  current = instance;
}

process.on('message', (m) => {
  if (m === 'stop') current?.stop();
  else if (m && m.run) run(m.run);
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
