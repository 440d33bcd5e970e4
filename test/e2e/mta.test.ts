import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

// SAP's sample descriptors, committed unchanged (but for a first line naming their source).
const MTA = path.resolve(__dirname, '../fixtures/mta');
const APP = path.join(MTA, 'app.js');
let sy: Running;
let dir: string;

function sw(args: string[], timeoutMs = 60_000) {
  return run([...args, '--admin', sy.adminUrl], { timeoutMs });
}

/** The CLI as a running process, read while it runs (for what it says before it ends, and Ctrl-C). */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, '--admin', sy.adminUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out: () => out, err: () => err, closed };
}

async function body(host: string): Promise<string> {
  const r = await request(sy.proxyPort, { host });
  return r.status === 200 ? r.body.trim() : `${r.status}`;
}

async function deployment(id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${sy.adminUrl}/deployments/${id}`)).json()) as Record<string, unknown>;
}

function idOf(stdout: string): string {
  const m = /Deployment (\d+) of/.exec(stdout);
  if (!m) throw new Error(`no deployment id in:\n${stdout}`);
  return m[1]!;
}

/** An MTA whose one module listens only after `sleepMs`. */
function slow(id: string, sleepMs: number): string {
  const file = path.join(dir, `${id}.yaml`);
  fs.writeFileSync(
    file,
    `_schema-version: "3.3"\nID: ${id}\nversion: 1.0.0\nmodules:\n  - name: ${id}_web\n    properties:\n      SLEEP_MS: ${sleepMs}\n    parameters:\n      command: node ${APP}\n`,
  );
  return file;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-mta-'));
  // The apps inherit switchyard's environment: a COLOR of the test runner's must not pass for the descriptor's.
  sy = await serve(['--state-dir', path.join(dir, 'state')], { COLOR: undefined });
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("SAP's blue-green sample descriptors through switchyard bg-deploy", () => {
  it('deploy blue, deploy green (paused on temporary routes), resume; deploy again and abort; cleanup once', async () => {
    let r = await sw(['bg-deploy', path.join(MTA, 'hello-blue/mtad.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // What has no local meaning is listed once, before the deployment's own lines.
    expect(r.stdout.match(/no local meaning, ignored: buildpack, disk-quota, memory/g)).toHaveLength(1);
    expect(r.stdout).toMatch(
      /Deployment \d+ of hello 2\.0\.1 started: hello-router-blue, hello-backend-blue/,
    );
    expect(r.stdout).toMatch(/resumed \(hello-router-blue, hello-backend-blue\): first deployment/);
    expect(await body('hello-backend.localhost')).toBe('hello-backend-blue BLUE -');
    // The router's environment has what the backend provides (~{url}), resolved locally.
    expect(await body('hello-router.localhost')).toBe(
      'hello-router-blue BLUE http://hello-backend.localhost/content',
    );

    r = await sw(['bg-deploy', path.join(MTA, 'hello-green/mtad.yaml')]);
    expect(r.stdout).toMatch(
      /pending \(hello-router-green beside hello-router-blue, hello-backend-green beside hello-backend-blue\)/,
    );
    expect(r.stdout).toContain('hello-backend-green answers on hello-backend-idle.localhost');
    const green = idOf(r.stdout);
    expect(r.stdout).toContain(`Use "switchyard bg-deploy -i ${green} -a resume" to resume the process`);
    expect(await body('hello-backend.localhost')).toBe('hello-backend-blue BLUE -');
    expect(await body('hello-backend-idle.localhost')).toBe('hello-backend-green GREEN -');

    r = await sw(['bg-deploy', '-i', green, '-a', 'resume']);
    expect(r.stdout).toMatch(/resumed/);
    expect(await body('hello-backend.localhost')).toBe('hello-backend-green GREEN -');
    expect(await body('hello-backend-idle.localhost')).toBe('404');

    r = await sw(['bg-deploy', path.join(MTA, 'hello-blue/mtad.yaml')]);
    const again = idOf(r.stdout);
    expect(r.stdout).toMatch(/pending/);
    r = await sw(['bg-deploy', '-i', again, '-a', 'abort']);
    expect(r.stdout).toMatch(/aborted/);
    expect(await body('hello-backend.localhost')).toBe('hello-backend-green GREEN -');
    expect(await body('hello-backend-idle.localhost')).toBe('hello-backend-blue BLUE -');

    r = await sw(['bg-deploy', '-i', again, '-a', 'cleanup']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/aborted by the operator; cleaned up/);
    const before = await deployment(again);
    const list = (await sw(['deployments'])).stdout;
    // Once more: refused with the reason, and nothing changes (no second "cleaned up").
    r = await sw(['bg-deploy', '-i', again, '-a', 'cleanup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`deployment ${again} is aborted and cleaned up: nothing of it is left`);
    expect(await deployment(again)).toEqual(before);
    expect((await sw(['deployments'])).stdout).toBe(list);
  }, 90_000);

  it('deploys cf-app (a dotted MTA id, app-name, npm start from the archive path unpacked) on ${default-host}.${default-domain}', async () => {
    const r = await sw(['bg-deploy', path.join(MTA, 'cf-app/mtad.yaml'), '--default-domain', 'apps.local']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Deployment \d+ of a\.cf\.app 0\.0\.0 started: my-cf-app-blue/);
    expect(r.stdout).toMatch(/resumed \(my-cf-app-blue\)/);
    // (npm start sets COLOR for its scripts: only the app's name is asserted here.)
    expect(await body('my-cf-app.apps.local')).toMatch(/^my-cf-app-blue /);
  }, 60_000);
});

describe('bg-deploy never leaves the operator without a handle', () => {
  it('waits for a module that starts slowly, with the id first and progress lines, past any fixed request timeout', async () => {
    const r = await sw(['bg-deploy', slow('slow.start', 12_000)], 90_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = idOf(r.stdout);
    const lines = r.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(new RegExp(`^Deployment ${id} of slow\\.start 1\\.0\\.0 started: slow-start-web-blue$`))).toBe(
      0,
    );
    expect(lines[1]).toBe(
      `Follow it with "switchyard bg-deploy -i ${id} -a monitor"; abort it with "switchyard bg-deploy -i ${id} -a abort"; once it is pending, resume it with "switchyard bg-deploy -i ${id} -a resume"`,
    );
    expect(
      at(/^ {2}waiting for the new apps to answer: slow-start-web-blue 0\/1 instances answering \(\d+s\)$/),
    ).toBe(2);
    expect(at(/resumed \(slow-start-web-blue\): first deployment/)).toBeGreaterThan(2);
  }, 90_000);

  it('Ctrl-C says the deployment goes on and how to abort it; aborting it while deploying stops what it started', async () => {
    const cli = start(['bg-deploy', slow('slow.ctrlc', 600_000)]);
    const id = await waitUntil(
      'the deployment id and its handles',
      () => /Deployment (\d+) of slow\.ctrlc[^\n]*\nFollow it with[^\n]*\n/.exec(cli.out())?.[1],
      {
        timeoutMs: 30_000,
        seen: () => cli.out() + cli.err(),
      },
    );
    cli.child.kill('SIGINT');
    expect(await cli.closed).toBe(130);
    expect(cli.err()).toContain(
      `Deployment ${id} goes on in the switchyard server; follow it with "switchyard bg-deploy -i ${id} -a monitor"; abort it with "switchyard bg-deploy -i ${id} -a abort"`,
    );
    expect((await deployment(id)).state).toBe('deploying');
    // Still starting: a new deploy of it waits, and abort is allowed.
    const busy = await sw(['bg-deploy', slow('slow.ctrlc', 0)]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(
      `deployment ${id} of slow.ctrlc is still deploying: resume or abort it first`,
    );

    const abort = await sw(['bg-deploy', '-i', id, '-a', 'abort']);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toMatch(
      new RegExp(
        `Deployment ${id} of slow\\.ctrlc 1\\.0\\.0: aborted \\(slow-ctrlc-web-blue\\): aborted by the operator while deploying; its new apps were stopped`,
      ),
    );
    expect((await sw(['apps'])).stdout).toMatch(/slow-ctrlc-web-blue\s+stopped/);
    const clean = await sw(['bg-deploy', '-i', id, '-a', 'cleanup']);
    expect(clean.code).toBe(0);
    expect((await sw(['apps'])).stdout).not.toContain('slow-ctrlc-web-blue');
  }, 90_000);
});
