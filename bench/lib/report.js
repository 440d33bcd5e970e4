/** The Markdown report: the machine, the parameters, and one table per measurement. */
import { f1, f2, int, mark, pct, table } from './report-format.js';
import { abSection, dataPlanes, keySplitSection } from './report-sections.js';

export function markdown(r) {
  const m = r.machine;
  const p = r.params;
  const out = [];
  out.push(`# switchyard benchmark${r.params.mode === 'quick' ? ' (quick mode)' : ''}`);
  out.push('');
  out.push(
    `${m.date} · ${m.cores} cores (${m.cpuModel}) · Node ${m.node} · ${m.os} · load generator: ${m.loadgen}`,
  );
  out.push('');
  out.push(
    `Every subject: ${p.connections} connections, pipelining 1, ${p.warmupS} s warm-up then ${p.durationS} s measured${p.rounds > 1 ? ` (the median of ${p.rounds} interleaved rounds)` : ''}, ~100-byte responses from Node backends on loopback. ` +
      `CPU is the process under test (the backends for *direct*), in % of one core; peak RSS is its VmHWM; the backends and the load generator run in processes of their own.${r.params.mode === 'quick' ? ' Quick mode: short runs on a shared machine, indicative only.' : ''}`,
  );
  if (r.subjects.length) {
    out.push('');
    out.push(
      table(
        [
          'Subject',
          'req/s',
          'p50 ms',
          'p99 ms',
          'max ms',
          'errors',
          'CPU %',
          'CPU µs/req',
          'peak RSS MiB',
          'backends CPU %',
          'loadgen CPU %',
        ],
        r.subjects.map((s) =>
          s.skipped
            ? [s.label, `skipped: ${s.skipped}`, '', '', '', '', '', '', '', '', '']
            : [
                s.label,
                int(s.rps),
                f2(s.p50),
                f2(s.p99),
                f1(s.max),
                int(s.errors),
                int(s.cpuPct),
                int(s.cpuUsPerRequest),
                f1(s.peakRssMiB),
                int(s.backendCpuPct),
                int(s.loadgenCpuPct),
              ],
        ),
      ),
    );
  }
  out.push('');
  out.push(
    table(
      ['Target', 'measured', 'goal', 'met'],
      r.targets.map((t) => [t.name, t.value, t.goal, mark(t.met)]),
    ),
  );
  if (r.switchLatency || r.keyPress) {
    out.push('');
    out.push('## Switching');
    out.push('');
    const rows = [];
    const s = r.switchLatency;
    if (s?.error) rows.push(['admin API change → next requests', `failed: ${s.error}`, '']);
    else if (s) {
      rows.push([
        `requests routed by the old weights after a change returned from the admin API (${int(s.rounds)} changes, ${int(s.requests)} requests)`,
        int(s.oldRouted),
        '0',
      ]);
      rows.push([
        'admin API PATCH round trip, p50 / p99 / max',
        `${f2(s.patchMs.p50)} / ${f2(s.patchMs.p99)} / ${f2(s.patchMs.max)} ms`,
        '',
      ]);
    }
    const k = r.keyPress;
    if (k?.skipped)
      rows.push([
        'key press in the UI → first request routed by the new weights',
        `skipped: ${k.skipped}`,
        '',
      ]);
    else if (k?.error)
      rows.push(['key press in the UI → first request routed by the new weights', `failed: ${k.error}`, '']);
    else if (k)
      rows.push([
        `key press in the UI → first request routed by the new weights (${k.presses} presses; p50 / max)`,
        `${f1(k.ms.p50)} / ${f1(k.ms.max)} ms`,
        '',
      ]);
    const u = r.switchUnderLoad;
    if (u?.error) rows.push(['switches under load', `failed: ${u.error}`, '']);
    else if (u) {
      rows.push([
        `failed requests during ${int(u.switches)} blue/green switches under load (${int(u.requests)} requests in ${f1(u.seconds)} s, ${int(u.rps)} req/s${r.ratios?.switchUnderLoadOverServeRps ? `, ${pct(r.ratios.switchUnderLoadOverServeRps)} of the serve subject` : ''})`,
        int(u.failed),
        '0',
      ]);
      rows.push([
        'admin API PATCH round trip under load, p50 / p99 / max',
        `${f2(u.patchMs.p50)} / ${f2(u.patchMs.p99)} / ${f2(u.patchMs.max)} ms`,
        '',
      ]);
    }
    out.push(table(['Measure', 'result', 'goal'], rows));
  }
  if (r.abServe || r.abUi) out.push(...abSection(r));
  if (r.keySplit) out.push(...keySplitSection(r.keySplit));
  if (r.dataPlanes) out.push(...dataPlanes(r.dataPlanes, p));
  if (r.accuracy) {
    out.push('');
    out.push('## Split accuracy');
    out.push('');
    if (r.accuracy.error) out.push(`failed: ${r.accuracy.error}`);
    else
      out.push(
        table(
          ['configured', 'requests', 'observed', 'expected', 'max deviation', 'exact'],
          r.accuracy.map((a) => [
            a.configured,
            int(a.requests),
            a.observed,
            a.expected,
            f2(a.maxDeviation),
            mark(a.exact),
          ]),
        ),
      );
  }
  if (r.memory) {
    out.push('');
    out.push('## Steady memory (switchyard serve)');
    out.push('');
    if (r.memory.error) out.push(`failed: ${r.memory.error}`);
    else {
      out.push(
        table(
          ['after', 'requests', 'RSS MiB', 'peak RSS MiB'],
          r.memory.points.map((pt) => [pt.label, int(pt.requests), f1(pt.rssMiB), f1(pt.peakRssMiB)]),
        ),
      );
      out.push('');
      out.push(
        `Growth ${f1(r.memory.growthMiB)} MiB (${f1(r.memory.growthPct)}%) between the two points; flat = within ${r.memory.noiseMiB} MiB or ${r.memory.noisePct}%.`,
      );
    }
  }
  if (r.picks) {
    out.push('');
    out.push("## The balancer's cost per pick");
    out.push('');
    if (r.picks.error) out.push(`failed: ${r.picks.error}`);
    else {
      out.push(
        table(
          ['algorithm', 'ns per pick'],
          r.picks.results.map((x) => [x.label, f1(x.nsPerPick)]),
        ),
      );
      out.push('');
      out.push(
        `${int(r.picks.picks)} picks each over ${r.picks.targets} targets, in one process without the network: the table's pickTarget / pickUpstream, with the key read from the request for the hashing ones and the attempt's start and end for least-connections and latency.`,
      );
    }
  }
  if (r.scale) {
    out.push('');
    out.push('## Scale of the config (switchyard serve)');
    out.push('');
    if (r.scale.error) out.push(`failed: ${r.scale.error}`);
    else
      out.push(
        table(
          ['routes', 'req/s', 'p99 ms', 'req/s vs 1 route', 'CPU %', 'CPU µs/req'],
          r.scale.map((s) => [
            s.label,
            int(s.rps),
            f2(s.p99),
            pct(s.vsOne),
            int(s.cpuPct),
            int(s.cpuUsPerRequest),
          ]),
        ),
      );
  }
  for (const prof of r.profiles ?? []) {
    const who = prof.subject === 'ui' ? 'switchyard with the UI' : 'switchyard serve';
    out.push('');
    if (prof.error || prof.skipped) {
      out.push(`Profile of ${who}: ${prof.error ?? `skipped: ${prof.skipped}`}`);
      continue;
    }
    out.push(
      `## Where ${who} spends its CPU (\`node --cpu-prof\`, ${int(prof.busyMs)} ms busy of ${int(prof.totalMs)} ms)`,
    );
    out.push('');
    out.push(
      table(
        ['package', 'ms', '% of busy'],
        prof.byPackage.slice(0, 12).map((x) => [x.name, int(x.ms), f1(x.pctOfBusy)]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['function (self time)', 'ms', '% of busy'],
        prof.topFunctions.slice(0, 20).map((x) => [`\`${x.name.trim()}\``, int(x.ms), f1(x.pctOfBusy)]),
      ),
    );
  }
  if (r.notes.length) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}
