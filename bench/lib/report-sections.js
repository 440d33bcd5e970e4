/**
 * The report's comparison sections, each a list of Markdown lines: in-process vs HAProxy (data
 * planes), the interleaved A/B of CPU per request against bare http-proxy, and key press → first
 * request on the new split at the backend.
 */
import { f1, f2, int, ms, pct, slash, table } from './report-format.js';

/** In-process proxy vs HAProxy steered by switchyard: throughput, cost, and switching on the fleet. */
export function dataPlanes(d, p) {
  const out = ['', '## Data planes', ''];
  if (d.skipped) {
    out.push(`HAProxy: skipped: ${d.skipped}`);
    return out;
  }
  const n = d.instances;
  out.push(
    `The same 80/20 route over the same backends, exported with \`switchyard config export --format haproxy\` (one config per instance: its own bind port and runtime API socket), ` +
      `${n} HAProxy instances started from it (\`haproxy -db -f …\`) and \`switchyard serve --data-plane haproxy --haproxy SOCK1 --haproxy SOCK2\` steering them. ` +
      `The same load (${p.connections} connections, ${p.warmupS} s + ${p.durationS} s) goes through instance 1 only: the load generator is one process. ` +
      `CPU and peak RSS are that HAProxy process's${d.haproxy?.controlCpuPct !== null && d.haproxy?.controlCpuPct !== undefined ? `; the switchyard steering it used ${int(d.haproxy.controlCpuPct)}% CPU meanwhile (peak RSS ${f1(d.haproxy.controlPeakRssMiB)} MiB)` : ''}.`,
  );
  out.push('');
  const row = (x, vs) =>
    x
      ? [
          x.label,
          int(x.rps),
          f2(x.p50),
          f2(x.p99),
          f1(x.max),
          int(x.errors),
          int(x.cpuPct),
          int(x.cpuUsPerRequest),
          f1(x.peakRssMiB),
          vs,
        ]
      : null;
  out.push(
    table(
      [
        'Data plane',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'errors',
        'CPU %',
        'CPU µs/req',
        'peak RSS MiB',
        'req/s vs in-process',
      ],
      [
        row(d.inProcess && { ...d.inProcess, label: `in-process: ${d.inProcess.label}` }, '100%'),
        row(d.haproxy, pct(d.haproxyOverInProcessRps)),
      ].filter(Boolean),
    ),
  );
  const h = d.haproxy;
  if (h && h.cpuPct < 90 && d.inProcess) {
    out.push('');
    out.push(
      `HAProxy used ${int(h.cpuPct)}% of one core: it was not saturated, so its req/s is what the load generator and the backends could drive (as for *direct*), a floor rather than its ceiling. ` +
        `CPU per request is the fairer comparison: ${int(h.cpuUsPerRequest)} µs vs ${int(d.inProcess.cpuUsPerRequest)} µs in-process (${pct(d.haproxyOverInProcessCpuPerRequest)}).`,
    );
  }
  out.push('');
  const rows = [];
  const k = d.keyPress;
  const keyLabel = `key press in the UI (G / B via tmux) → requests through all ${n} instances on the new side`;
  if (k?.skipped) rows.push([keyLabel, `skipped: ${k.skipped}`]);
  else if (k?.error) rows.push([keyLabel, `failed: ${k.error}`]);
  else if (k) {
    rows.push([
      `${keyLabel} (${k.presses} presses, after ${k.warmupPresses} uncounted ones right after the UI started, the first taking ${ms(k.warmupMs?.[0])}), p50 / max`,
      `${f1(k.ms.p50)} / ${ms(k.ms.max)}`,
    ]);
    rows.push([
      '… per instance, p50',
      k.perInstanceMs.map((x, i) => `#${i + 1} ${f1(x.p50)}`).join(' · ') + ' ms',
    ]);
  }
  if (d.inProcessKeyPress)
    rows.push([
      'in-process, for comparison: key press → first request routed by the new weights, p50 / max',
      `${f1(d.inProcessKeyPress.p50)} / ${ms(d.inProcessKeyPress.max)}`,
    ]);
  const a = d.adminSwitch;
  const adminLabel = `admin API \`PATCH /services/bench {"host":…}\` returned → all ${n} instances on the new side`;
  if (a?.skipped) rows.push([adminLabel, `skipped: ${a.skipped}`]);
  else if (a?.error) rows.push([adminLabel, `failed: ${a.error}`]);
  else if (a) {
    rows.push([
      `${adminLabel} (${a.rounds} changes), p50 / p99 / max`,
      `${f1(a.allSwitchedMs.p50)} / ${f1(a.allSwitchedMs.p99)} / ${ms(a.allSwitchedMs.max)}`,
    ]);
    rows.push([
      `requests still answered by the old side after the PATCH returned, instance ${a.oldRouted.map((_, i) => i + 1).join(' / ')} (in how many of the ${a.rounds} changes)`,
      a.oldRouted.map((x, i) => `${int(x)} (${int(a.changesWithOldRouted[i])})`).join(' / '),
    ]);
    rows.push([
      'requests on the old side once an instance had switched (10 more through each, per change)',
      slash(a.oldAfterSwitched),
    ]);
    if (a.errors.some((e) => e > 0)) rows.push(['failed requests while probing', slash(a.errors)]);
    rows.push(['admin API PATCH round trip, p50 / max', `${f2(a.patchMs.p50)} / ${f2(a.patchMs.max)} ms`]);
  }
  if (d.inProcessOldRouted)
    rows.push([
      `in-process, for comparison: requests routed by the old weights after the PATCH returned (${int(d.inProcessOldRouted.rounds)} changes)`,
      int(d.inProcessOldRouted.oldRouted),
    ]);
  out.push(table(['Switching on the fleet', 'result'], rows));
  out.push('');
  out.push(
    'The admin API answers a change once every reachable HAProxy instance has taken it (the driver sends the runtime API commands to each instance in parallel after the store accepts the change), ' +
      "so the PATCH round trip includes the fleet's apply, and the admin API rows, probing the instances one request at a time in turn right after it returns, should find no request on the old side. " +
      'A key press in the UI does not wait: the key press row is the time until both instances answer from the new side. The in-process proxy reads the new table on the next request.',
  );
  return out;
}

/** The interleaved A/B runs: every pair, then the median and spread of the ratios. */
export function abSection(r) {
  const out = ['', '## CPU per request: interleaved A/B against bare http-proxy', ''];
  for (const ab of [r.abServe, r.abUi].filter(Boolean)) {
    if (ab.error || ab.skipped) {
      out.push(`${ab.label ?? 'A/B'}: ${ab.error ? `failed: ${ab.error}` : `skipped: ${ab.skipped}`}`, '');
      continue;
    }
    const s = ab.summary;
    out.push(
      `**${ab.label}** vs bare http-proxy (same backends, ${ab.connections} connections, ${ab.rate ? `a fixed ${int(ab.rate)} req/s for both (${ab.load}% of the slower side's rate as fast as each goes: bare ${int(ab.ceilings.bare)}, switchyard ${int(ab.ceilings.switchyard)})` : 'each as fast as it goes'}, ${ab.warmupS} s warm-up then ${ab.durationS} s each, both started once and warmed up, the first of each pair alternating${ab.pinned ? `; ${ab.pinned}` : '; not pinned to cores'}): ` +
        `CPU per request ratio, median **${f2(s.median)}×**, min–max ${f2(s.min)}–${f2(s.max)}, IQR ${f2(s.q1)}–${f2(s.q3)} over ${s.pairs} pairs. ` +
        (s.spreadWiderThanDifference
          ? `The spread (${f2(s.spread)}) is wider than the median's difference from 1.0 (${f2(s.difference)})${s.side === 'both' ? ': this run cannot tell the two apart.' : `, though every pair is ${s.side} 1.0.`}`
          : `The spread (${f2(s.spread)}) is narrower than the median's difference from 1.0 (${f2(s.difference)}): every pair is ${s.side} 1.0.`),
    );
    out.push('');
    out.push(
      table(
        [
          'pair',
          'first',
          'bare µs/req',
          'switchyard µs/req',
          'ratio',
          'bare req/s',
          'switchyard req/s',
          'errors',
        ],
        ab.pairs.map((x, i) => [
          String(i + 1),
          x.first,
          f1(x.bare.cpuUsPerRequest),
          f1(x.switchyard.cpuUsPerRequest),
          f2(x.ratio),
          int(x.bare.rps),
          int(x.switchyard.rps),
          `${int(x.bare.errors)} / ${int(x.switchyard.errors)}`,
        ]),
      ),
    );
    out.push('');
  }
  return out;
}

/** Key press → first request on the new split, observed at the backend, under two loads. */
export function keySplitSection(k) {
  const out = ['', '## Key press → first request on the new split (at the backend)', ''];
  if (k.error || k.skipped) {
    out.push(k.error ? `failed: ${k.error}` : `skipped: ${k.skipped}`);
    return out;
  }
  const row = (what, x) => [
    what,
    String(x.presses),
    `${f1(x.ms.p50)} / ${f1(x.ms.p99)} / ${f1(x.ms.max)}`,
    `${f2(x.keyDeliveredMs.p50)}`,
  ];
  out.push(
    table(
      ["load through the UI's proxy", 'presses', 'p50 / p99 / max ms', 'key written to the terminal, p50 ms'],
      [
        row(
          `full: ${k.full.load.connections} connections (${int(k.full.load.rps)} req/s, ${int(k.full.load.errors)} errors)`,
          k.full,
        ),
        row(
          `the demo's: ${k.demo.load.rate} req/s (${int(k.demo.load.failed)} failed of ${int(k.demo.load.sent)})`,
          k.demo,
        ),
      ],
    ),
  );
  out.push('');
  out.push(
    `Keys ${k.keys}, written to the UI's terminal by a tmux control-mode client; the time runs from the press until the new side's backend receives its first request (the machine's monotonic clock, shared by both processes), after ${k.warmupPresses} uncounted presses. At ${k.demo.load.rate} req/s a request comes every ${f1(1000 / k.demo.load.rate)} ms, so about half of that is in the figure by construction.`,
  );
  return out;
}
