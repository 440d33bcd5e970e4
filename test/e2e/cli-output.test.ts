/**
 * What the CLI prints, exactly, against a real `switchyard serve`: a sentence for every verb, 404s
 * that name what is missing, a hint on 401, schema violations said once, and bg-deploy's wording.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { startBackend, type Backend } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const TOKEN = 'cli-output-secret';
let sy: Running;
let dir: string;
let backends: Backend[] = [];

/** `switchyard ARGS --admin URL`, with the right token unless `env` says otherwise. */
function sw(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) {
  return run([...args, '--admin', sy.adminUrl], {
    env: { SWITCHYARD_ADMIN_TOKEN: TOKEN, ...env },
    timeoutMs,
    cwd: dir,
  });
}

async function api(method: string, p: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${sy.adminUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.text() };
}

/** The whole running state, to show that a refused command changed nothing. */
async function state(): Promise<string> {
  return (await api('GET', '/config?format=yaml')).body;
}

async function targets(upstream: string): Promise<string[]> {
  const r = await api('GET', `/upstreams/${upstream}/targets`);
  return (JSON.parse(r.body) as { data: { target: string }[] }).data.map((t) => t.target).sort();
}

function manifest(mta: string, version: string, command: string): string {
  const file = path.join(dir, `${mta}-${version}.yaml`);
  fs.writeFileSync(
    file,
    `ID: ${mta}\nversion: ${version}\nmodules:\n  - name: ${mta}-web\n    command: ${command}\n    parameters:\n      instances: 1\n      routes:\n        - route: ${mta}.example.com\n`,
  );
  return file;
}

function idOf(stdout: string): string {
  const m = /^Deployment (\d+) /.exec(stdout);
  if (!m) throw new Error(`no deployment id in:\n${stdout}`);
  return m[1]!;
}

/**
 * What `bg-deploy MANIFEST` said after its first two lines (the id the moment it exists, and how
 * to follow, abort or resume it), without the progress lines of the wait (as many as it took).
 */
function afterStart(stdout: string): string {
  const id = idOf(stdout);
  const lines = stdout.split('\n');
  expect(lines[0]).toMatch(new RegExp(`^Deployment ${id} of .+ started: `));
  expect(lines[1]).toBe(
    `Follow it with "switchyard bg-deploy -i ${id} -a monitor"; abort it with "switchyard bg-deploy -i ${id} -a abort"; once it is pending, resume it with "switchyard bg-deploy -i ${id} -a resume"`,
  );
  return lines
    .slice(2)
    .filter((l) => !/^ {2}waiting for the new apps to answer: .* instances answering \(\d+s\)$/.test(l))
    .join('\n');
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cli-output-'));
  backends = await Promise.all(['b1', 'b2', 'app'].map((n) => startBackend(n)));
  const config = path.join(dir, 'start.yaml');
  fs.writeFileSync(
    config,
    `services:\n  - name: address-service\n    host: address.v2.service\n    routes: [{ name: address-route, hosts: [address.localhost] }]\n` +
      `upstreams:\n  - name: address.v2.service\n    targets: [{ target: ${backends[0]!.address} }, { target: ${backends[1]!.address} }]\n`,
  );
  sy = await serve(['--state-dir', path.join(dir, 'state'), '--config', config, '--admin-token', TOKEN]);
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  await Promise.all(backends.map((b) => b.close()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const RAW_HTTP = /^(GET|POST|PATCH|PUT|DELETE) \//m;

describe('CLI output', () => {
  it('config export refuses a bad --spares, naming it, and writes nothing', async () => {
    const out = path.join(dir, 'spares-x');
    const r = await run([
      'config',
      'export',
      '--format',
      'haproxy',
      '--state-dir',
      path.join(dir, 'state'),
      '-o',
      out,
      '--spares',
      'x',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^switchyard: option '--spares <n>' argument 'x' is invalid\. expected a number of spare backends 0\.\.1000, got 'x'/,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it('remove-target and delete say what they did, not the HTTP request', async () => {
    const [b1, b2] = [backends[0]!.address, backends[1]!.address];
    let r = await sw(['remove-target', 'address.v2.service', b2]);
    expect(r).toEqual({
      code: 0,
      stdout: `removed target ${b2} from upstream address.v2.service\n`,
      stderr: '',
    });
    expect(await targets('address.v2.service')).toEqual([b1]);
    r = await sw(['undo']);
    expect(r.code).toBe(0);
    expect(await targets('address.v2.service')).toEqual([b1, b2].sort());

    r = await sw(['push', 'app-v1', '--route', 'app-v1.localhost', '--target', backends[2]!.address]);
    expect(r.code).toBe(0);
    r = await sw(['delete', 'app-v1']);
    expect(r).toEqual({ code: 0, stdout: 'deleted app app-v1\n', stderr: '' });
    expect((await api('GET', '/apps/app-v1')).status).toBe(404);
  }, 30_000);

  it('every traffic verb prints a sentence', async () => {
    const b1 = backends[0]!.address;
    const lines: string[][] = [
      ['split', 'address-service', 'address.v2.service=1'],
      ['switch', 'address-service', 'address.v2.service'],
      ['add-target', 'address.v2.service', '127.0.0.1:1', '0'],
      ['undo'],
      ['add-target', 'address.v2.service', '127.0.0.1:1', '0'],
      ['weight', 'address.v2.service', '127.0.0.1:1', '5'],
      ['remove-target', 'address.v2.service', '127.0.0.1:1'],
      ['push', 'app-v2', '--route', 'app-v2.localhost', '--target', backends[2]!.address],
      ['map-route', 'app-v2', 'localhost', '--hostname', 'other'],
      ['unmap-route', 'app-v2', 'localhost', '--hostname', 'other'],
      ['stop', 'app-v2'],
      ['start', 'app-v2'],
      ['restart', 'app-v2'],
      ['delete', 'app-v2'],
    ];
    const out: string[] = [];
    for (const args of lines) {
      const r = await sw(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).not.toMatch(RAW_HTTP);
      out.push(r.stdout);
    }
    expect(out[lines.findIndex((a) => a[0] === 'remove-target')]).toBe(
      'removed target 127.0.0.1:1 from upstream address.v2.service\n',
    );
    expect(out.at(-1)).toBe('deleted app app-v2\n');
    expect(await targets('address.v2.service')).toEqual([b1, backends[1]!.address].sort());
  }, 60_000);

  it('a 404 names what was not found, and changes nothing', async () => {
    const before = await state();
    // What was wrong, then (for a change) that nothing changed and where to see what there is.
    const services = '\n  nothing changed; "switchyard config export" shows the services there are';
    const targets = '\n  nothing changed; "switchyard config export" shows the targets there are';
    const upstreams = '\n  nothing changed; "switchyard config export" shows the upstreams there are';
    const cases: [string[], string][] = [
      [['switch', 'nosuch', 'x'], `404 service 'nosuch' not found${services}`],
      [['split', 'nosuch', 'a=1'], `404 service 'nosuch' not found${services}`],
      [['remove-target', 'address.v2.service', '127.0.0.1:3999'], `404 target '127.0.0.1:3999' of upstream 'address.v2.service' not found${targets}`],
      [['weight', 'address.v2.service', '127.0.0.1:3999', '5'], `404 target '127.0.0.1:3999' of upstream 'address.v2.service' not found${targets}`],
      [['remove-target', 'x', '127.0.0.1:3999'], `404 upstream 'x' not found${upstreams}`],
      [['weight', 'x', '127.0.0.1:3999', '5'], `404 upstream 'x' not found${upstreams}`],
      [['add-target', 'x', '127.0.0.1:3999'], `404 upstream 'x' not found${upstreams}`],
      // Messages that name something already stay as they are.
      [['delete', 'envapp'], `404 app 'envapp' not found\n  nothing changed; "switchyard apps" lists the apps`],
      // Looking is not a change: nothing to say about changes.
      [['bg-deploy', '-i', '999999', '-a', 'monitor'], "404 deployment '999999' not found"],
    ];
    for (const [args, message] of cases) {
      expect(await sw(args), args.join(' ')).toEqual({
        code: 1,
        stdout: '',
        stderr: `switchyard: ${message}\n`,
      });
    }
    expect(await state()).toBe(before);
  }, 30_000);

  it('switch names an existing upstream, and a split that would stop the service wants --force', async () => {
    const before = await state();
    expect(await sw(['switch', 'address-service', 'purple'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "switchyard: 400 no upstream 'purple' to switch service address-service to: it can switch to address.v2.service; nothing changed\n",
    });
    expect(await sw(['split', 'address-service', 'address.v2.service=0'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'switchyard: 409 service address-service → address.v2.service 0% would leave service address-service nothing to send to (all its weights are 0): every request would get 503. Nothing changed; add --force to do it anyway\n',
    });
    expect(await state()).toBe(before);
    expect(await sw(['split', 'address-service', 'address.v2.service=0', '--force'])).toEqual({
      code: 0,
      stdout: 'service address-service → address.v2.service 0%\n',
      stderr: '',
    });
    expect((await sw(['undo'])).code).toBe(0);
    expect(await state()).toBe(before);
  }, 30_000);

  it('a 401 says how to pass the token, and changes nothing', async () => {
    const before = await state();
    const none = await sw(['switch', 'address-service', 'elsewhere'], { SWITCHYARD_ADMIN_TOKEN: '' });
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr: 'switchyard: 401 Unauthorized: pass --admin-token TOKEN or set SWITCHYARD_ADMIN_TOKEN\n',
    });
    const wrong = await sw(['switch', 'address-service', 'elsewhere', '--admin-token', 'wrong']);
    expect(wrong).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'switchyard: 401 Unauthorized: the admin token given was refused; pass the right one with --admin-token TOKEN or set SWITCHYARD_ADMIN_TOKEN\n',
    });
    expect(await state()).toBe(before);
  }, 30_000);

  it('config apply says every error of the file once, with its name, and changes nothing', async () => {
    const before = await state();
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'upstreams:\n  - name: u\n    targets:\n      - target: 127.0.0.1:1\n      - target: 127.0.0.1:2\n        weight: 70000\n',
    );
    expect(await sw(['config', 'apply', bad])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'switchyard: 400 bad.yaml: 1 error:\n  upstreams[0].targets[1].weight: value should be between 0 and 65535\n  nothing changed\n',
    });
    fs.writeFileSync(
      bad,
      'upstreams:\n  - name: u\n    targets:\n      - target: 127.0.0.1:1\n        weight: -1\n      - target: 127.0.0.1:2\n        weight: 70000\n',
    );
    expect(await sw(['config', 'apply', bad])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'switchyard: 400 bad.yaml: 2 errors:\n  upstreams[0].targets[0].weight: value should be between 0 and 65535\n  upstreams[0].targets[1].weight: value should be between 0 and 65535\n  nothing changed\n',
    });
    expect(await sw(['split', 'address-service', 'nosuch=1'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "switchyard: 400 schema violation (upstreams[0].name: no upstream named 'nosuch')\n  nothing changed\n",
    });
    expect(await state()).toBe(before);
  }, 30_000);

  it('bg-deploy: resumed replaced the old version; cleanup advice only while it is true; monitor exits 0 on an ended deployment', async () => {
    const hello = (v: string) => `VERSION=${v} node ${HELLO}`;
    let r = await sw(['bg-deploy', manifest('shop', '1.0.0', hello('v1'))]);
    expect(r.code).toBe(0);
    expect(afterStart(r.stdout)).toBe(
      `Deployment ${idOf(r.stdout)} of shop 1.0.0: resumed (shop-web-blue): first deployment: live on its productive routes\n`,
    );

    // v2 goes pending beside blue, then replaces it.
    r = await sw(['bg-deploy', manifest('shop', '2.0.0', hello('v2'))]);
    const v2 = idOf(r.stdout);
    expect(afterStart(r.stdout).split('\n')[0]).toBe(
      `Deployment ${v2} of shop 2.0.0: pending (shop-web-green beside shop-web-blue)`,
    );
    r = await sw(['bg-deploy', '-i', v2, '-a', 'resume']);
    const resumed = `Deployment ${v2} of shop 2.0.0: resumed (shop-web-green replaced shop-web-blue)\n`;
    expect(r).toEqual({ code: 0, stdout: resumed, stderr: '' });
    expect(await sw(['bg-deploy', '-i', v2, '-a', 'monitor'])).toEqual({
      code: 0,
      stdout: resumed,
      stderr: '',
    });

    // v3 aborted by the operator: the advice to clean up is true, and monitoring it is no failure.
    r = await sw(['bg-deploy', manifest('shop', '3.0.0', hello('v3'))]);
    const v3 = idOf(r.stdout);
    const advice = `The new version and its temporary routes stay for inspection; remove them with "switchyard bg-deploy -i ${v3} -a cleanup"\n`;
    const aborted = `Deployment ${v3} of shop 3.0.0: aborted (shop-web-blue beside shop-web-green): aborted by the operator\n`;
    expect(await sw(['bg-deploy', '-i', v3, '-a', 'abort'])).toEqual({
      code: 0,
      stdout: aborted + advice,
      stderr: '',
    });
    expect(await sw(['bg-deploy', '-i', v3, '-a', 'monitor'])).toEqual({
      code: 0,
      stdout: aborted + advice,
      stderr: '',
    });

    // v4 reuses v3's colour: v3 has nothing left to clean up, so no advice.
    r = await sw(['bg-deploy', manifest('shop', '4.0.0', hello('v4'))]);
    const v4 = idOf(r.stdout);
    expect(await sw(['bg-deploy', '-i', v3, '-a', 'monitor'])).toEqual({
      code: 0,
      stdout: aborted,
      stderr: '',
    });

    // Aborted and cleaned up: the new version is gone, and no advice.
    expect((await sw(['bg-deploy', '-i', v4, '-a', 'abort'])).code).toBe(0);
    const cleaned = `Deployment ${v4} of shop 4.0.0: aborted (shop-web-blue removed, shop-web-green kept): aborted by the operator; cleaned up\n`;
    expect(await sw(['bg-deploy', '-i', v4, '-a', 'cleanup'])).toEqual({
      code: 0,
      stdout: cleaned,
      stderr: '',
    });
    expect(await sw(['bg-deploy', '-i', v4, '-a', 'monitor'])).toEqual({
      code: 0,
      stdout: cleaned,
      stderr: '',
    });
    expect((await api('GET', '/apps/shop-web-blue')).status).toBe(404);
  }, 90_000);

  it('bg-deploy --no-confirm --steps follows the gradual resume to the end, as -a resume --steps does', async () => {
    const hello = (v: string) => `VERSION=${v} node ${HELLO}`;
    expect((await sw(['bg-deploy', manifest('cart', '1.0.0', hello('v1'))])).code).toBe(0);
    // The first line is the CLI's first look after the deployment started resuming: the steps are
    // long enough (at least 2 s in all) that no loaded machine gets to the end before that look.
    const r = await sw([
      'bg-deploy',
      manifest('cart', '2.0.0', hello('v2')),
      '--no-confirm',
      '--steps',
      '50,100',
      '--interval',
      '1s',
    ]);
    expect(r.code).toBe(0);
    const lines = afterStart(r.stdout).trim().split('\n');
    expect(lines[0]).toMatch(
      /^Deployment \d+ of cart 2\.0\.0: resuming \(cart-web-green beside cart-web-blue\)/,
    );
    expect(lines.at(-1)).toMatch(
      /^Deployment \d+ of cart 2\.0\.0: resumed \(cart-web-green replaced cart-web-blue\)/,
    );
    // The monitor ends at "resumed"; the old version is retired after that (its instances drain,
    // then it is deleted): wait for that rather than assume it is done when the CLI exits.
    let blue = 0;
    await waitUntil(
      'the old version cart-web-blue to be retired and deleted',
      async () => (blue = (await api('GET', '/apps/cart-web-blue')).status) === 404,
      {
        timeoutMs: 30_000,
        everyMs: 100,
        seen: () => `GET /apps/cart-web-blue: ${blue}`,
      },
    );
  }, 60_000);

  it('bg-deploy: monitoring a failed deployment still exits 1', async () => {
    let r = await sw(['bg-deploy', manifest('broken', '1.0.0', 'node -e "process.exit(3)"')]);
    expect(r.code).toBe(1);
    const id = idOf(r.stdout);
    const failed = new RegExp(
      `^Deployment ${id} of broken 1\\.0\\.0: failed \\(broken-web-blue\\): app broken-web-blue crashed: .*\\n$`,
    );
    expect(afterStart(r.stdout)).toMatch(failed);
    r = await sw(['bg-deploy', '-i', id, '-a', 'monitor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(failed);
    r = await sw(['bg-deploy', '-i', id, '-a', 'cleanup']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^Deployment ${id} of broken 1\\.0\\.0: failed \\(broken-web-blue removed\\): app broken-web-blue crashed: .*; cleaned up\\n$`,
      ),
    );
    r = await sw(['bg-deploy', '-i', id, '-a', 'monitor']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('stay for inspection');
  }, 60_000);
});
