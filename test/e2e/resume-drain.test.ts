/**
 * Resume retires the old version without failing a request, on either data plane, even when the
 * old app dies at once on SIGTERM (it leaves draining to the platform) and answers slowly, so
 * requests are always in flight on it: each old instance is stopped only once the data plane
 * stopped sending to it and its requests finished. Through the public interface: `switchyard
 * serve` (in-process, and steering a real HAProxy), the CLI's bg-deploy, real HTTP under load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHaproxy, freePort, startHaproxy } from '../dataplane/haproxy-helpers.js';
import { run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const HAPROXY = findHaproxy();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-resume-drain-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

function manifest(version: string): string {
  const file = path.join(dir, `shop-${version}-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(
    file,
    `ID: shop\nversion: ${version}.0.0\nmodules:\n  - name: shop-web\n    command: HANDLE_SIGTERM=no DELAY_MS=150 VERSION=v${version} node ${HELLO}\n    instances: 2\n    routes: [shop.example.com]\n`,
  );
  return file;
}

/** bg-deploy v1, v2 (pending), then resume while 6 clients keep requesting through `port`. */
async function resumeUnderLoad(sy: Running, port: number) {
  const sw = (args: string[]) => run([...args, '--admin', sy.adminUrl], { timeoutMs: 90_000 });
  expect((await sw(['bg-deploy', manifest('1')])).code).toBe(0);
  const deploy = await sw(['bg-deploy', manifest('2')]);
  const id = /bg-deploy -i (\d+) -a resume/.exec(deploy.stdout)?.[1];
  expect(id, deploy.stdout + deploy.stderr).toBeDefined();

  let stop = false;
  const seen = { v1: 0, v2: 0, failed: [] as string[] };
  const clients = Array.from({ length: 6 }, async () => {
    while (!stop) {
      try {
        const r = await request(port, { host: 'shop.example.com', timeoutMs: 20_000 });
        const v = / (v[12]) /.exec(r.body)?.[1];
        if (r.status === 200 && (v === 'v1' || v === 'v2')) seen[v]++;
        else seen.failed.push(`${r.status} ${r.body.slice(0, 80)}`);
      } catch (e) {
        seen.failed.push((e as Error).message);
      }
    }
  });
  // The old version is busy when resume starts: every client has had answers from it.
  const deadline = Date.now() + 30_000;
  while (seen.v1 < 12) {
    if (Date.now() > deadline) throw new Error(`the load never got going: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const resume = await sw(['bg-deploy', '-i', id!, '-a', 'resume']);
  expect(resume.code, resume.stderr).toBe(0);
  // Until the new version has answered a few more times after the resume returned.
  const v2 = seen.v2;
  while (seen.v2 < v2 + 12) {
    if (Date.now() > deadline + 60_000) throw new Error(`no answers from v2 after resume: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  stop = true;
  await Promise.all(clients);
  return seen;
}

describe('resume drains the old version', () => {
  it('in-process: not one failed request', async () => {
    const sy = await serve(['--state-dir', path.join(dir, 'in-process')]);
    cleanup.push(() => sy.stop('SIGTERM'));
    const seen = await resumeUnderLoad(sy, sy.proxyPort);
    expect(seen.failed).toEqual([]);
    expect(seen.v1).toBeGreaterThan(0);
  }, 180_000);

  it.skipIf(!HAPROXY)('through HAProxy: not one failed request', async () => {
    const stateDir = path.join(dir, 'haproxy-state');
    fs.mkdirSync(stateDir);
    const port = await freePort();
    const socket = path.join(dir, 'resume.sock');
    const out = path.join(dir, 'haproxy-resume');
    const exp = await run(['config', 'export', '--format', 'haproxy', '--state-dir', stateDir, '-o', out, '--bind', `127.0.0.1:${port}`, '--socket', socket]);
    expect(exp.code, exp.stderr).toBe(0);
    const hap = await startHaproxy(HAPROXY!, path.join(out, 'haproxy.cfg'), socket, port);
    cleanup.push(() => hap.kill());
    const sy = await serve(['--state-dir', stateDir, '--data-plane', 'haproxy', '--haproxy', socket]);
    cleanup.push(() => sy.stop('SIGTERM'));
    const seen = await resumeUnderLoad(sy, port);
    expect(seen.failed).toEqual([]);
    expect(seen.v1).toBeGreaterThan(0);
  }, 180_000);
});
