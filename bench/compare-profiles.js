/**
 * Where switchyard serve's CPU per request differs from bare http-proxy's: both run under
 * `node --cpu-prof` with the same load, one after the other, and the self time of each function
 * is divided by the requests served, so the table shows microseconds per request side by side.
 * `node bench/compare-profiles.js [--seconds 6] [--top 30] [--ui]` (after `npm run build`); with
 * `--ui`, serve is set beside switchyard with its UI instead, to see what the UI adds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLoadgen } from './lib/loadgen.js';
import { stopAll, stopChild, track } from './lib/procs.js';
import { selfTimes } from './lib/profile.js';
import { HOST, benchConfig, ROOT, startBackends, startServe, startUi, tempDir } from './lib/subjects.js';
import { sleep } from './lib/http.js';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    top: { type: 'string', default: '30' },
    // `--ui`: set switchyard with its UI (in tmux) beside serve, instead of bare http-proxy.
    ui: { type: 'boolean', default: false },
  },
});
const seconds = Number(opt.seconds);

async function profileFile(dir) {
  for (let i = 0; i < 100; i++) {
    const f = fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
    if (f) return path.join(dir, f);
    await sleep(100);
  }
  throw new Error(`no profile in ${dir}`);
}

async function load(lg, url) {
  const l = { url, headers: { host: HOST }, connections: 32, pipelining: 1 };
  await lg.run({ ...l, duration: 2 });
  return lg.run({ ...l, duration: seconds });
}

const backends = await startBackends();
const lg = await createLoadgen('autocannon', track);
const out = {};
try {
  if (opt.ui) {
    const dir = tempDir('cmp-ui');
    const ui = await startUi(benchConfig(backends.ports), {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    if (ui.skipped) throw new Error(ui.skipped);
    const r = await load(lg, ui.proxyUrl);
    await ui.stop();
    out.bare = { requests: r.requests, fns: selfTimes(await profileFile(dir)) };
  } else {
    const dir = tempDir('cmp-bare');
    const child = track(
      spawn(
        process.execPath,
        [
          '--cpu-prof',
          '--cpu-prof-dir',
          dir,
          path.join(ROOT, 'bench/lib/bare-proxy.js'),
          String(backends.ports.blue),
        ],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      ),
    );
    const port = await new Promise((resolve) =>
      child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).port)),
    );
    const r = await load(lg, `http://127.0.0.1:${port}`);
    await stopChild(child);
    out.bare = { requests: r.requests, fns: selfTimes(await profileFile(dir)) };
  }
  {
    const dir = tempDir('cmp-serve');
    const s = await startServe(benchConfig(backends.ports), {
      label: 'cmp',
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    const r = await load(lg, s.proxyUrl);
    await s.stop();
    out.serve = { requests: r.requests, fns: selfTimes(await profileFile(dir)) };
  }
} finally {
  await stopAll();
}
const per = (side, k) => (side.fns.get(k) ?? 0) / side.requests;
const keys = new Set([...out.bare.fns.keys(), ...out.serve.fns.keys()]);
const rows = [...keys]
  .map((k) => ({ k, bare: per(out.bare, k), serve: per(out.serve, k) }))
  .sort((a, b) => Math.abs(b.serve - b.bare) - Math.abs(a.serve - a.bare));
const A = opt.ui ? 'ui' : 'bare';
const total = (side) => [...side.fns.values()].reduce((a, b) => a + b, 0) / side.requests;
console.log(
  `requests: ${A} ${out.bare.requests}, serve ${out.serve.requests}; sampled µs/request: ${A} ${total(out.bare).toFixed(1)}, serve ${total(out.serve).toFixed(1)}`,
);
console.log(`| function | ${A} µs/req | serve µs/req | Δ |\n| --- | ---: | ---: | ---: |`);
for (const r of rows.slice(0, Number(opt.top)))
  console.log(
    `| \`${r.k}\` | ${r.bare.toFixed(2)} | ${r.serve.toFixed(2)} | ${(r.serve - r.bare).toFixed(2)} |`,
  );
