#!/usr/bin/env node
/**
 * Runs the given tests N times and says how many runs failed: the proof that a test does not
 * flake. `npm run test:repeat -- N [--busy K] [vitest args, e.g. files or -t NAME]`.
 *
 *   npm run test:repeat -- 3 test/ui            the UI tests, 3 times
 *   npm run test:repeat -- 5 --busy 1 test/ui   the same with a busy loop holding one core
 *
 * Builds once first (the end-to-end tests spawn bin/switchyard.js, which runs dist/). Each run's
 * failing tests are listed; the exit code is 1 when any run failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const usage = 'usage: npm run test:repeat -- N [--busy K] [vitest arguments: files, -t NAME, …]';
const n = Number(args.shift());
if (!Number.isInteger(n) || n < 1) {
  console.error(`test:repeat: the first argument is the number of runs (a whole number ≥ 1)\n${usage}`);
  process.exit(2);
}
let busy = 0;
const i = args.indexOf('--busy');
if (i >= 0) {
  busy = Number(args[i + 1]);
  if (!Number.isInteger(busy) || busy < 0) {
    console.error(`test:repeat: --busy takes the number of cores to keep busy (a whole number)\n${usage}`);
    process.exit(2);
  }
  args.splice(i, 2);
}

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Busy loops, each holding one core for the whole series (ended on exit, whatever happens).
const hogs = Array.from({ length: busy }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const endHogs = () => hogs.forEach((h) => h.kill('SIGKILL'));
process.on('exit', endHogs);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function run(k) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=dot', ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => {
      // eslint-disable-next-line no-control-regex
      out = out.replace(/\u001b\[[0-9;]*m/g, '');
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const failing = [...out.matchAll(/^ *(?:FAIL|×) +(.+)$/gm)].map((m) => m[1].trim());
      const tests = /Tests +(.+)$/m.exec(out)?.[1]?.trim() ?? '';
      console.log(`run ${k}/${n}: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s${tests ? ` (${tests})` : ''}`);
      for (const f of [...new Set(failing)]) console.log(`  ✗ ${f}`);
      if (code !== 0 && failing.length === 0) console.log(out.split('\n').slice(-30).join('\n'));
      resolve(code === 0);
    });
  });
}

let failed = 0;
for (let k = 1; k <= n; k++) if (!(await run(k))) failed++;
endHogs();
console.log(
  `test:repeat: ${n} run(s) of vitest ${args.join(' ') || '(every test)'}${busy ? ` with ${busy} core(s) busy` : ''}: ${n - failed} passed, ${failed} failed`,
);
process.exit(failed > 0 ? 1 : 0);
