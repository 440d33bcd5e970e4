#!/usr/bin/env node
// npm run soak [-- --minutes N]: load, blue/green switches, target kills and switchyard restarts
// together, for minutes (not in CI). Reports failed requests, RSS over time and open file handles.
// Everything runs on 127.0.0.1 and stops by itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const minutes = arg('minutes', 3);
const until = Date.now() + minutes * 60_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-soak-'));

/** Backends that can be killed and brought back on the same port. */
async function backend(name) {
  const b = { name, port: 0, server: null };
  b.start = () =>
    new Promise((resolve) => {
      b.server = http.createServer((req, res) => res.end(name));
      b.server.keepAliveTimeout = 30_000;
      b.server.listen(b.port, '127.0.0.1', () => {
        b.port = b.server.address().port;
        resolve();
      });
    });
  b.kill = () => new Promise((resolve) => (b.server.closeAllConnections(), b.server.close(() => resolve())));
  await b.start();
  return b;
}

const backends = await Promise.all(['blue1', 'blue2', 'blue3', 'green1', 'green2'].map(backend));
const yaml = `services:
  - name: soak
    host: blue
    upstreams: [{ name: blue, weight: 100 }, { name: green, weight: 0 }]
    routes: [{ hosts: [soak.localhost] }]
upstreams:
  - name: blue
    targets: [${backends.slice(0, 3).map((b) => `{ target: 127.0.0.1:${b.port} }`).join(', ')}]
  - name: green
    targets: [${backends.slice(3).map((b) => `{ target: 127.0.0.1:${b.port} }`).join(', ')}]
`;
fs.writeFileSync(path.join(dir, 'soak.yaml'), yaml);

let sy = null;
let proxyPort = 0;
let adminPort = 0;
let restarting = false;

function startSwitchyard(first) {
  return new Promise((resolve, reject) => {
    const args = [path.join(root, 'bin/switchyard.js'), 'serve', '--proxy-port', String(proxyPort), '--admin-port', String(adminPort), '--state-dir', path.join(dir, 'state')];
    if (first) args.push('--config', path.join(dir, 'soak.yaml'));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let up = false;
    child.stderr.on('data', (c) => {
      if (up) return;
      err += c;
      const m = /proxy http:\/\/[^:]+:(\d+), admin API http:\/\/[^:]+:(\d+)/.exec(err);
      if (!m) return;
      up = true;
      proxyPort = Number(m[1]);
      adminPort = Number(m[2]);
      sy = child;
      resolve();
    });
    child.on('exit', (code) => {
      if (!up) reject(new Error(`switchyard exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const counts = { ok: 0, failed: 0, duringRestart: 0, switches: 0, switchErrors: 0, kills: 0, restarts: 0 };
const samples = [];

function get() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: proxyPort, path: '/', agent, headers: { host: 'soak.localhost' }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function admin(method, p, body) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port: adminPort, path: p, method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode < 300));
    });
    req.on('error', () => resolve(false));
    req.end(data);
  });
}

function procInfo(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    return { rss, fds };
  } catch {
    return null;
  }
}

await startSwitchyard(true);
console.log(`soak: ${minutes} min; switchyard pid ${sy.pid}, proxy :${proxyPort}, admin :${adminPort}`);

const loops = Array.from({ length: 16 }, async () => {
  while (Date.now() < until) {
    const wasRestarting = restarting;
    const ok = await get();
    if (ok) counts.ok++;
    else if (wasRestarting || restarting) counts.duringRestart++;
    else counts.failed++;
  }
});

const timers = [
  setInterval(async () => {
    if (restarting) return;
    counts.switches++;
    if (!(await admin('PATCH', '/services/soak', { host: counts.switches % 2 ? 'green' : 'blue' })) && !restarting) counts.switchErrors++;
  }, 50),
  setInterval(async () => {
    const b = backends[Math.floor(Math.random() * backends.length)];
    counts.kills++;
    await b.kill();
    setTimeout(() => b.start(), 2000);
  }, 5000),
  setInterval(() => {
    const info = sy && procInfo(sy.pid);
    if (info) {
      samples.push({ t: Math.round((Date.now() - (until - minutes * 60_000)) / 1000), ...info, requests: counts.ok });
      console.log(`soak: t=${samples.at(-1).t}s ok=${counts.ok} failed=${counts.failed} rss=${info.rss.toFixed(1)} MiB fds=${info.fds}`);
    }
  }, 5000),
  setInterval(async () => {
    // A restart of switchyard itself: SIGTERM, then the same state brought back.
    restarting = true;
    counts.restarts++;
    const old = sy;
    sy = null;
    await new Promise((r) => (old.once('exit', r), old.kill('SIGTERM')));
    await startSwitchyard(false);
    setTimeout(() => (restarting = false), 500);
  }, 60_000),
];

try {
  await Promise.all(loops);
} finally {
  for (const t of timers) clearInterval(t);
  sy?.kill('SIGTERM');
  for (const b of backends) await b.kill().catch(() => {});
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

const first = samples.find((s) => s.t >= 30) ?? samples[0];
const last = samples.at(-1);
console.log('\nsoak results');
console.log(`  requests ok ${counts.ok}, failed ${counts.failed} (plus ${counts.duringRestart} refused while switchyard itself restarted)`);
console.log(`  switches ${counts.switches} (${counts.switchErrors} refused), target kills ${counts.kills}, switchyard restarts ${counts.restarts}`);
if (first && last) console.log(`  RSS ${first.rss.toFixed(1)} MiB at ${first.t}s → ${last.rss.toFixed(1)} MiB at ${last.t}s; open fds ${first.fds} → ${last.fds}`);
process.exit(counts.failed === 0 ? 0 : 1);
