/** The Markdown report: the machine, the parameters, and one table per measurement. */

const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1));
const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
const int = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);
const mark = (met) => (met === null || met === undefined ? '–' : met ? 'yes' : '**no**');

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const ms = (v) => `${f1(v)} ms`;
const slash = (xs, fmt = int) => xs.map(fmt).join(' / ');

/** In-process proxy vs HAProxy steered by switchyard: throughput, cost, and switching on the fleet. */
function dataPlanes(d, p) {
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
      'so the PATCH round trip includes the fleet\'s apply, and the admin API rows, probing the instances one request at a time in turn right after it returns, should find no request on the old side. ' +
      'A key press in the UI does not wait: the key press row is the time until both instances answer from the new side. The in-process proxy reads the new table on the next request.',
  );
  return out;
}

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
        `failed requests during ${int(u.switches)} blue/green switches under load (${int(u.requests)} requests in ${f1(u.seconds)} s, ${int(u.rps)} req/s${u.rpsVsServe ? `, ${pct(u.rpsVsServe)} of the serve subject` : ''})`,
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
      out.push(table(['algorithm', 'ns per pick'], r.picks.results.map((x) => [x.label, f1(x.nsPerPick)])));
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
