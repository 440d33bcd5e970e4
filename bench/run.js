#!/usr/bin/env node
/**
 * `npm run bench` (or `node bench/run.js [--quick] [--only LIST]`): the orchestrator. Parses the
 * flags, starts the load generator and the backends, runs the chosen experiments (one file each in
 * bench/experiments/, each `{ name, params(quick), run(ctx) → results }`), judges the results with
 * the pure bench/lib/goals.js, writes bench/results/latest.json and latest.md (a quick run:
 * quick.json and quick.md) and prints the report. Method: bench/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLoadgen } from './lib/loadgen.js';
import { hasProc } from './lib/proc.js';
import { stopAll, track } from './lib/procs.js';
import { ROOT, startBackends } from './lib/subjects.js';
import { machine } from './lib/measure.js';
import { markdown } from './lib/report.js';
import { dataPlanes, goals } from './lib/goals.js';
import subjects from './experiments/subjects.js';
import switching from './experiments/switch.js';
import accuracy from './experiments/accuracy.js';
import memory from './experiments/memory.js';
import scale from './experiments/scale.js';
import render from './experiments/render.js';
import failover from './experiments/failover.js';
import picks from './experiments/picks.js';
import abServe from './experiments/ab-serve.js';
import abUi from './experiments/ab-ui.js';
import keySplit from './experiments/key-split.js';
import profile from './experiments/profile.js';

const EXPERIMENTS = [
  subjects,
  switching,
  accuracy,
  memory,
  scale,
  render,
  failover,
  picks,
  abServe,
  abUi,
  keySplit,
  profile,
];
// What --only takes: the subjects by name, and every other experiment by its name.
const NAMES = EXPERIMENTS.flatMap((e) => (e.when ? [] : (e.selects ?? [e.name])));
const USAGE =
  'usage: node bench/run.js [--quick] [--only LIST] [--loadgen auto|wrk|autocannon] [--connections N] [--duration S]\n' +
  '                         [--warmup S] [--rounds N] [--pairs N] [--profile] [--strict] [--out DIR]\n' +
  `  --only: a comma-separated list of ${NAMES.join(', ')} (haproxy brings serve along)\n`;

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    loadgen: { type: 'string', default: process.env.BENCH_LOADGEN ?? 'auto' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    pairs: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const ONLY = opt.only ? new Set(opt.only.split(',').map((s) => s.trim())) : null;
const unknown = [...(ONLY ?? [])].filter((n) => !NAMES.includes(n));
if (unknown.length) {
  process.stderr.write(`bench: --only ${unknown.join(',')}: no such experiment\n${USAGE}`);
  process.exit(2);
}

const QUICK = opt.quick;
const P = {
  mode: QUICK ? 'quick' : 'full',
  connections: Number(opt.connections ?? 32),
  durationS: Number(opt.duration ?? (QUICK ? 2 : 10)),
  warmupS: Number(opt.warmup ?? (QUICK ? 1 : 2)),
  pipelining: 1,
  rounds: Number(opt.rounds ?? (QUICK ? 1 : 3)),
  ...Object.assign({}, ...EXPERIMENTS.map((e) => e.params?.(QUICK, opt.pairs && Number(opt.pairs)) ?? {})),
};
const want = (what) => ONLY === null || ONLY.has(what);
// Nothing here may run unbounded: the whole bench has a deadline.
const DEADLINE_MS = QUICK ? 300_000 : 50 * 60_000;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

async function main() {
  const notes = [];
  if (!hasProc) notes.push('/proc is not readable here: CPU and RSS are not measured.');
  const lg = await createLoadgen(opt.loadgen, track);
  const report = { machine: machine(lg), params: P, subjects: [], notes };
  const m = report.machine;
  log(
    `${m.cores} cores, Node ${m.node}, ${lg.version}, ${P.mode} mode: ${P.connections} connections, ${P.warmupS}+${P.durationS} s per subject`,
  );
  if (m.loadavg[0] > m.cores * 0.5)
    notes.push(
      `The machine was busy when the bench started (load average ${m.loadavg.join(', ')}): numbers are noisy.`,
    );
  if (lg.name === 'autocannon')
    notes.push(
      'wrk is not installed: the load generator is autocannon (Node, one core), which caps what *direct* can show.',
    );
  const backends = await startBackends();
  const ctx = { P, quick: QUICK, lg, backends, log, want, profile: opt.profile, out: opt.out };
  try {
    for (const e of EXPERIMENTS) {
      if (e.when ? !e.when(ctx) : !(e.selects ?? [e.name]).some(want)) continue;
      try {
        Object.assign(report, await e.run(ctx));
      } catch (err) {
        notes.push(`${e.name} failed: ${err.message}`);
        log(`${e.name}: ${err.stack ?? err.message}`);
      }
    }
  } finally {
    lg.close();
    await backends.stop();
  }

  if (want('haproxy')) report.dataPlanes = dataPlanes(report);
  const g = goals(report, { profiled: opt.profile });
  Object.assign(report, { ratios: g.ratios, targets: g.targets });
  notes.push(...g.notes);

  fs.mkdirSync(opt.out, { recursive: true });
  const md = markdown(report);
  // A quick run is a smoke test: it must not overwrite the full run's committed figures.
  const base = QUICK ? 'quick' : 'latest';
  fs.writeFileSync(path.join(opt.out, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(opt.out, `${base}.md`), md);
  process.stdout.write(`${md}\n`);
  log(`wrote ${path.relative(process.cwd(), path.join(opt.out, `${base}.json`))} and ${base}.md`);
  // Exit 1 when a required subject could not run, or (--strict) a correctness goal was missed.
  const required = ['direct', 'bare', 'serve'].filter(want);
  const missing = required.filter((k) => !report.subjects.some((s) => s.key === k && !s.skipped));
  return missing.length === 0 && !(opt.strict && g.missed);
}

const watchdog = setTimeout(() => {
  log(`still running after ${DEADLINE_MS / 1000} s: giving up`);
  stopAll().finally(() => process.exit(1));
}, DEADLINE_MS);
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    stopAll().finally(() => process.exit(130));
  });

let ok = false;
try {
  ok = await main();
} catch (e) {
  log(`failed: ${e.stack ?? e.message}`);
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
process.exit(ok ? 0 : 1);
