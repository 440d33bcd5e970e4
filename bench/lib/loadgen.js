/**
 * One interface over the two load generators: wrk (when installed; C, one thread) and autocannon
 * (from npm, in a child process). Both run with the same parameters: connections, duration,
 * pipelining 1, a Host header, and report requests/s, p50/p99/max latency in ms and errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { childrenCpuSeconds } from './proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export function findWrk() {
  const explicit = process.env.BENCH_WRK;
  if (explicit) return explicit;
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const WRK_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50":%d,"p99":%d,"max":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

function wrkLoadgen(bin, track) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-wrk-'));
  const lua = path.join(dir, 'report.lua');
  fs.writeFileSync(lua, WRK_LUA);
  let version = 'wrk';
  try {
    version = execFileSync(bin, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]
      .trim();
  } catch (e) {
    // `wrk -v` exits 1 after printing its version.
    version =
      String(e.stdout ?? '')
        .split('\n')[0]
        .trim() || 'wrk';
  }
  let child = null;
  const start = (o) => {
    if (o.rate) throw new Error('wrk cannot hold a fixed rate (wrk2 can): use --loadgen autocannon');
    // wrk takes whole seconds: a fractional duration is cut short with SIGINT (wrk then reports).
    const wanted = o.duration ?? 600;
    const seconds = Math.max(1, Math.ceil(wanted));
    const args = [
      '-t1',
      `-c${o.connections}`,
      `-d${seconds}s`,
      '--timeout',
      `${o.timeout ?? 10}s`,
      '-s',
      lua,
    ];
    // wrk adds its own `Host` unless one is given under exactly that name.
    for (const [k, v] of Object.entries(o.headers ?? {}))
      args.push('-H', `${k.toLowerCase() === 'host' ? 'Host' : k}: ${v}`);
    args.push(o.url);
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const me = child;
    const cpu0 = childrenCpuSeconds();
    const cut = seconds !== wanted ? setTimeout(() => me.kill('SIGINT'), wanted * 1000) : null;
    const done = new Promise((resolve, reject) => {
      me.on('exit', () => {
        clearTimeout(cut);
        // wrk is gone by now: its CPU shows in ours, as a reaped child's.
        const cpuSeconds = childrenCpuSeconds() - cpu0;
        if (child === me) child = null;
        const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
        if (!line) return reject(new Error(`wrk gave no result: ${(err || out).trim().slice(-500)}`));
        const r = JSON.parse(line.slice(8));
        const socketErrors = r.connect + r.read + r.write + r.timeout;
        const elapsed = r.duration_us / 1e6;
        resolve({
          loadgenCpuSeconds: cpuSeconds,
          requests: r.requests,
          seconds: elapsed,
          rps: elapsed > 0 ? r.requests / elapsed : 0,
          p50: r.p50 / 1000,
          p99: r.p99 / 1000,
          max: r.max / 1000,
          ok: r.requests - r.status,
          non2xx: r.status,
          socketErrors,
          timeouts: r.timeout,
          errors: r.status + socketErrors,
        });
      });
    });
    return { stop: () => me.kill('SIGINT'), done };
  };
  return {
    name: 'wrk',
    version,
    pid: () => child?.pid ?? null,
    start,
    run: (o) => start(o).done,
    close() {
      child?.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function autocannonLoadgen(track) {
  const require = createRequire(import.meta.url);
  const version = `autocannon ${require('autocannon/package.json').version}`;
  const child = fork(path.join(here, 'autocannon-child.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) =>
      reject(new Error(`the autocannon process exited (${code}) before it was ready`)),
    );
  });
  let busy = false;
  const start = (o) => {
    if (busy) throw new Error('autocannon is already running a load');
    busy = true;
    const done = new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`the autocannon process exited (${code}) during a run`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        busy = false;
        if (m.error) reject(new Error(`autocannon: ${m.error}`));
        else resolve(m.result);
      });
    });
    child.send({ run: { ...o, duration: o.duration ?? 600 } });
    return { stop: () => child.connected && child.send('stop'), done };
  };
  return {
    name: 'autocannon',
    version,
    pid: () => child.pid,
    start,
    run: (o) => start(o).done,
    close() {
      if (child.connected) child.disconnect();
      child.kill('SIGTERM');
    },
  };
}

/** `kind`: 'wrk', 'autocannon' or 'auto' (wrk when installed). */
export async function createLoadgen(kind, track) {
  const wrk = kind === 'autocannon' ? null : findWrk();
  if (kind === 'wrk' && !wrk) throw new Error('--loadgen wrk: wrk is not installed (or set BENCH_WRK)');
  return wrk ? wrkLoadgen(wrk, track) : autocannonLoadgen(track);
}
