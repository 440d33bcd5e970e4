/** The proxy reaches an IPv6 target (`::1`, `[::1]:port`) loaded from a declarative file. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine.js';
import { request } from '../helpers/net.js';

let server: http.Server | undefined;
let engine: Engine | undefined;
/** Why the machine cannot run this (no IPv6 loopback), or undefined. */
let noIpv6: string | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => res.end(`v6 ${req.url}`));
  try {
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '::1', () => resolve());
    });
  } catch (e) {
    noIpv6 = `no IPv6 loopback here (${(e as NodeJS.ErrnoException).code})`;
    server = undefined;
    return;
  }
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
}, 20_000);

afterAll(async () => {
  await engine?.stop(0);
  if (server) await new Promise<void>((r) => server!.close(() => r()));
});

describe('IPv6 targets', () => {
  it('a bare ::1 target with its port, and a service url in brackets, both answer through the proxy', async (t) => {
    if (noIpv6) return t.skip(noIpv6);
    const port = (server!.address() as AddressInfo).port;
    const yaml = `
_format_version: "3.0"
upstreams:
  - name: v6
    targets: [{ target: "[::1]:${port}" }]
services:
  - name: by-upstream
    host: v6
    routes: [{ name: a, hosts: [a.test] }]
  - name: by-url
    url: http://[::1]:${port}/base
    routes: [{ name: b, hosts: [b.test] }]
`;
    const res = await fetch(`${engine!.adminUrl}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(201);
    expect(engine!.store.state.upstreams[0]!.targets[0]!.target).toBe(`[::1]:${port}`);
    expect(await request(engine!.proxyAddress.port, { host: 'a.test', path: '/x' })).toMatchObject({
      status: 200,
      body: 'v6 /x',
    });
    expect(await request(engine!.proxyAddress.port, { host: 'b.test', path: '/y' })).toMatchObject({
      status: 200,
      body: 'v6 /base/y',
    });
  });
});
