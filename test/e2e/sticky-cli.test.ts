/**
 * `switchyard split … --sticky …` against a real `switchyard serve`: the split becomes sticky
 * (each user keeps its upstream through the proxy), the sentence says how, a bad --sticky is
 * refused with the forms it takes and changes nothing, and `--sticky none` turns it off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { request, startBackend, type Backend } from '../helpers/net.js';

let sy: Running;
let dir: string;
let backends: Backend[] = [];

const sw = (args: string[]) => run([...args, '--admin', sy.adminUrl], { timeoutMs: 30_000 });

async function exported(): Promise<string> {
  const res = await fetch(`${sy.adminUrl}/config`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { config: string }).config;
}

async function landing(users: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const u of users)
    out.push((await request(sy.proxyPort, { host: 'shop.localhost', headers: { 'x-user': u } })).body);
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sticky-'));
  backends = await Promise.all(['blue', 'green'].map((n) => startBackend(n)));
  const config = path.join(dir, 'start.yaml');
  fs.writeFileSync(
    config,
    `services:\n  - name: shop\n    host: blue\n    routes: [{ name: shop, hosts: [shop.localhost] }]\n` +
      `upstreams:\n  - name: blue\n    targets: [{ target: ${backends[0]!.address} }]\n  - name: green\n    targets: [{ target: ${backends[1]!.address} }]\n`,
  );
  sy = await serve(['--state-dir', path.join(dir, 'state'), '--config', config]);
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  await Promise.all(backends.map((b) => b.close()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('split --sticky', () => {
  it('makes the split sticky, says so, refuses a bad form without a change, and --sticky none turns it off', async () => {
    let r = await sw(['split', 'shop', 'blue=50', 'green=50', '--sticky', 'header:x-user']);
    expect(r).toEqual({
      code: 0,
      stdout: 'service shop → blue 50% / green 50% (sticky: header x-user)\n',
      stderr: '',
    });
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const first = await landing(users);
    expect(new Set(first)).toEqual(new Set(['blue', 'green']));
    expect(await landing([...users].reverse())).toEqual([...first].reverse());

    const before = await exported();
    expect(before).toMatch(/hash_on: header\n\s+hash_on_header: x-user/);
    r = await sw(['split', 'shop', 'blue=50', 'green=50', '--sticky', 'cookie']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--sticky cookie: 'cookie' needs a name; use cookie:NAME, header:NAME, query:NAME, ip, path or none/,
    );
    expect(await exported()).toBe(before);

    r = await sw(['split', 'shop', 'blue=50', 'green=50', '--sticky', 'none']);
    expect(r).toEqual({ code: 0, stdout: 'service shop → blue 50% / green 50%\n', stderr: '' });
    expect(await exported()).not.toMatch(/hash_on/);
  }, 60_000);
});
