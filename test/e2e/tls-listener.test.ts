/**
 * The proxy's own TLS listener, through the real CLI: `serve --proxy-tls-port 0` makes a
 * self-signed certificate for localhost once into the state directory and shows it on later
 * starts; an HTTPS request trusting it reaches the backend through the same routing table, which
 * sees X-Forwarded-Proto https; bad certificate files stop the start before anything binds.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../../src/proxy/certs.js';
import { run, serve, type Running } from '../helpers/cli.js';
import { request, startBackend } from '../helpers/net.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-tls-'));

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What `serve` says of its TLS listener: port, certificate file, SHA-256 fingerprint. */
function tlsOf(r: Running): { port: number; certFile: string; fingerprint: string } {
  const m =
    /proxy over TLS https:\/\/127\.0\.0\.1:(\d+) with certificate (\S+) \(SHA-256 ([0-9A-F:]+)\)/.exec(
      r.stderr(),
    );
  if (!m) throw new Error(`no TLS listener named in:\n${r.stderr()}`);
  return { port: Number(m[1]), certFile: m[2]!, fingerprint: m[3]! };
}

function getHttps(port: number, ca: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/hello',
        ca,
        servername: host,
        headers: { host },
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('serve --proxy-tls-port', () => {
  const stateDir = path.join(tmp, 'state');

  it('makes a certificate for localhost once, and serves HTTPS with the same table as HTTP', async () => {
    const backend = await startBackend('blue');
    const r = await serve(['--state-dir', stateDir, '--proxy-tls-port', '0']);
    try {
      const tls = tlsOf(r);
      expect(tls.certFile).toBe(path.join(stateDir, 'tls', 'localhost.crt'));
      expect(r.stderr()).toContain(`made a self-signed certificate for localhost: ${tls.certFile}`);
      expect(fs.statSync(path.join(stateDir, 'tls', 'localhost.key')).mode & 0o777).toBe(0o600);
      const admin = (p: string, body: unknown) =>
        fetch(`${r.adminUrl}${p}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (res) => {
          expect(res.status, await res.clone().text()).toBe(201);
        });
      await admin('/services', { name: 'demo', url: `http://${backend.address}` });
      await admin('/services/demo/routes', { hosts: ['demo.localhost'] });

      const ca = fs.readFileSync(tls.certFile, 'utf8');
      expect(await getHttps(tls.port, ca, 'demo.localhost')).toEqual({ status: 200, body: 'blue' });
      expect(backend.headers[0]!['x-forwarded-proto']).toBe('https');
      // The same route over plain HTTP: one table, both listeners, one set of counters.
      expect(await request(r.proxyPort, { host: 'demo.localhost' })).toMatchObject({
        status: 200,
        body: 'blue',
      });
      expect(backend.headers[1]!['x-forwarded-proto']).toBe('http');
      const stats = (await (await fetch(`${r.adminUrl}/stats`)).json()) as { total: { requests: number } };
      expect(stats.total.requests).toBe(2);
    } finally {
      expect(await r.stop()).toBe(0);
      await backend.close();
    }
  });

  it('shows the same certificate on the next start (same fingerprint, nothing made)', async () => {
    const first = fs.readFileSync(path.join(stateDir, 'tls', 'localhost.crt'), 'utf8');
    const r = await serve(['--state-dir', stateDir, '--proxy-tls-port', '0']);
    try {
      expect(r.stderr()).not.toContain('made a self-signed certificate');
      const { X509Certificate } = await import('node:crypto');
      expect(tlsOf(r).fingerprint).toBe(new X509Certificate(first).fingerprint256);
    } finally {
      expect(await r.stop()).toBe(0);
    }
  });
});

describe('bad certificate files', () => {
  async function refusedWith(args: string[]): Promise<string> {
    const res = await run([
      'serve',
      '--proxy-port',
      '0',
      '--admin-port',
      '0',
      '--state-dir',
      path.join(tmp, 'bad-state'),
      '--proxy-tls-port',
      '0',
      ...args,
    ]);
    expect(res.code).toBe(1);
    // Nothing bound: the start stopped before the serving line.
    expect(res.stderr).not.toContain('serving');
    return res.stderr;
  }

  it('names a missing file, a file that is not PEM, and a key that is not the certificate’s', async () => {
    const a = await makeSelfSigned();
    const b = await makeSelfSigned();
    const certA = path.join(tmp, 'a.crt');
    const keyA = path.join(tmp, 'a.key');
    const keyB = path.join(tmp, 'b.key');
    const junk = path.join(tmp, 'junk.crt');
    fs.writeFileSync(certA, a.cert);
    fs.writeFileSync(keyA, a.key);
    fs.writeFileSync(keyB, b.key);
    fs.writeFileSync(junk, 'not a certificate\n');
    const missing = path.join(tmp, 'missing.crt');
    expect(await refusedWith(['--tls-cert', missing, '--tls-key', keyA])).toContain(
      `switchyard: cannot read the TLS certificate ${missing}: ENOENT`,
    );
    expect(await refusedWith(['--tls-cert', junk, '--tls-key', keyA])).toContain(
      `the TLS certificate ${junk} is not a PEM certificate`,
    );
    expect(await refusedWith(['--tls-cert', certA, '--tls-key', certA])).toContain(
      `the TLS key ${certA} is not a PEM private key`,
    );
    expect(await refusedWith(['--tls-cert', certA, '--tls-key', keyB])).toContain(
      `the TLS key ${keyB} does not match the certificate ${certA}`,
    );
    expect(await refusedWith(['--tls-cert', certA])).toContain('--tls-cert and --tls-key go together');
  });
});
