/**
 * The HAProxy data plane through the real CLI: export the config, start HAProxy from it, steer it
 * with `serve --data-plane haproxy`, and switch blue → green through the admin API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHaproxy, freePort, startHaproxy, type RunningHaproxy } from '../dataplane/haproxy-helpers.js';
import { run, serve, type Running } from '../helpers/cli.js';
import { request, startBackend, tally, type Backend } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

const bin = findHaproxy();
const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-haproxy-e2e-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!bin)('switchyard steering HAProxy (skipped: haproxy is not installed)', () => {
  it('exports a config, steers two running HAProxy instances through the admin API, and reports them in sync', async () => {
    const backends: Backend[] = await Promise.all(['blue', 'green'].map((n) => startBackend(n)));
    cleanup.push(() => Promise.all(backends.map((b) => b.close())));
    const yaml = path.join(dir, 'web.yaml');
    fs.writeFileSync(
      yaml,
      `services:\n  - name: web\n    host: blue\n    routes: [{ hosts: [web.localhost] }]\nupstreams:\n  - name: blue\n    targets: [{ target: ${backends[0]!.address} }]\n  - name: green\n    targets: [{ target: ${backends[1]!.address} }]\n`,
    );
    const stateDir = path.join(dir, 'state');
    // The config first, from the state (as an operator would, before HAProxy runs).
    const seed = await serve(['--state-dir', stateDir, '--config', yaml]);
    await seed.stop('SIGTERM');
    // Two instances, as two machines would run them: each its own port and runtime socket.
    const fleet: RunningHaproxy[] = [];
    for (const n of [1, 2]) {
      const port = await freePort();
      const socket = path.join(dir, `admin${n}.sock`);
      const out = path.join(dir, `haproxy${n}`);
      const exp = await run(['config', 'export', '--format', 'haproxy', '--state-dir', stateDir, '-o', out, '--bind', `127.0.0.1:${port}`, '--socket', socket]);
      expect(exp.code).toBe(0);
      expect(exp.stdout).toContain(`wrote ${path.join(out, 'haproxy.cfg')}`);
      const hap = await startHaproxy(bin!, path.join(out, 'haproxy.cfg'), socket, port);
      cleanup.push(() => hap.kill());
      fleet.push(hap);
      expect(await tally(port, 'web.localhost', 4)).toEqual({ blue: 4 });
    }

    const sy: Running = await serve(['--state-dir', stateDir, '--data-plane', 'haproxy', ...fleet.flatMap((h) => ['--haproxy', h.socket])]);
    cleanup.push(() => sy.stop('SIGTERM'));
    const patch = await fetch(`${sy.adminUrl}/services/web`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"host":"green"}' });
    expect(patch.status).toBe(200);
    // Answered once both instances took it: the very next requests through each go to green.
    expect(patch.headers.get('x-switchyard-data-plane')).toBe('applied to 2 instance(s)');
    for (const h of fleet) expect(await tally(h.port, 'web.localhost', 4)).toEqual({ green: 4 });
    // A service and route created after the configuration was written: served from a spare backend.
    const json = { 'content-type': 'application/json' };
    expect((await fetch(`${sy.adminUrl}/services`, { method: 'POST', headers: json, body: '{"name":"shop","host":"blue"}' })).status).toBe(201);
    expect((await fetch(`${sy.adminUrl}/services/shop/routes`, { method: 'POST', headers: json, body: '{"hosts":["shop.localhost"]}' })).status).toBe(201);
    for (const h of fleet) expect(await tally(h.port, 'shop.localhost', 2)).toEqual({ blue: 2 });
    // The CLI's verbs go through the same API: when `weight` returns, both instances have it.
    const w = await run(['split', 'web', 'blue=0', 'green=1', '--admin', sy.adminUrl]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toBe('');
    const status = await run(['dataplane', '--admin', sy.adminUrl]);
    expect(status.stdout).toMatch(/data plane: haproxy/);
    expect(status.stdout.match(/reachable\s+\d+\s+in sync/g)).toHaveLength(2);
    for (const h of fleet) expect(await tally(h.port, 'web.localhost', 10)).toEqual({ green: 10 });
    // Nothing was reloaded: the same processes answer.
    for (const h of fleet) expect(Number((await h.client.showInfo()).Pid)).toBe(h.pid);
    // Kong's manual health: a target marked unhealthy takes no traffic on any instance, then is back.
    const mark = (verdict: string) => fetch(`${sy.adminUrl}/upstreams/green/targets/${backends[1]!.address}/${verdict}`, { method: 'POST' });
    expect((await mark('unhealthy')).status).toBe(204);
    for (const h of fleet) expect(await tally(h.port, 'web.localhost', 2)).toEqual({ 503: 2 });
    expect((await fetch(`${sy.adminUrl}/upstreams/green/health`).then((r) => r.json())).data[0].health).toBe('UNHEALTHY');
    expect((await mark('healthy')).status).toBe(204);
    for (const h of fleet) expect(await tally(h.port, 'web.localhost', 2)).toEqual({ green: 2 });
    // With one instance gone, a change still reaches the other, and the CLI says what it missed.
    await fleet[1]!.kill();
    const half = await run(['split', 'web', 'blue=1', 'green=0', '--admin', sy.adminUrl]);
    expect(half.code).toBe(0);
    expect(half.stderr).toMatch(new RegExp(`^note: not applied everywhere: ${fleet[1]!.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unreachable`));
    expect(await tally(fleet[0]!.port, 'web.localhost', 3)).toEqual({ blue: 3 });
  }, 60_000);

  it("runs SAP's bg-deploy through HAProxy: temporary route, pin, resume, with no failed request and no reload", async () => {
    const stateDir = path.join(dir, 'bg-state');
    fs.mkdirSync(stateDir);
    const manifest = (v: string) => {
      const file = path.join(dir, `shop-${v}.yaml`);
      fs.writeFileSync(file, `ID: shop\nversion: ${v}.0.0\nmodules:\n  - name: shop-web\n    command: VERSION=v${v} node ${HELLO}\n    instances: 2\n    routes: [shop.example.com]\n`);
      return file;
    };
    // HAProxy is configured before any app exists: every service will sit on a spare backend.
    const port = await freePort();
    const socket = path.join(dir, 'bg.sock');
    const out = path.join(dir, 'haproxy-bg');
    expect((await run(['config', 'export', '--format', 'haproxy', '--state-dir', stateDir, '-o', out, '--bind', `127.0.0.1:${port}`, '--socket', socket])).code).toBe(0);
    const hap = await startHaproxy(bin!, path.join(out, 'haproxy.cfg'), socket, port);
    cleanup.push(() => hap.kill());
    const sy = await serve(['--state-dir', stateDir, '--data-plane', 'haproxy', '--haproxy', socket]);
    cleanup.push(() => sy.stop('SIGTERM'));
    const sw = (args: string[]) => run([...args, '--admin', sy.adminUrl], { timeoutMs: 60_000 });
    const body = async (host: string, headers: Record<string, string> = {}) => {
      const r = await request(port, { host, headers });
      return r.status === 200 ? r.body.trim() : String(r.status);
    };

    let r = await sw(['bg-deploy', manifest('1')]);
    expect(r.stderr).toBe('');
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v1 /);

    // Steady load through HAProxy from here to the end.
    let stop = false;
    const seen = { ok: 0, v2: 0, failed: [] as string[] };
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const b = await body('shop.example.com').catch((e: Error) => e.message);
          if (/^shop-web-(blue v1|green v2) /.test(b)) seen.ok++;
          else seen.failed.push(b);
          if (/^shop-web-green v2 /.test(b)) seen.v2++;
          await new Promise((res) => setTimeout(res, 5));
        }
      }),
    );
    r = await sw(['bg-deploy', manifest('2')]);
    expect(r.stdout).toMatch(/pending \(shop-web-green beside shop-web-blue\)/);
    const id = /bg-deploy -i (\d+) -a resume/.exec(r.stdout)![1]!;
    expect(await body('shop-idle.example.com')).toMatch(/^shop-web-green v2 /);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v1 /);
    expect(await body('shop.example.com', { 'x-switchyard-upstream': 'shop-web-green' })).toMatch(/^shop-web-green v2 /);

    r = await sw(['bg-deploy', '-i', id, '-a', 'resume']);
    expect(r.stdout).toMatch(/resumed/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-green v2 /);
    expect(await body('shop-idle.example.com')).toBe('404');
    // The load asserted on below must have gone on after the switch: wait until it meets v2.
    await waitUntil('the load through HAProxy to be answered by v2', () => seen.v2 > 0 && seen.ok > 20, { seen: () => JSON.stringify(seen) });
    stop = true;
    await load;
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(Number((await hap.client.showInfo()).Pid)).toBe(hap.pid);
    expect((await run(['dataplane', '--admin', sy.adminUrl])).stdout).toMatch(/reachable\s+\d+\s+in sync/);
  }, 90_000);
});
