/**
 * Undo is the operator's: `switchyard undo` takes back the last change made from the UI, the CLI
 * or the admin API, never a step of the deployer, and refuses with the reason when a deployment
 * changed since. Through the public interface: `switchyard serve`, the CLI, real app processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
let sy: Running;
let dir: string;

function manifest(version: string): string {
  const file = path.join(dir, `shop-${version}.yaml`);
  fs.writeFileSync(
    file,
    `ID: shop\nversion: ${version}.0.0\nmodules:\n  - name: shop-web\n    command: VERSION=v${version} node ${HELLO}\n    parameters:\n      routes:\n        - route: shop.example.com\n`,
  );
  return file;
}

function sw(args: string[]) {
  return run([...args, '--admin', sy.adminUrl], { timeoutMs: 60_000 });
}

async function body(host: string): Promise<string> {
  const r = await request(sy.proxyPort, { host, timeoutMs: 10_000 });
  return r.status === 200 ? r.body.trim() : `${r.status}`;
}

async function deployment(id: string): Promise<{ state: string }> {
  const res = await fetch(`${sy.adminUrl}/deployments/${id}`);
  return (await res.json()) as { state: string };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-undo-'));
  sy = await serve(['--state-dir', path.join(dir, 'state')]);
}, 30_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

it('never undoes the deployer: after a deploy reaches pending, undo refuses with the reason and resume still works', async () => {
  expect((await sw(['bg-deploy', manifest('1')])).code).toBe(0);
  // The operator's own change, before the next deploy.
  const spare = await fetch(`${sy.adminUrl}/upstreams`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'spare' }),
  });
  expect(spare.status).toBe(201);

  const deploy = await sw(['bg-deploy', manifest('2')]);
  const id = /bg-deploy -i (\d+) -a resume/.exec(deploy.stdout)?.[1];
  expect(id, deploy.stdout).toBeDefined();
  expect((await deployment(id!)).state).toBe('pending');
  const before = await (await fetch(`${sy.adminUrl}/config?format=json`)).text();

  const undo = await sw(['undo']);
  expect(undo.code).toBe(1);
  expect(undo.stderr).toMatch(new RegExp(`cannot undo "upstream spare created": deployment shop 2\\.0\\.0 \\(${id}\\) started since`));
  // Nothing moved: the deployment is still pending, the state is as it was.
  expect((await deployment(id!)).state).toBe('pending');
  expect(await (await fetch(`${sy.adminUrl}/config?format=json`)).text()).toBe(before);

  const resume = await sw(['bg-deploy', '-i', id!, '-a', 'resume']);
  expect(resume.code, resume.stderr).toBe(0);
  expect(await body('shop.example.com')).toMatch(/^shop-web-green v2 /);
}, 90_000);
