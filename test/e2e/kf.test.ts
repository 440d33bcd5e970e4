import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { request, tally } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const HOST = 'my-app.my-space.example.com';
let sy: Running;
let dir: string;
let appDir: string;

/** Runs `switchyard ARGS` against the instance, from the app's directory (as `kf push` is run). */
function sw(line: string) {
  const args = line.split(' ').filter(Boolean);
  return run([...args, '--admin', sy.adminUrl], { cwd: appDir, timeoutMs: 30_000 });
}

/** Counts which app answered, over `n` requests through the proxy. */
async function split(n: number): Promise<Record<string, number>> {
  const raw = await tally(sy.proxyPort, HOST, n);
  const out: Record<string, number> = {};
  for (const [body, count] of Object.entries(raw)) {
    const key = body.split(' ')[0] ?? body;
    out[key] = (out[key] ?? 0) + count;
  }
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-kf-'));
  appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir);
  // The app's directory says how it runs, as a Procfile does for `kf push`.
  fs.writeFileSync(path.join(appDir, 'Procfile'), `web: node ${HELLO}\n`);
  sy = await serve(['--state-dir', path.join(dir, 'state')]);
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("Kf's blue-green recipe, verbatim, with switchyard in place of kf", () => {
  it('shifts traffic step by step with real app processes', async () => {
    let r = await sw('push app-v1 --route my-app.my-space.example.com');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/app app-v1 running: 1\/1 instances answering/);
    expect(await split(10)).toEqual({ 'app-v1': 10 });

    r = await sw('push app-v2 --no-route');
    expect(r.code).toBe(0);
    expect(await split(10)).toEqual({ 'app-v1': 10 });

    // weight 0: gets nothing
    r = await sw('map-route app-v2 my-space.example.com --hostname my-app --weight 0');
    expect(r.code).toBe(0);
    expect(await split(20)).toEqual({ 'app-v1': 20 });

    await sw('map-route app-v1 my-space.example.com --hostname my-app --weight 80');
    r = await sw('map-route app-v2 my-space.example.com --hostname my-app --weight 20');
    expect(r.stdout).toMatch(/app-v1 80% \/ app-v2 20%/);
    expect(await split(100)).toEqual({ 'app-v1': 80, 'app-v2': 20 });

    await sw('map-route app-v1 my-space.example.com --hostname my-app --weight 50');
    await sw('map-route app-v2 my-space.example.com --hostname my-app --weight 50');
    expect(await split(100)).toEqual({ 'app-v1': 50, 'app-v2': 50 });

    await sw('map-route app-v1 my-space.example.com --hostname my-app --weight 0');
    await sw('map-route app-v2 my-space.example.com --hostname my-app --weight 100');
    expect(await split(50)).toEqual({ 'app-v2': 50 });

    const routes = await sw('routes');
    expect(routes.stdout).toMatch(/my-app\.my-space\.example\.com\s+app-v1 \(0, 0%\), app-v2 \(100, 100%\)/);

    // The seed's own line says "myspace" (no dash): that route does not exist, and we say so.
    r = await sw('unmap-route app-v1 myspace.example.com --hostname my-app');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/app 'app-v1' is not mapped to route my-app\.myspace\.example\.com/);

    r = await sw('stop app-v1');
    expect(r.code).toBe(0);
    expect(await split(20)).toEqual({ 'app-v2': 20 });
    const apps = await sw('apps');
    expect(apps.stdout).toMatch(/app-v1\s+stopped\s+0\/1/); // answering / configured, as kf apps and the UI say
    expect(apps.stdout).toMatch(/app-v2\s+started\s+1\/1/);

    r = await sw('delete app-v1');
    expect(r.code).toBe(0);
    const after = await sw('routes');
    expect(after.stdout).not.toContain('app-v1');
    expect(after.stdout).toMatch(/my-app\.my-space\.example\.com\s+app-v2 \(100, 100%\)/);
    expect((await sw('apps')).stdout).not.toContain('app-v1');
    expect(await split(10)).toEqual({ 'app-v2': 10 });

    // With the last app off the route, the route answers 503 and names itself.
    await sw('unmap-route app-v2 my-space.example.com --hostname my-app');
    const none = await request(sy.proxyPort, { host: HOST });
    expect(none.status).toBe(503);
    expect(JSON.parse(none.body).message).toContain(HOST);
  }, 120_000);

  it('replaces an app rolling under load without a failed request', async () => {
    let r = await run(['push', 'roll', '--route', 'roll.example.com', '--command', `VERSION=v1 node ${HELLO}`, '--instances', '2', '--admin', sy.adminUrl], { cwd: appDir, timeoutMs: 30_000 });
    expect(r.stdout).toMatch(/2\/2 instances answering/);
    const seen = { v1: 0, v2: 0, failed: 0 };
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            const res = await request(sy.proxyPort, { host: 'roll.example.com' });
            if (res.status !== 200) seen.failed++;
            else seen[res.body.includes(' v2 ') ? 'v2' : 'v1']++;
          } catch {
            seen.failed++;
          }
        }
      }),
    );
    // The load asserted on below must run on both sides of the replacement: v1 before it…
    const answered = (v: 'v1' | 'v2') => waitUntil(`the load to be answered by ${v}`, () => seen[v] > 0, { seen: () => JSON.stringify(seen) });
    await answered('v1');
    r = await run(['push', 'roll', '--route', 'roll.example.com', '--command', `VERSION=v2 node ${HELLO}`, '--instances', '2', '--admin', sy.adminUrl], { cwd: appDir, timeoutMs: 30_000 });
    expect(r.stdout).toMatch(/2\/2 instances answering/);
    // …and v2 after it.
    await answered('v2');
    stop = true;
    await load;
    expect(seen.failed).toBe(0);
    expect(seen.v1).toBeGreaterThan(0);
    expect(seen.v2).toBeGreaterThan(0);
    // Only the new version answers now, on two instances, evenly.
    const after = Object.entries(await tally(sy.proxyPort, 'roll.example.com', 10));
    expect(after).toHaveLength(2);
    for (const [body, n] of after) {
      expect(body).toMatch(/^roll v2 \d\n$/);
      expect(n).toBe(5);
    }
  }, 60_000);

  it('an app given by address takes traffic only once its port answers', async () => {
    const { closedPort } = await import('../helpers/net.js');
    const port = await closedPort();
    // (Through the admin API: the CLI's push would wait until the address answers.)
    const push = await fetch(`${sy.adminUrl}/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ext', targets: [`127.0.0.1:${port}`], route: 'ext.example.com' }),
    });
    expect(push.status).toBe(201);
    // Nothing answers yet: the route has no instance to send to.
    const before = await request(sy.proxyPort, { host: 'ext.example.com' });
    expect(before.status).toBe(503);
    const http = await import('node:http');
    const server = http.createServer((_q, res) => res.end('ext up'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    try {
      // The supervisor probes the address every 500 ms: it joins the route when a probe meets it.
      let body = '';
      await waitUntil(
        'the route to reach the address once it answers',
        async () => (body = (await request(sy.proxyPort, { host: 'ext.example.com' })).body) === 'ext up',
        { everyMs: 100, seen: () => body },
      );
      expect(body).toBe('ext up');
      expect((await sw('apps')).stdout).toMatch(/ext\s+started\s+1\/1/);
    } finally {
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
    }
  }, 30_000);

  // Nine CLI runs: a bound for a busy machine, not an expectation.
  it('reports bad input clearly and changes nothing', { timeout: 60_000 }, async () => {
    const before = await sw('routes');
    expect((await sw('map-route nope my-space.example.com --hostname my-app')).stderr).toMatch(/app 'nope' not found/);
    for (const w of ['-1', '1.5', 'x']) {
      const r = await sw(`map-route roll my-space.example.com --hostname my-app --weight ${w}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/weight: (value should be between 0 and 65535|expected an integer)/);
    }
    expect((await sw('routes')).stdout).toBe(before.stdout);
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    const noCmd = await run(['push', 'lost', '--no-route', '--admin', sy.adminUrl], { cwd: empty });
    expect(noCmd.code).toBe(1);
    expect(noCmd.stderr).toMatch(/--command CMD/);
    expect((await sw('push x --command true')).stderr).toMatch(/give --route HOST.DOMAIN\[\/PATH\] or --no-route/);
  });

  it('reports a command that exits at once as crashed, with its last log lines, and stops retrying', async () => {
    const r = await run(['push', 'boom', '--no-route', '--command', 'echo "missing config file" >&2; exit 3', '--admin', sy.adminUrl], { cwd: appDir, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/app boom crashed: exited with code 3 \(3 times in a row/);
    expect(r.stderr).toContain('missing config file');
    const logs = await sw('logs boom');
    expect(logs.stdout).toContain('missing config file');
  }, 30_000);

  it('reports an app that cannot bind its port as crashed', async () => {
    // The command ignores $PORT and takes the proxy's own port, which is in use.
    const r = await run(['push', 'busy', '--no-route', '--command', `PORT=${sy.proxyPort} node ${HELLO}`, '--admin', sy.adminUrl], { cwd: appDir, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/app busy crashed/);
    expect(r.stderr).toContain('EADDRINUSE');
  }, 30_000);
});

