/**
 * What the results mean, as pure functions of the report (no I/O, no clock; unit-tested in
 * test/bench/goals.test.ts): the ratios between subjects, the goals met or missed (the "Target"
 * rows), the notes a reader needs beside them, the data-plane comparison, and the summary of an
 * interleaved A/B (median and spread of the per-pair ratios).
 */

const ratio = (a, b) => (a && b ? a / b : null);
const pctText = (v) => (v === null ? '–' : `${Math.round(v * 100)}%`);
const xText = (v) => (v === null || v === undefined ? '–' : `${v.toFixed(2)}×`);
const f2 = (v) => v.toFixed(2);

/** The value at quantile q (0..1) of sorted numbers, linearly interpolated between neighbours. */
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * The per-pair ratios of an A/B (switchyard ÷ bare), summarised: the median, the spread (min–max
 * and the interquartile range), the difference of the median from 1.0, and whether the spread
 * (min–max) is wider than that difference, i.e. whether this run can tell the two apart.
 */
export function abSummary(ratios) {
  const xs = ratios.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return { pairs: 0, median: null };
  const median = quantile(xs, 0.5);
  const min = xs[0];
  const max = xs[xs.length - 1];
  const difference = Math.abs(median - 1);
  return {
    pairs: xs.length,
    median,
    min,
    max,
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
    spread: max - min,
    difference,
    spreadWiderThanDifference: max - min > difference,
    // Which side of 1.0 the pairs fall on: 'above', 'below', or 'both'.
    side: min > 1 ? 'above' : max < 1 ? 'below' : 'both',
  };
}

/** The "Data planes" rows: in-process vs HAProxy under the same load, and switching on each. */
export function dataPlanes(r) {
  const pick = (s) =>
    s && !s.skipped
      ? {
          label: s.label,
          rps: s.rps,
          p50: s.p50,
          p99: s.p99,
          max: s.max,
          errors: s.errors,
          cpuPct: s.cpuPct,
          cpuUsPerRequest: s.cpuUsPerRequest,
          peakRssMiB: s.peakRssMiB,
        }
      : null;
  const n = r.params.haproxyInstances;
  const serve = r.subjects.find((s) => s.key === 'serve');
  const hap = r.subjects.find((s) => s.key === 'haproxy');
  if (hap?.skipped) return { skipped: hap.skipped };
  const inProcess = pick(serve);
  const haproxy = pick(hap);
  if (haproxy) {
    haproxy.instances = n;
    haproxy.controlCpuPct = hap.controlCpuPct ?? null;
    haproxy.controlPeakRssMiB = hap.controlPeakRssMiB ?? null;
  }
  return {
    instances: n,
    loadThrough: `instance 1 of ${n} (one load generator process)`,
    inProcess,
    haproxy,
    haproxyOverInProcessRps: ratio(haproxy?.rps, inProcess?.rps),
    haproxyOverInProcessCpuPerRequest: ratio(haproxy?.cpuUsPerRequest, inProcess?.cpuUsPerRequest),
    keyPress: r.fleetKeyPress ?? null,
    adminSwitch: r.fleetAdminSwitch ?? null,
    // For comparison, when they ran: the same measures on the in-process proxy.
    inProcessKeyPress: r.keyPress && !r.keyPress.error && !r.keyPress.skipped ? r.keyPress.ms : null,
    inProcessOldRouted:
      r.switchLatency && !r.switchLatency.error
        ? {
            oldRouted: r.switchLatency.oldRouted,
            requests: r.switchLatency.requests,
            rounds: r.switchLatency.rounds,
          }
        : null,
  };
}

/** What an A/B says, in one sentence, when its spread is wider than its difference from 1.0. */
function abNote(ab, who) {
  const s = ab.summary;
  if (!s.spreadWiderThanDifference) return null;
  const tail =
    s.side === 'both'
      ? ': the pairs fall on both sides of 1.0, so this run cannot tell the two apart'
      : `, though every pair has it ${s.side} 1.0`;
  return `${who} ÷ bare http-proxy, CPU per request: the spread of the ${s.pairs} pairs (${f2(s.min)}–${f2(s.max)}, ${f2(s.spread)} wide) is wider than the difference of the median (${f2(s.median)}) from 1.0 (${f2(s.difference)})${tail}.`;
}

/** The goal rows of one A/B: median with its spread against the goal's ceiling. */
function abRow(ab, who, ceiling) {
  const s = ab.summary;
  return {
    name: `${who} CPU per request ÷ bare http-proxy, interleaved A/B (median of ${s.pairs} pairs; min–max; IQR)`,
    value:
      s.median === null ? '–' : `${xText(s.median)} (${f2(s.min)}–${f2(s.max)}; IQR ${f2(s.q1)}–${f2(s.q3)})`,
    goal: `≤ ${ceiling.toFixed(2)}×`,
    met: s.median === null ? null : s.median <= ceiling,
  };
}

const EXPERIMENTS = [
  'switchLatency',
  'switchUnderLoad',
  'keyPress',
  'fleetAdminSwitch',
  'fleetKeyPress',
  'uiRender',
  'failover',
  'picks',
  'memory',
  'scale',
  'accuracy',
  'abServe',
  'abUi',
  'keySplit',
];

/**
 * The goals of a report: `{ ratios, targets: [{ name, value, goal, met }], notes, missed }`, where
 * `met` is true, false or null (reported, no goal) and `missed` says a correctness goal (old-weight
 * requests, failed requests, exact split, flat RSS) was missed, for --strict. `profiled`: whether
 * the run had --profile (a note points there).
 */
export function goals(r, { profiled = false } = {}) {
  const notes = [];
  for (const s of r.subjects ?? [])
    if (!s.skipped && s.errors > 0)
      notes.push(`${s.label}: ${s.errors} errors (${s.non2xx} non-2xx, ${s.socketErrors} socket errors).`);
  for (const k of EXPERIMENTS) if (r[k]?.error) notes.push(`${k} failed: ${r[k].error}`);
  for (const k of ['abServe', 'abUi', 'keySplit'])
    if (r[k]?.skipped) notes.push(`${k} skipped: ${r[k].skipped}`);

  const by = Object.fromEntries(
    (r.subjects ?? []).filter((s) => !s.skipped && !s.error).map((s) => [s.key, s]),
  );
  const serveBare = ratio(by.serve?.rps, by.bare?.rps);
  const serveP99 = ratio(by.serve?.p99, by.bare?.p99);
  const uiBare = ratio(by.ui?.rps, by.bare?.rps);
  const cpuRatio = ratio(by.serve?.cpuUsPerRequest, by.bare?.cpuUsPerRequest);
  const ratios = {
    serveOverBareRps: serveBare,
    serveOverBareP99: serveP99,
    serveOverDirectRps: ratio(by.serve?.rps, by.direct?.rps),
    bareOverDirectRps: ratio(by.bare?.rps, by.direct?.rps),
    uiOverBareRps: uiBare,
    uiOverBareP99: ratio(by.ui?.p99, by.bare?.p99),
    uiOverDirectRps: ratio(by.ui?.rps, by.direct?.rps),
    nginxOverDirectRps: ratio(by.nginx?.rps, by.direct?.rps),
    haproxyOverServeRps: ratio(by.haproxy?.rps, by.serve?.rps),
    haproxyOverServeCpuPerRequest: ratio(by.haproxy?.cpuUsPerRequest, by.serve?.cpuUsPerRequest),
    serveOverBareCpuPerRequest: cpuRatio,
    switchUnderLoadOverServeRps: ratio(r.switchUnderLoad?.rps, by.serve?.rps),
  };
  const targets = [];
  const add = (name, value, goal, met) => targets.push({ name, value, goal, met });
  if (by.serve || by.bare || by.ui) {
    add(
      'switchyard serve req/s ÷ bare http-proxy',
      pctText(serveBare),
      '≥ 90%',
      serveBare === null ? null : serveBare >= 0.9,
    );
    add(
      'switchyard serve p99 ÷ bare http-proxy',
      xText(serveP99),
      '≤ 1.2×',
      serveP99 === null ? null : serveP99 <= 1.2,
    );
    add('switchyard serve req/s ÷ direct', pctText(ratios.serveOverDirectRps), '(the ceiling)', null);
    add(
      'switchyard serve CPU per request ÷ bare http-proxy',
      xText(cpuRatio),
      '(cost, steadier than req/s)',
      null,
    );
    add(
      'switchyard with the UI req/s ÷ bare http-proxy',
      pctText(uiBare),
      '≥ 85%',
      uiBare === null ? null : uiBare >= 0.85,
    );
    add('switchyard with the UI p99 ÷ bare http-proxy', xText(ratios.uiOverBareP99), '', null);
    add('switchyard with the UI req/s ÷ direct', pctText(ratios.uiOverDirectRps), '', null);
  }
  for (const [key, who, ceiling] of [
    ['abServe', 'switchyard serve', 1],
    ['abUi', 'switchyard with the UI', 1.05],
  ]) {
    const ab = r[key];
    if (!ab?.summary) continue;
    targets.push(abRow(ab, who, ceiling));
    const note = abNote(ab, who);
    if (note) notes.push(note);
  }
  const k = r.keySplit;
  if (k?.full && k?.demo) {
    add(
      `key press in the UI → first request on the new split at the backend, under full load (${k.full.load?.connections} connections), p50 / p99 (${k.full.presses} presses)`,
      `${k.full.ms.p50.toFixed(1)} / ${k.full.ms.p99.toFixed(1)} ms`,
      '',
      null,
    );
    add(
      `… at the demo's load (${k.demo.load?.rate} req/s), p50 / p99`,
      `${k.demo.ms.p50.toFixed(1)} / ${k.demo.ms.p99.toFixed(1)} ms`,
      'p50 < 20 ms',
      k.demo.ms.p50 < 20,
    );
  }
  const u = r.uiRender;
  if (u && !u.error) {
    add(
      `UI frames per stats sample at ${u.rate} req/s (${u.frames} frames, ${u.samples} samples of ${u.sampleMs} ms)`,
      `${u.framesPerSample.toFixed(2)} (${u.framesPerSecond.toFixed(1)}/s)`,
      '≤ 1 per sample, +2 for phase',
      u.frames <= u.samples + 2,
    );
    add(
      `UI key press → the frame showing it at ${u.rate} req/s, p50 / p99 (${u.presses} presses)`,
      `${u.keyToScreenMs.p50.toFixed(0)} / ${u.keyToScreenMs.p99.toFixed(0)} ms`,
      'p99 < 300 ms',
      u.keyToScreenMs.p99 < 300,
    );
  }
  const correctness = [];
  const f = r.failover;
  if (f && !f.error) {
    add(
      `a target killed under load → marked down, p50 / max (${f.rounds} kills)`,
      `${f.markedDownMs.p50.toFixed(1)} / ${f.markedDownMs.max.toFixed(1)} ms`,
      '< 1 s',
      f.markedDownMs.max < 1000,
    );
    correctness.push([
      `failed requests while a target was killed (${f.requests} requests)`,
      String(f.failed),
      '0',
      f.failed === 0,
    ]);
  }
  if (r.switchLatency && !r.switchLatency.error)
    correctness.push([
      'requests routed by old weights after the admin API acknowledged',
      String(r.switchLatency.oldRouted),
      '0',
      r.switchLatency.oldRouted === 0 && r.switchLatency.errors === 0,
    ]);
  if (r.switchUnderLoad && !r.switchUnderLoad.error)
    correctness.push([
      `failed requests during ${r.switchUnderLoad.switches} switches under load`,
      String(r.switchUnderLoad.failed),
      '0',
      r.switchUnderLoad.failed === 0 && r.switchUnderLoad.adminErrors === 0,
    ]);
  if (Array.isArray(r.accuracy))
    correctness.push([
      'exact split (80/20, 99/1, 1/1/1)',
      r.accuracy.map((a) => (a.exact ? 'exact' : 'off')).join(', '),
      'exact',
      r.accuracy.every((a) => a.exact),
    ]);
  if (r.memory && !r.memory.error)
    correctness.push([
      `RSS ${r.memory.points[1].label} vs ${r.memory.points[0].label} requests`,
      `${r.memory.growthMiB >= 0 ? '+' : ''}${r.memory.growthMiB.toFixed(1)} MiB`,
      'flat',
      r.memory.flat,
    ]);
  if (serveBare !== null && serveBare < 0.9 && cpuRatio !== null)
    notes.push(
      cpuRatio <= 1.1
        ? `switchyard serve reached ${pctText(serveBare)} of bare http-proxy's req/s while spending ${xText(cpuRatio)} its CPU per request: the gap is not switchyard's per-request cost but CPU it did not get (2 cores shared by load generator, backends and proxy; other work on the machine). Run the full mode on a quiet machine.`
        : `switchyard serve spends ${xText(cpuRatio)} the CPU per request of bare http-proxy${profiled ? ': see its profile below' : ': run with --profile to see where'}.`,
    );
  let missed = false;
  for (const [name, value, goal, met] of correctness) {
    add(name, value, goal, met);
    if (!met) missed = true;
  }
  return { ratios, targets, notes, missed };
}
