import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed004 } from '../helpers/seeds.js';
import { BIN, run, serve, type Running } from '../helpers/cli.js';
import { request, startBackend, tally, type Backend } from '../helpers/net.js';
import { waitForOutput, waitUntil } from '../helpers/wait.js';

let backends: Backend[] = [];
let dir: string;
const running: Running[] = [];

beforeAll(async () => {
  backends = await Promise.all(['blue-15', 'blue-16', 'green-17', 'green-18'].map((n) => startBackend(n)));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-serve-'));
});

afterAll(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await Promise.all(backends.map((b) => b.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Seed 004 with its example addresses replaced by our loopback backends. */
function seedYaml(): string {
  let yaml = seed004();
  ['192.168.34.15:80', '192.168.34.16:80', '192.168.34.17:80', '192.168.34.18:80'].forEach((addr, i) => {
    yaml = yaml.replace(addr, backends[i]!.address);
  });
  return yaml;
}

describe('switchyard serve', () => {
  it('loads the seed-004 YAML, routes by Host, switches, shuts down cleanly and restores state', async () => {
    const stateDir = path.join(dir, 'a');
    const file = path.join(dir, 'seed.yaml');
    fs.writeFileSync(file, seedYaml());
    const sy = await serve(['--state-dir', stateDir, '--config', file]);
    running.push(sy);
    expect(await tally(sy.proxyPort, 'example.domain.com', 30, '/')).toEqual({ 'blue-15': 20, 'blue-16': 10 });
    expect(backends[0]!.paths.at(-1)).toBe('/anything');

    // The switch, as the seed does it: one change of the service's host.
    const patch = await fetch(`${sy.adminUrl}/services/example-service`, { method: 'PATCH', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'host=green' });
    expect(patch.status).toBe(200);
    expect(await tally(sy.proxyPort, 'example.domain.com', 10)).toEqual({ 'green-17': 5, 'green-18': 5 });
    // The log line travels on stderr, a channel of its own: wait for it rather than assume it came with the reply.
    await waitForOutput(sy.stderr, (t) => /\[admin\] service example-service → blue 0% \/ green 100%/.test(t), 'the change logged on stderr');

    // The CLI verbs steer the same instance.
    const sw = await run(['split', 'example-service', 'blue=1', 'green=1', '--admin', sy.adminUrl]);
    expect(sw.stderr).toBe('');
    expect(sw.stdout).toMatch(/blue 50% \/ green 50%/);
    const bad = await run(['weight', 'blue', backends[0]!.address, 'abc', '--admin', sy.adminUrl]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/weight: expected a whole number/);
    const exported = await run(['config', 'export', '--admin', sy.adminUrl]);
    expect(exported.stdout).toContain('name: example-service');

    expect(await sy.stop('SIGTERM')).toBe(0);
    expect(sy.stderr()).toMatch(/SIGTERM: shutting down/);

    const again = await serve(['--state-dir', stateDir]);
    running.push(again);
    expect(await tally(again.proxyPort, 'example.domain.com', 4)).toEqual({ 'blue-15': 1, 'blue-16': 1, 'green-17': 1, 'green-18': 1 });
    expect(await again.stop('SIGINT')).toBe(0);
  });

  it('finishes a request in flight before exiting on SIGTERM', async () => {
    // The backend holds its answer until the shutdown has begun: the request is in flight throughout.
    let answer!: () => void;
    const slow = await startBackend('slow', { gate: new Promise<void>((r) => (answer = r)) });
    backends.push(slow);
    const file = path.join(dir, 'slow.yaml');
    fs.writeFileSync(file, `services:\n  - name: s\n    url: http://${slow.address}\n    routes: [{ hosts: [slow.localhost] }]\n`);
    const sy = await serve(['--state-dir', path.join(dir, 'slow'), '--config', file]);
    running.push(sy);
    const inflight = request(sy.proxyPort, { host: 'slow.localhost', timeoutMs: 15_000 });
    await waitUntil('the request to reach the backend through the proxy', () => slow.hits === 1);
    const code = sy.stop('SIGTERM');
    await waitForOutput(sy.stderr, (t) => t.includes('SIGTERM: shutting down'), 'switchyard to begin shutting down');
    answer();
    expect((await inflight).body).toBe('slow');
    expect(await code).toBe(0);
  });

  it('never loses a SIGTERM, whether it comes during startup or just after the serving line', async () => {
    const file = path.join(dir, 'signal.yaml');
    fs.writeFileSync(file, `services:\n  - name: s\n    url: http://${backends[0]!.address}\n    routes: [{ hosts: [s.localhost] }]\n`);
    // Each run signals as soon as the line appears: "loaded" is printed while the engine starts.
    for (const [i, cue] of ['loaded', 'serving', 'loaded', 'serving', 'serving', 'serving'].entries()) {
      const child = spawn(process.execPath, [BIN, 'serve', '--proxy-port', '0', '--admin-port', '0', '--state-dir', path.join(dir, `signal${i}`), '--config', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      // 'close', not 'exit': the last of stderr (the shutdown line asserted below) may come after 'exit'.
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => {
        const before = err;
        err += c;
        if (!before.includes(cue) && err.includes(cue)) child.kill('SIGTERM');
      });
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('still running 15 s after SIGTERM'), 15_000)))]);
      clearTimeout(timer);
      if (code !== 0) child.kill('SIGKILL');
      expect({ run: i, cue, code }).toEqual({ run: i, cue, code: 0 });
      expect(err).toMatch(/SIGTERM: shutting down/);
    }
  }, 70_000);

  it('refuses a second switchyard on the same state directory, and takes over from one that was killed', async () => {
    const stateDir = path.join(dir, 'locked');
    const first = await serve(['--state-dir', stateDir]);
    running.push(first);
    const second = await run(['serve', '--proxy-port', '0', '--admin-port', '0', '--state-dir', stateDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^switchyard: the state directory ${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another switchyard \\(pid ${first.child.pid}, since `));
    await first.stop('SIGKILL');
    const third = await serve(['--state-dir', stateDir]);
    running.push(third);
    expect(await third.stop('SIGTERM')).toBe(0);
    expect(fs.existsSync(path.join(stateDir, 'switchyard.lock'))).toBe(false);
  });

  it('says clearly when a port is taken', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await run(['serve', '--proxy-port', String(port), '--admin-port', '0', '--state-dir', path.join(dir, 'busy')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`switchyard: proxy port 127.0.0.1:${port} is already in use; choose another with --proxy-port\n`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a corrupt state file, naming it, and leaves it in place', async () => {
    const stateDir = path.join(dir, 'corrupt');
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, 'state.json'), '{ nope');
    const r = await run(['serve', '--proxy-port', '0', '--admin-port', '0', '--state-dir', stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path.join(stateDir, 'state.json'));
    expect(r.stderr).toContain('--reset-state');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8')).toBe('{ nope');
  });

  it('rejects a bad config file whole, with the path of the field', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'upstreams:\n  - name: a\n    targets: [{ target: 127.0.0.1:1, weight: -1 }]\n');
    const r = await run(['serve', '--proxy-port', '0', '--admin-port', '0', '--state-dir', path.join(dir, 'bad'), '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('upstreams[0].targets[0].weight: value should be between 0 and 65535');
    const check = await run(['config', 'check', file]);
    expect(check.code).toBe(1);
    const malformed = path.join(dir, 'malformed.yaml');
    fs.writeFileSync(malformed, 'services: [\n');
    expect((await run(['config', 'check', malformed])).stderr).toMatch(/malformed YAML at line/);
  });

  it('refuses a non-loopback admin API without a token', async () => {
    const r = await run(['serve', '--proxy-port', '0', '--admin-port', '0', '--admin-host', '0.0.0.0', '--state-dir', path.join(dir, 'open')], { env: { SWITCHYARD_ADMIN_TOKEN: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to bind the admin API to 0\.0\.0\.0 without a token/);
  });

  it('without a terminal, the UI says so in one line and points to serve', async () => {
    const r = await run(['--state-dir', path.join(dir, 'tty')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('switchyard needs an interactive terminal for its UI; run "switchyard serve" for the headless engine\n');
  });
});
