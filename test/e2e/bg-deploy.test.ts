import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
let sy: Running;
let dir: string;
let stateDir: string;
let abortedId = '';

function manifest(version: string, extra = ''): string {
  const file = path.join(dir, `shop-${version}.yaml`);
  fs.writeFileSync(
    file,
    `ID: shop\nversion: ${version}.0.0\nmodules:\n  - name: shop-web\n    command: VERSION=v${version} ${extra}node ${HELLO}\n    parameters:\n      instances: 2\n      routes:\n        - route: shop.example.com\n`,
  );
  return file;
}

function sw(args: string[]) {
  return run([...args, '--admin', sy.adminUrl], { timeoutMs: 60_000 });
}

async function body(host: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await request(sy.proxyPort, { host, headers });
  return r.status === 200 ? r.body.trim() : `${r.status}`;
}

/** Steady load on the productive route; counts what is not the app's own answer. */
function load(host = 'shop.example.com') {
  const seen = { ok: 0, failed: 0, bodies: new Map<string, number>() };
  let stop = false;
  const done = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const r = await request(sy.proxyPort, { host });
          if (r.status === 502 || r.status === 503 || r.status === 504 || r.status === 404) seen.failed++;
          else {
            seen.ok++;
            const v = r.body.split(' ')[1] ?? r.body;
            seen.bodies.set(v, (seen.bodies.get(v) ?? 0) + 1);
          }
        } catch {
          seen.failed++;
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    }),
  );
  return {
    seen,
    /** Waits until the load has had an answer from `version` (e.g. 'v2'). */
    answered: (version: string) =>
      waitUntil(`the load on ${host} to be answered by ${version}`, () => (seen.bodies.get(version) ?? 0) > 0, {
        seen: () => JSON.stringify({ ok: seen.ok, failed: seen.failed, bodies: Object.fromEntries(seen.bodies) }),
      }),
    stop: async () => {
      stop = true;
      await done;
      return seen;
    },
  };
}

function idOf(stdout: string): string {
  const m = /bg-deploy -i (\d+) -a resume/.exec(stdout);
  if (!m) throw new Error(`no deployment id in:\n${stdout}`);
  return m[1]!;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bg-'));
  stateDir = path.join(dir, 'state');
  sy = await serve(['--state-dir', stateDir]);
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("SAP's bg-deploy with switchyard", () => {
  it('deploys v1, deploys v2 beside it on a temporary route, and resumes without a failed request', async () => {
    let r = await sw(['bg-deploy', manifest('1')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/resumed \(shop-web-blue\): first deployment/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v1 /);

    const l = load();
    // The load asserted on below must have met v1 before v2 goes live.
    await l.answered('v1');
    r = await sw(['bg-deploy', manifest('2')]);
    expect(r.stdout).toMatch(/pending \(shop-web-green beside shop-web-blue\)/);
    expect(r.stdout).toContain('shop-web-green answers on shop-idle.example.com');
    expect(r.stdout).toContain('Process needs additional user input');
    const id = idOf(r.stdout);
    expect(r.stdout).toContain(`Use "switchyard bg-deploy -i ${id} -a abort" to abort the process`);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v1 /);
    expect(await body('shop-idle.example.com')).toMatch(/^shop-web-green v2 /);
    // The new version can be tried on the productive route too, pinned by a header.
    expect(await body('shop.example.com', { 'x-switchyard-upstream': 'shop-web-green' })).toMatch(/^shop-web-green v2 /);
    expect((await sw(['deployments'])).stdout).toMatch(new RegExp(`${id}\\s+shop\\s+2\\.0\\.0\\s+pending\\s+shop-web-blue → shop-web-green`));

    r = await sw(['bg-deploy', '-i', id, '-a', 'resume']);
    expect(r.stdout).toMatch(/resumed/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-green v2 /);
    expect(await body('shop-idle.example.com')).toBe('404');
    const apps = (await sw(['apps'])).stdout;
    expect(apps).not.toContain('shop-web-blue');
    expect(apps).toMatch(/shop-web-green\s+started\s+2\/2/);
    // …and v2 after it.
    await l.answered('v2');
    const seen = await l.stop();
    expect(seen.failed).toBe(0);
    expect(seen.bodies.get('v1')).toBeGreaterThan(0);
    expect(seen.bodies.get('v2')).toBeGreaterThan(0);
  }, 60_000);

  it('aborts: the live version stays, the new one stays on its temporary route until cleaned up', async () => {
    const l = load();
    const r = await sw(['bg-deploy', manifest('3')]);
    const id = idOf(r.stdout);
    abortedId = id;
    expect(r.stdout).toMatch(/shop-web-blue beside shop-web-green/);
    const abort = await sw(['bg-deploy', '-i', id, '-a', 'abort']);
    expect(abort.stdout).toMatch(/aborted/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-green v2 /);
    expect(await body('shop-idle.example.com')).toMatch(/^shop-web-blue v3 /);

    const again = await sw(['bg-deploy', '-i', id, '-a', 'abort']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is aborted: only a deploying, pending/);
    const resume = await sw(['bg-deploy', '-i', id, '-a', 'resume']);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(/is aborted, not pending/);

    const clean = await sw(['bg-deploy', '-i', id, '-a', 'cleanup']);
    expect(clean.code).toBe(0);
    expect(await body('shop-idle.example.com')).toBe('404');
    expect((await sw(['apps'])).stdout).not.toContain('shop-web-blue');
    expect((await l.stop()).failed).toBe(0);
  }, 60_000);

  it('a pending deployment survives a restart, with its processes brought back', async () => {
    const r = await sw(['bg-deploy', manifest('4')]);
    const id = idOf(r.stdout);
    expect(await sy.stop('SIGTERM')).toBe(0);
    sy = await serve(['--state-dir', stateDir]);
    expect((await sw(['deployments'])).stdout).toMatch(new RegExp(`${id}\\s+shop\\s+4\\.0\\.0\\s+pending`));
    // The processes come back on new ports; wait until both versions answer again.
    const answers = { live: '', idle: '' };
    await waitUntil(
      'both versions to answer again after the restart',
      async () => {
        answers.live = await body('shop.example.com');
        answers.idle = await body('shop-idle.example.com');
        return /^shop-web-green v2 /.test(answers.live) && /^shop-web-blue v4 /.test(answers.idle);
      },
      { timeoutMs: 30_000, everyMs: 100, seen: () => JSON.stringify(answers) },
    );
    expect(await body('shop.example.com')).toMatch(/^shop-web-green v2 /);
    expect(await body('shop-idle.example.com')).toMatch(/^shop-web-blue v4 /);
    const resumed = await sw(['bg-deploy', '-i', id, '-a', 'resume']);
    expect(resumed.stdout).toMatch(/resumed/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v4 /);
  }, 60_000);

  it('a gradual resume aborts by itself when the new version answers 500s', async () => {
    const l = load();
    const r = await sw(['bg-deploy', manifest('5', 'STATUS=500 ')]);
    const id = idOf(r.stdout);
    const resume = await sw(['bg-deploy', '-i', id, '-a', 'resume', '--steps', '20,100', '--interval', '5s', '--max-error-rate', '5%']);
    expect(resume.code).toBe(1);
    expect(resume.stdout).toMatch(/resuming/);
    expect(resume.stdout).toMatch(/aborted at step 20%: 5xx rate 100\.0% > 5\.0%/);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v4 /);
    const seen = await l.stop();
    expect(seen.failed).toBe(0);
  }, 60_000);

  it('a sticky gradual resume keeps each user on one version at every step', async () => {
    const r = await sw(['bg-deploy', manifest('6')]);
    const id = idOf(r.stdout);
    // --sticky without --steps is refused, and nothing moves.
    const refused = await sw(['bg-deploy', '-i', id, '-a', 'resume', '--sticky', 'header:x-user']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--sticky keeps users on one version during a gradual resume: give --steps too');
    // Through the admin API, as the CLI sends it: the first step at 50% and a long interval.
    const res = await fetch(`${sy.adminUrl}/deployments/${id}/resume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: [50, 100], interval_ms: 600_000, sticky: 'header:x-user' }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: string }).state).toBe('resuming');
    const versions = new Set<string>();
    for (let u = 0; u < 40; u++) {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add((await body('shop.example.com', { 'x-user': `user-${u}` })).split(' ')[1] ?? '?');
      expect(seen.size, `user-${u} saw ${[...seen].join(', ')}`).toBe(1);
      versions.add([...seen][0]!);
    }
    // At 50% both versions have users.
    expect([...versions].sort()).toEqual(['v4', 'v6']);
    expect((await sw(['bg-deploy', '-i', id, '-a', 'abort'])).code).toBe(0);
    expect(await body('shop.example.com')).toMatch(/^shop-web-blue v4 /);
  }, 60_000);

  it('adopts apps pushed without a colour as blue, and deploys straight through with --no-confirm', async () => {
    let r = await run(['push', 'cart-web', '--route', 'cart.example.com', '--command', `VERSION=v0 node ${HELLO}`, '--admin', sy.adminUrl], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(await body('cart.example.com')).toMatch(/^cart-web v0 /);
    const l = load('cart.example.com');
    // The load asserted on below must have met the old version before the deployment replaces it.
    await l.answered('v0');
    const file = path.join(dir, 'cart.yaml');
    fs.writeFileSync(file, `ID: cart\nversion: 1.0.0\nmodules:\n  - name: cart-web\n    command: VERSION=v1 node ${HELLO}\n    routes: [cart.example.com]\n`);
    r = await sw(['bg-deploy', file, '--no-confirm']);
    expect(r.stdout).toMatch(/resumed \(cart-web-green replaced cart-web-blue\)/);
    expect(await body('cart.example.com')).toMatch(/^cart-web-green v1 /);
    const apps = (await sw(['apps'])).stdout;
    expect(apps).not.toMatch(/^cart-web\s/m);
    expect(apps).not.toContain('cart-web-blue');
    const id = /Deployment (\d+)/.exec(r.stdout)![1]!;
    const mon = await sw(['bg-deploy', '-i', id, '-a', 'monitor']);
    expect(mon.stdout).toMatch(new RegExp(`Deployment ${id} of cart 1\\.0\\.0: resumed`));
    const seen = await l.stop();
    expect(seen.failed).toBe(0);
    expect(seen.bodies.get('v0')).toBeGreaterThan(0);
  }, 60_000);

  it('refuses bad input clearly', async () => {
    // Later deployments reused the aborted one's colour: cleaning it up now would delete theirs.
    const late = await sw(['bg-deploy', '-i', abortedId, '-a', 'cleanup']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/was followed by \d+, which reuses its apps and routes/);
    const unknown = await sw(['bg-deploy', '-i', '999999', '-a', 'resume']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/deployment '999999' not found/);
    const dup = path.join(dir, 'dup.yaml');
    fs.writeFileSync(dup, `ID: shop\nmodules:\n  - name: a\n    command: node x\n  - name: a\n    command: node y\n`);
    const r = await sw(['bg-deploy', dup]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("modules[1].name: duplicate module 'a'");
    const before = (await sw(['deployments'])).stdout;
    fs.writeFileSync(dup, 'ID: shop\nmodules: [\n');
    expect((await sw(['bg-deploy', dup])).stderr).toMatch(/malformed YAML/);
    expect((await sw(['deployments'])).stdout).toBe(before);
  }, 30_000);
});
