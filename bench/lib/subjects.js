/**
 * Starting what is measured, each in a process of its own: the backends, the bare http-proxy,
 * `switchyard serve`, switchyard with its UI in a pseudo-terminal (tmux), and nginx.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { alive } from './proc.js';
import { freePort, request, sleep, waitForHttp } from './http.js';
import { stopChild, stopTmux, track, trackDir, trackPid, trackTmux, untrackPid } from './procs.js';
import { clearInterval, setInterval } from 'node:timers';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'switchyard.js');
/** The Host every load and probe sends: the bench service's route. */
export const HOST = 'bench.localhost';

export function tempDir(prefix) {
  return trackDir(fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-bench-${prefix}-`)));
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Backends blue, green, red in one process; `counts()` and `reset()` go over IPC, and
 * `firstRequest(name)` reports when that backend next serves a request (`armed` once the
 * backends listen for it; `at` in ms of the system's monotonic clock, the same as `monotonicMs()`
 * here).
 */
export async function startBackends(names = ['blue', 'green', 'red']) {
  const child = track(
    fork(path.join(here, 'backends.js'), names, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const { ports } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the backends exited (${code}) before they were ready`)));
  });
  // Replies are told apart by their field: a `seen` may arrive while `counts` is asked.
  const reply = (field, match = () => true) =>
    new Promise((resolve) => {
      const on = (r) => {
        if (r[field] === undefined || !match(r)) return;
        child.off('message', on);
        resolve(r[field]);
      };
      child.on('message', on);
    });
  const ask = (m) => {
    const r = reply('counts');
    child.send(m);
    return r;
  };
  const firstRequest = (name) => {
    const armed = reply('armed', (r) => r.armed === name);
    const at = reply('at', (r) => r.seen === name);
    child.send({ watch: name });
    return { armed, at };
  };
  return {
    pid: child.pid,
    ports,
    counts: () => ask('counts'),
    reset: () => ask('reset'),
    firstRequest,
    stop: () => stopChild(child),
  };
}

/** Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Reads `{"port":N}` from a child's first stdout line. */
function firstJsonLine(child, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        child.stdout.off('data', onData);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

export async function startBareProxy(targetPort) {
  const child = track(
    spawn(process.execPath, [path.join(here, 'bare-proxy.js'), String(targetPort)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const { port } = await firstJsonLine(child, 'the bare http-proxy');
  return { pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** The declarative config: service `bench` split 80/20 over blue and green, reached by `routes`. */
export function benchConfig(ports, { routes = 1, byPath = false } = {}) {
  const routeList = [];
  for (let i = 0; i < routes; i++) {
    if (routes === 1) routeList.push({ name: 'bench', hosts: ['bench.localhost'] });
    else if (byPath)
      routeList.push({ name: `r${i}`, hosts: ['bench.localhost'], paths: [`/p${i}`], strip_path: false });
    else routeList.push({ name: `r${i}`, hosts: [`r${i}.bench.localhost`] });
  }
  const doc = {
    _format_version: '3.0',
    services: [
      {
        name: 'bench',
        host: 'blue',
        upstreams: [
          { name: 'blue', weight: 80 },
          { name: 'green', weight: 20 },
        ],
        routes: routeList,
      },
    ],
    upstreams: Object.entries(ports).map(([name, port]) => ({
      name,
      targets: [{ target: `127.0.0.1:${port}` }],
    })),
  };
  return YAML.stringify(doc, { lineWidth: 0 });
}

/**
 * `switchyard serve` on free ports with `config` (YAML text; null: the saved state of `stateDir`
 * only); `nodeArgs` e.g. --cpu-prof; `args` more flags (e.g. `--data-plane haproxy`).
 */
export async function startServe(
  config,
  { nodeArgs = [], label = 'serve', stateDir, args: extra = [] } = {},
) {
  const dir = tempDir(label);
  const configArgs = [];
  if (config !== null) {
    const file = path.join(dir, 'bench.yaml');
    fs.writeFileSync(file, config);
    configArgs.push('--config', file);
  }
  const args = [
    ...nodeArgs,
    BIN,
    'serve',
    '--proxy-port',
    '0',
    '--admin-port',
    '0',
    '--state-dir',
    stateDir ?? path.join(dir, 'state'),
    ...configArgs,
    ...extra,
  ];
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
  // Always drained: serve logs a line per change, and a full pipe would stall the proxy.
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => done(null), 20_000);
    const onExit = () => done(null);
    const poll = setInterval(() => {
      const m = /serving: proxy (http:\/\/[^\s,]+), admin API (http:\/\/[^\s,]+)/.exec(err);
      if (m) done({ proxyUrl: m[1], adminUrl: m[2] });
    }, 20);
    function done(v) {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      resolve(v);
    }
    child.once('exit', onExit);
  });
  if (!ready) {
    await stopChild(child);
    throw new Error(
      `switchyard serve did not start: ${err.trim().split('\n').slice(-5).join(' | ') || 'no output'}`,
    );
  }
  return { pid: child.pid, ...ready, stderr: () => err, stop: () => stopChild(child, 5000) };
}

/** tmux servers of the UIs started so far (each UI gets a socket of its own). */
let uiCount = 0;

/**
 * switchyard with its UI, in a 120×40 tmux pseudo-terminal (`args`: more flags, e.g. `--data-plane
 * haproxy`). Resolves with `{ skipped }` (and a reason) when the UI cannot start here, instead of
 * failing the bench.
 */
export async function startUi(config, { nodeArgs = [], args = [] } = {}) {
  if (!which('tmux')) return { skipped: 'tmux is not installed' };
  const dir = tempDir('ui');
  const file = path.join(dir, 'bench.yaml');
  const errFile = path.join(dir, 'stderr.txt');
  fs.writeFileSync(file, config);
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const socket = `switchyard-bench-${process.pid}-${++uiCount}`;
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const cmd = `exec ${q(process.execPath)} ${nodeArgs.map(q).join(' ')} ${q(BIN)} --proxy-port ${proxyPort} --admin-port ${adminPort} --state-dir ${q(path.join(dir, 'state'))} --config ${q(file)} ${args.map(q).join(' ')} 2>${q(errFile)}`;
  const tmux = (...args) =>
    execFileSync('tmux', ['-L', socket, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
  trackTmux(socket);
  const env = { ...process.env, TERM: 'xterm-256color' };
  delete env.TMUX;
  try {
    execFileSync(
      'tmux',
      ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '120', '-y', '40', cmd],
      { env, stdio: 'ignore', timeout: 10_000 },
    );
  } catch (e) {
    await stopTmux(socket);
    return { skipped: `tmux could not start a session: ${e.message}` };
  }
  const screen = () => {
    try {
      return tmux('capture-pane', '-p', '-t', 'ui');
    } catch {
      return '';
    }
  };
  const why = () => {
    const text = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8').trim() : '';
    return (text || screen().trim() || 'no output').split('\n').slice(-3).join(' | ');
  };
  let pid = null;
  try {
    pid = Number(tmux('display-message', '-p', '-t', 'ui', '#{pane_pid}').trim()) || null;
  } catch {
    pid = null;
  }
  if (pid) trackPid(pid);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const stop = async () => {
    if (pid && alive(pid)) {
      try {
        tmux('send-keys', '-t', 'ui', 'q');
      } catch {
        // The session is gone already.
      }
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 30 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (pid) untrackPid(pid);
    await stopTmux(socket);
  };
  try {
    await waitForHttp(`${adminUrl}/services/bench`, {
      timeoutMs: 20_000,
      check: () => {
        if (!pid || !alive(pid)) throw new Error('exited');
      },
    });
  } catch (e) {
    await sleep(200);
    const reason =
      e.message === 'exited'
        ? `the UI exited at start: ${why()}`
        : `the UI did not answer: ${e.message}; ${why()}`;
    await stop();
    return { skipped: reason };
  }
  return {
    pid,
    socket,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    adminUrl,
    screen,
    /** The screen's first non-blank lines on one line, for an error message. */
    screenLine: () =>
      screen()
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 12)
        .join(' / ')
        .slice(0, 600),
    sendKeys: (...keys) => tmux('send-keys', '-t', 'ui', ...keys),
    /** Sends one key without blocking the caller's probes; resolves with the ms tmux itself took. */
    pressKey: (key) => {
      const t0 = performance.now();
      return new Promise((resolve, reject) =>
        execFile('tmux', ['-L', socket, 'send-keys', '-t', 'ui', key], (err) =>
          err ? reject(err) : resolve(performance.now() - t0),
        ),
      );
    },
    stop,
  };
}

export function findNginx() {
  return (
    process.env.BENCH_NGINX || which('nginx') || (fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null)
  );
}

/** nginx with the same weighted upstream (80/20) and keep-alive, one worker, loopback only. */
export async function startNginx(ports) {
  const bin = findNginx();
  if (!bin) return { skipped: 'nginx is not installed' };
  // `nginx -v` prints its version on stderr.
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  if (v.error || v.status !== 0)
    return { skipped: `nginx does not run: ${v.error?.message ?? v.stderr.trim()}` };
  let version = (v.stderr || v.stdout).trim() || 'nginx';
  version = version.replace(/^nginx version: /, '');
  const dir = tempDir('nginx');
  for (const d of ['logs', 'tmp']) fs.mkdirSync(path.join(dir, d));
  const port = await freePort();
  const conf = `
worker_processes 1;
error_log ${dir}/logs/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream bench {
    server 127.0.0.1:${ports.blue} weight=80;
    server 127.0.0.1:${ports.green} weight=20;
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = track(
    spawn(
      bin,
      ['-p', dir, '-e', `${dir}/logs/error.log`, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, {
      host: 'bench.localhost',
      timeoutMs: 10_000,
      check: () => {
        if (child.exitCode !== null)
          throw new Error(
            `nginx exited: ${err.trim() || fs.readFileSync(`${dir}/logs/error.log`, 'utf8').trim()}`,
          );
      },
    });
  } catch (e) {
    await stopChild(child);
    return { skipped: `nginx did not start: ${e.message.slice(0, 300)}` };
  }
  return { pid: child.pid, url, version, stop: () => stopChild(child) };
}

/** PATCH /services/bench on an admin API; throws unless 200. */
export async function patchService(adminUrl, body, agent) {
  const r = await request(`${adminUrl}/services/bench`, { method: 'PATCH', body, agent });
  if (r.status !== 200)
    throw new Error(`PATCH /services/bench ${JSON.stringify(body)} → ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}
