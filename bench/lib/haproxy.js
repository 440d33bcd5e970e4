/**
 * HAProxy as the data plane, steered by switchyard: the bench's 80/20 route exported with
 * `switchyard config export --format haproxy` (once per instance: each its own bind port and
 * runtime API socket), the instances started from it with `haproxy -db -f …`, and
 * `switchyard serve --data-plane haproxy --haproxy SOCK1 --haproxy SOCK2` steering them.
 * Then the two switch measures on that fleet: a key press in the UI, and a PATCH through the
 * admin API, each until requests through every instance reach the new side.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { keepAliveAgent, percentiles, probe, request, sleep, waitForHttp, freePort } from './http.js';
import { stopChild, track } from './procs.js';
import { BIN, ROOT, patchService, startServe, tempDir } from './subjects.js';

/** `BENCH_HAPROXY`, else `haproxy` on the PATH or in the sbin directories a PATH often lacks. */
export function findHaproxy() {
  if (process.env.BENCH_HAPROXY) return process.env.BENCH_HAPROXY;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, 'haproxy');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // Not here.
    }
  }
  return null;
}

/** One runtime API command over the unix socket; HAProxy answers and closes. */
export function runtime(socket, command, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const c = net.connect({ path: socket });
    let out = '';
    const timer = setTimeout(
      () => c.destroy(new Error(`${socket}: no answer to "${command}" in ${timeoutMs} ms`)),
      timeoutMs,
    );
    c.on('connect', () => c.write(`${command}\n`));
    c.on('data', (d) => (out += d));
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function showInfo(socket) {
  const text = await runtime(socket, 'show info');
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}

function execNode(args) {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${err.message.split('\n')[0]}: ${String(stderr).trim().slice(-500)}`))
        : resolve({ stdout, stderr }),
    ),
  );
}

/** One HAProxy in the foreground; resolves once its socket answers as this process and it proxies. */
async function startInstance(bin, cfg, socket, port, host) {
  const child = track(spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`haproxy exited (${child.exitCode}): ${err.trim().slice(-400)}`);
      const info = await showInfo(socket).catch(() => null);
      if (info && Number(info.Pid) === child.pid) break;
      if (Date.now() > deadline) throw new Error(`its runtime API did not answer on ${socket} within 10 s`);
      await sleep(50);
    }
    await waitForHttp(`${url}/`, { host, timeoutMs: 10_000 });
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  const info = await showInfo(socket);
  return {
    pid: child.pid,
    port,
    url,
    socket,
    cfg,
    threads: Number(info.Nbthread) || null,
    stderr: () => err,
    stop: () => stopChild(child),
  };
}

/**
 * `count` HAProxy instances from the exported config of `config` (YAML text), and the
 * `serve --data-plane haproxy` flags that steer them. `{ skipped }` when haproxy is not here.
 */
export async function startHaproxyFleet(config, { count = 2, host }) {
  const bin = findHaproxy();
  if (!bin)
    return {
      skipped:
        'haproxy is not installed (looked on the PATH and in /usr/sbin, /usr/local/sbin, /sbin; or set BENCH_HAPROXY)',
    };
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (v.error || v.status !== 0)
    return { skipped: `haproxy does not run: ${v.error?.message ?? v.stderr.trim()}` };
  const version = /version (\S+)/.exec(v.stdout)?.[1]?.replace(/-.*$/, '') ?? '?';
  const dir = tempDir('haproxy');
  const stateDir = path.join(dir, 'state');
  const instances = [];
  const stop = async () => {
    for (const i of instances) await i.stop();
  };
  try {
    // The state first (as an operator would have it), then the export from it.
    const seed = await startServe(config, { label: 'haproxy-seed', stateDir });
    await seed.stop();
    for (let n = 1; n <= count; n++) {
      const port = await freePort();
      const socket = path.join(dir, `h${n}.sock`);
      const out = path.join(dir, `haproxy-${n}`);
      await execNode([
        BIN,
        'config',
        'export',
        '--format',
        'haproxy',
        '--state-dir',
        stateDir,
        '-o',
        out,
        '--bind',
        `127.0.0.1:${port}`,
        '--socket',
        socket,
      ]);
      instances.push(await startInstance(bin, path.join(out, 'haproxy.cfg'), socket, port, host));
    }
  } catch (e) {
    await stop();
    return { skipped: `HAProxy did not start: ${e.message.slice(0, 400)}` };
  }
  return {
    bin,
    version,
    stateDir,
    instances,
    threads: instances[0].threads,
    serveArgs: ['--data-plane', 'haproxy', ...instances.flatMap((i) => ['--haproxy', i.socket])],
    stop,
  };
}

/** Until the steering switchyard reports every instance reachable, in sync and without error. */
export async function waitInSync(adminUrl, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await request(`${adminUrl}/dataplane`, { timeoutMs: 2000 });
      const body = JSON.parse(r.body);
      const ok =
        r.status === 200 &&
        body.instances?.length > 0 &&
        body.instances.every(
          (i) => i.reachable && i.appliedVersion !== null && !i.lastError && !i.reloadNeeded,
        );
      if (ok) return body;
      last = r.body.slice(0, 300);
    } catch (e) {
      last = e.message;
    }
    await sleep(50);
  }
  throw new Error(`the HAProxy instances were not in sync within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Probes the instances one request at a time, in turn (skipping those already switched), until
 * every one has answered from `side` or `timeoutMs` has passed. Per instance: the time from `t0`
 * to the first answer from `side` (null if none), and how many answers came from elsewhere first.
 */
async function untilSwitched(urls, host, agents, side, t0, timeoutMs = 5000) {
  const ms = urls.map(() => null);
  const old = urls.map(() => 0);
  const errors = urls.map(() => 0);
  while (ms.some((x) => x === null) && performance.now() - t0 < timeoutMs) {
    for (let i = 0; i < urls.length; i++) {
      if (ms[i] !== null) continue;
      const r = await probe(urls[i], host, agents[i]).catch(() => ({ backend: null, at: performance.now() }));
      if (r.backend === side) ms[i] = r.at - t0;
      else if (r.backend === null) errors[i]++;
      else old[i]++;
    }
  }
  return { ms, old, errors };
}

const timeOrThrow = (res, side, what) => {
  const missing = res.ms.map((m, i) => (m === null ? i + 1 : null)).filter((x) => x !== null);
  if (missing.length)
    throw new Error(
      `HAProxy instance ${missing.join(', ')} did not answer from ${side} within 5 s of ${what}`,
    );
  return Math.max(...res.ms);
};

/** Sets the side through the admin API and waits until every instance answers from it. */
async function settle(adminUrl, instances, host, agents, side, admin) {
  await patchService(adminUrl, { host: side }, admin);
  const res = await untilSwitched(
    instances.map((i) => i.url),
    host,
    agents,
    side,
    performance.now(),
    10_000,
  );
  timeOrThrow(res, side, 'the first change');
}

/**
 * The admin API on the fleet: after each `PATCH /services/bench {"host":…}` returns, requests
 * through every instance (one at a time, in turn) until each answers from the new side: how many
 * still went to the old side, and the time from the PATCH's return until all have switched.
 * Then 10 more requests through each, which must all be on the new side.
 */
export async function fleetAdminSwitch(adminUrl, instances, host, rounds) {
  const admin = keepAliveAgent(1);
  const agents = instances.map(() => keepAliveAgent(1));
  const urls = instances.map((i) => i.url);
  const allMs = [];
  const perInstanceMs = instances.map(() => []);
  const oldRouted = instances.map(() => 0);
  const oldAfterSwitched = instances.map(() => 0);
  const errors = instances.map(() => 0);
  const firstRequestOld = instances.map(() => 0);
  const patchMs = [];
  try {
    await settle(adminUrl, instances, host, agents, 'blue', admin);
    let side = 'blue';
    for (let n = 0; n < rounds; n++) {
      const next = side === 'blue' ? 'green' : 'blue';
      await sleep(50);
      const r = await patchService(adminUrl, { host: next }, admin);
      const acked = performance.now();
      patchMs.push(r.ms);
      const res = await untilSwitched(urls, host, agents, next, acked);
      allMs.push(timeOrThrow(res, next, 'the PATCH'));
      res.ms.forEach((m, i) => {
        perInstanceMs[i].push(m);
        oldRouted[i] += res.old[i];
        errors[i] += res.errors[i];
        if (res.old[i] > 0) firstRequestOld[i]++;
      });
      for (let i = 0; i < urls.length; i++)
        for (let j = 0; j < 10; j++) {
          const p = await probe(urls[i], host, agents[i]).catch(() => ({ backend: null }));
          if (p.backend === null) errors[i]++;
          else if (p.backend !== next) oldAfterSwitched[i]++;
        }
      side = next;
    }
  } finally {
    admin.destroy();
    for (const a of agents) a.destroy();
  }
  return {
    rounds,
    body: '{"host":"green"} / {"host":"blue"}',
    allSwitchedMs: percentiles(allMs),
    perInstanceMs: perInstanceMs.map((v) => percentiles(v)),
    oldRouted,
    changesWithOldRouted: firstRequestOld,
    oldAfterSwitched,
    errors,
    patchMs: percentiles(patchMs),
    all: allMs,
  };
}

/**
 * The UI on the fleet (`ui` from startUi with the haproxy flags): the time from a key press (G/B
 * via `tmux send-keys`, whose own few ms are included) until requests through every instance
 * answer from the new side. The first `warmup` presses (G then B), right after the UI started, are
 * not counted: the first one pays for a cold start (~150-400 ms here), not for the path measured.
 */
export async function fleetKeyPress(ui, instances, host, presses, warmup = 2) {
  const admin = keepAliveAgent(1);
  const agents = instances.map(() => keepAliveAgent(1));
  const urls = instances.map((i) => i.url);
  const ms = [];
  const perInstanceMs = instances.map(() => []);
  const sendKeyMs = [];
  const warmupMs = [];
  try {
    await settle(ui.adminUrl, instances, host, agents, 'blue', admin);
    let side = 'blue';
    for (let n = 0; n < warmup + presses; n++) {
      const next = side === 'blue' ? 'green' : 'blue';
      const key = next === 'green' ? 'G' : 'B';
      await sleep(300);
      const t0 = performance.now();
      const sent = ui.pressKey(key);
      const res = await untilSwitched(urls, host, agents, next, t0);
      const sentMs = await sent;
      let took;
      try {
        took = timeOrThrow(res, next, `pressing ${key}`);
      } catch (e) {
        throw new Error(`${e.message} (screen: ${ui.screenLine()})`);
      }
      side = next;
      if (n < warmup) {
        warmupMs.push(took);
        continue;
      }
      ms.push(took);
      sendKeyMs.push(sentMs);
      res.ms.forEach((m, i) => perInstanceMs[i].push(m));
    }
  } finally {
    admin.destroy();
    for (const a of agents) a.destroy();
  }
  return {
    presses,
    keys: 'G (100% green) / B (100% blue)',
    warmupPresses: warmup,
    ms: percentiles(ms),
    perInstanceMs: perInstanceMs.map((v) => percentiles(v)),
    tmuxSendKeysMs: percentiles(sendKeyMs),
    all: ms,
    warmupMs,
  };
}
