/**
 * HTTPS upstreams: a service with protocol https reaches its targets over TLS, verifies them only
 * when `tls_verify` says so (Kong's default: not verified), sends the SNI Kong would (the Host it
 * sends upstream), answers a failed handshake with 502 naming the certificate problem, and counts
 * it as a TCP failure for passive health. Active checks of type https send `https_sni` and
 * `headers`. Real HTTPS servers with a certificate made at test time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';
import { request, startBackend, type Backend } from '../helpers/net.js';
import { startTlsBackend, testCert, type TlsBackend } from '../helpers/tls.js';
import { waitUntil } from '../helpers/wait.js';

let store: Store;
let stats: Stats;
let proxy: ProxyServer;
let port: number;
/** The same engine, trusting the test's certificate as an extra CA (switchyard's --upstream-ca). */
let trusting: ProxyServer;
let trustingStore: Store;
let trustingPort: number;
let opened: (TlsBackend | Backend)[] = [];

beforeAll(async () => {
  store = new Store();
  stats = new Stats();
  proxy = new ProxyServer({ store, stats, host: '127.0.0.1', port: 0 });
  port = (await proxy.listen()).port;
  trustingStore = new Store();
  trusting = new ProxyServer({
    store: trustingStore,
    stats: new Stats(),
    host: '127.0.0.1',
    port: 0,
    upstreamCa: (await testCert()).cert,
  });
  trustingPort = (await trusting.listen()).port;
});

afterEach(async () => {
  await Promise.all(opened.map((b) => b.close()));
  opened = [];
  for (const s of [store, trustingStore])
    s.dispatch({ op: 'state.replace', state: { upstreams: [], services: [], routes: [] } });
});

afterAll(async () => {
  await proxy.close(100);
  await trusting.close(100);
});

async function tlsBackend(
  name: string,
  opts: Parameters<typeof startTlsBackend>[1] = {},
): Promise<TlsBackend> {
  const b = await startTlsBackend(name, opts);
  opened.push(b);
  return b;
}

/** A service with `fields` and a route `web.localhost` to it. */
function serviceAt(
  fields: Record<string, unknown>,
  on: Store = store,
  route: Record<string, unknown> = {},
): void {
  on.dispatch({
    op: 'batch',
    commands: [
      { op: 'service.create', fields: { name: 'web', ...fields } },
      { op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'], ...route } },
    ],
  });
}

describe('https upstreams', () => {
  it('proxies to url https://127.0.0.1:PORT without verifying by default (Kong: proxy_ssl_verify off)', async () => {
    const b = await tlsBackend('secure');
    serviceAt({ url: `https://127.0.0.1:${b.port}/base` });
    expect(store.state.services[0]).toMatchObject({
      protocol: 'https',
      host: '127.0.0.1',
      port: b.port,
      path: '/base',
      tls_verify: null,
    });
    const r = await request(port, { host: 'web.localhost', path: '/x' });
    expect(r).toMatchObject({ status: 200, body: 'secure' });
    // An IP address carries no SNI; the Host is the target's, with its port.
    expect(b.seen).toEqual([expect.objectContaining({ servername: false, path: '/base/x' })]);
    expect(b.seen[0]!.headers.host).toBe(`127.0.0.1:${b.port}`);
  });

  it('answers 502 naming the certificate problem when tls_verify is true and the certificate is not trusted', async () => {
    const b = await tlsBackend('secure');
    serviceAt({ url: `https://127.0.0.1:${b.port}`, tls_verify: true });
    const r = await request(port, { host: 'web.localhost' });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toEqual({
      message: `certificate verify failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT) for upstream target 127.0.0.1:${b.port}`,
    });
    expect(b.seen).toEqual([]);
  });

  it('verifies against a CA it was given, by the SNI Kong sends: the service host', async () => {
    const b = await tlsBackend('secure');
    serviceAt({ url: `https://localhost:${b.port}`, tls_verify: true, tls_verify_depth: 1 }, trustingStore);
    const r = await request(trustingPort, { host: 'web.localhost' });
    expect(r).toMatchObject({ status: 200, body: 'secure' });
    expect(b.seen[0]).toMatchObject({ servername: 'localhost', headers: { host: `localhost:${b.port}` } });
  });

  it("names a hostname mismatch: the upstream's host_header is the Host and the SNI, and the certificate is not for it", async () => {
    const b = await tlsBackend('secure');
    trustingStore.dispatch({
      op: 'batch',
      commands: [
        {
          op: 'upstream.create',
          fields: { name: 'pool', host_header: 'api.example.test', targets: [{ target: b.address }] },
        },
        {
          op: 'upstream.create',
          fields: { name: 'good', host_header: 'localhost', targets: [{ target: b.address }] },
        },
        { op: 'service.create', fields: { name: 'web', host: 'pool', protocol: 'https', tls_verify: true } },
        { op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } },
      ],
    });
    const r = await request(trustingPort, { host: 'web.localhost' });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).message).toBe(
      `certificate verify failed: Hostname/IP does not match certificate's altnames: Host: api.example.test. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID) for upstream target ${b.address}`,
    );
    // Switched to the upstream whose host_header the certificate is for: verified, SNI and Host follow.
    trustingStore.dispatch({ op: 'service.update', service: 'web', fields: { host: 'good' } });
    expect(await request(trustingPort, { host: 'web.localhost' })).toMatchObject({
      status: 200,
      body: 'secure',
    });
    expect(b.seen.at(-1)).toMatchObject({
      servername: 'localhost',
      headers: { host: `localhost:${b.port}` },
    });
  });

  it("with preserve_host, the SNI is the client's Host (Kong: proxy_ssl_name $upstream_host)", async () => {
    const b = await tlsBackend('secure');
    serviceAt({ url: `https://127.0.0.1:${b.port}` }, store, { preserve_host: true });
    expect(await request(port, { host: 'web.localhost:8000' })).toMatchObject({ status: 200 });
    expect(b.seen[0]).toMatchObject({ servername: 'web.localhost', headers: { host: 'web.localhost:8000' } });
  });

  it('reaches the targets of an upstream over TLS when the service says https (the service decides the scheme)', async () => {
    const [one, two] = [await tlsBackend('one'), await tlsBackend('two')];
    store.dispatch({
      op: 'batch',
      commands: [
        {
          op: 'upstream.create',
          fields: { name: 'pool', targets: [{ target: one.address }, { target: two.address }] },
        },
        { op: 'service.create', fields: { name: 'web', host: 'pool', protocol: 'https' } },
        { op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } },
      ],
    });
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await request(port, { host: 'web.localhost' })).body);
    expect(bodies.sort()).toEqual(['one', 'one', 'two', 'two']);
  });

  it('names a failed handshake with a target that does not speak TLS', async () => {
    const plain = await startBackend('plain');
    opened.push(plain);
    serviceAt({ url: `https://127.0.0.1:${plain.port}` });
    const r = await request(port, { host: 'web.localhost' });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).message).toMatch(
      new RegExp(
        `^TLS handshake failed: .*wrong version number.* for upstream target 127\\.0\\.0\\.1:${plain.port}$`,
      ),
    );
  });

  it('counts a failed verification as a TCP failure for passive health, as Kong does', async () => {
    const b = await tlsBackend('secure');
    store.dispatch({
      op: 'batch',
      commands: [
        {
          op: 'upstream.create',
          fields: {
            name: 'pool',
            targets: [{ target: b.address }],
            healthchecks: { passive: { unhealthy: { tcp_failures: 2 } } },
          },
        },
        {
          op: 'service.create',
          fields: { name: 'web', host: 'pool', protocol: 'https', tls_verify: true, retries: 0 },
        },
        { op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } },
      ],
    });
    expect((await request(port, { host: 'web.localhost' })).status).toBe(502);
    expect(store.table.upstreams[0]!.targets[0]!.health).toMatchObject({ healthy: true, tcpFailures: 1 });
    expect((await request(port, { host: 'web.localhost' })).status).toBe(502);
    expect(store.table.upstreams[0]!.targets[0]!.health.healthy).toBe(false);
    expect((await request(port, { host: 'web.localhost' })).status).toBe(503);
  });

  it('refuses a certificate chain longer than tls_verify_depth allows (OpenSSL: levels 0 to depth + 1)', async () => {
    // leaf (level 0) ← intermediate (1) ← root (2, the trust anchor): depth 1 allows it, depth 0 does not.
    const root = await issue('test root', null, true);
    const mid = await issue('test intermediate', root, true);
    const leaf = await issue('localhost', mid, false);
    const b = await tlsBackend('secure', {
      cert: { cert: `${leaf.cert.trim()}\n${mid.cert.trim()}\n`, key: leaf.key },
    });
    const own = new Store();
    const strict = new ProxyServer({
      store: own,
      stats: new Stats(),
      host: '127.0.0.1',
      port: 0,
      upstreamCa: root.cert,
    });
    const p = (await strict.listen()).port;
    try {
      serviceAt({ url: `https://localhost:${b.port}`, tls_verify: true, tls_verify_depth: 1 }, own);
      expect(await request(p, { host: 'web.localhost' })).toMatchObject({ status: 200, body: 'secure' });
      own.dispatch({ op: 'service.update', service: 'web', fields: { tls_verify_depth: 0 } });
      const r = await request(p, { host: 'web.localhost' });
      expect(r.status).toBe(502);
      expect(JSON.parse(r.body).message).toBe(
        `certificate verify failed: certificate chain too long: 3 certificates, tls_verify_depth 0 allows 2 (CERT_CHAIN_TOO_LONG) for upstream target localhost:${b.port}`,
      );
    } finally {
      await strict.close(100);
    }
  });
});

/** A certificate for `cn`, signed by `by` (self-signed when null); a CA when `ca`. */
async function issue(
  cn: string,
  by: { cert: string; key: string } | null,
  ca: boolean,
): Promise<{ cert: string; key: string }> {
  const { generate } = await import('selfsigned');
  const r = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...(by ? { ca: by } : {}),
    extensions: ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
  });
  return { cert: r.cert, key: r.private };
}

describe('active health checks over https', () => {
  it('probes with https_sni and the configured headers, without verifying when https_verify_certificate is false', async () => {
    const b = await tlsBackend('secure');
    store.dispatch({
      op: 'upstream.create',
      fields: {
        name: 'pool',
        targets: [{ target: b.address }],
        healthchecks: {
          active: {
            type: 'https',
            http_path: '/health',
            https_sni: 'probe.example.test',
            https_verify_certificate: false,
            headers: { 'x-probe': ['yes', 'twice'] },
            healthy: { interval: 0.1, successes: 1 },
          },
        },
      },
    });
    const probe = await waitUntil('a probe to arrive', () => b.seen.find((s) => s.path === '/health'), {
      seen: () => JSON.stringify(b.seen),
    });
    expect(probe.servername).toBe('probe.example.test');
    expect(probe.headers['x-probe']).toBe('yes, twice');
    expect(probe.headers.host).toBe(b.address);
  });

  it('marks a target down when https_verify_certificate (Kong default: true) rejects its certificate', async () => {
    const b = await tlsBackend('secure');
    store.dispatch({
      op: 'upstream.create',
      fields: {
        name: 'pool',
        targets: [{ target: b.address }],
        healthchecks: {
          active: {
            type: 'https',
            healthy: { interval: 0.1 },
            unhealthy: { interval: 0.1, tcp_failures: 1 },
          },
        },
      },
    });
    expect(store.state.upstreams[0]!.healthchecks.active.https_verify_certificate).toBe(true);
    await waitUntil(
      'the target to be marked down',
      () => !store.table.upstreams[0]!.targets[0]!.health.healthy,
    );
    expect(b.seen).toEqual([]);
  });
});
