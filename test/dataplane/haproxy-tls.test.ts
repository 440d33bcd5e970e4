/**
 * TLS in the HAProxy export: servers of https services speak TLS (`ssl verify none`, or verified
 * against the system CAs with the in-process proxy's SNI when tls_verify is true), https health
 * checks carry their SNI and headers, the TLS listener becomes an `ssl crt` bind with the combined
 * PEM beside the config, and what HAProxy cannot express is a warning naming the service.
 * Checked with `haproxy -c` when HAProxy is installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { exportHaproxy, TLS_PEM, writeHaproxy } from '../../src/dataplane/haproxy/config.js';
import { makeSelfSigned } from '../../src/proxy/certs.js';
import { run } from '../helpers/cli.js';
import { findHaproxy } from './haproxy-helpers.js';

const HAPROXY = findHaproxy();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-hatls-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scene(): Store {
  const store = new Store();
  store.dispatch({
    op: 'batch',
    commands: [
      {
        op: 'upstream.create',
        fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }, { target: 'localhost:8443' }] },
      },
      {
        op: 'upstream.create',
        fields: {
          name: 'green',
          host_header: 'green.internal.test',
          targets: [{ target: '127.0.0.1:3002' }],
          healthchecks: {
            active: {
              type: 'https',
              http_path: '/health',
              https_sni: 'probe.internal.test',
              headers: { 'x-probe': ['yes'] },
              healthy: { interval: 2 },
              unhealthy: { interval: 1, tcp_failures: 2 },
            },
          },
        },
      },
      { op: 'service.create', fields: { name: 'plain', host: 'blue' } },
      { op: 'service.create', fields: { name: 'open', host: 'blue', protocol: 'https' } },
      {
        op: 'service.create',
        fields: { name: 'strict', host: 'green', protocol: 'https', tls_verify: true, tls_verify_depth: 2 },
      },
      { op: 'route.create', service: 'plain', fields: { hosts: ['plain.test'] } },
      { op: 'route.create', service: 'open', fields: { hosts: ['open.test'] } },
      { op: 'route.create', service: 'strict', fields: { hosts: ['strict.test'] } },
    ],
  });
  return store;
}

function serverLines(cfg: string, backend: string): string[] {
  const block = cfg.split(`\nbackend ${backend} `)[1]!.split('\nbackend ')[0]!;
  return block
    .split('\n')
    .filter((l) => l.trim().startsWith('server ') || l.includes('http-check') || l.includes('httpchk'));
}

describe('haproxy export with TLS', () => {
  it('sends ssl to the servers of https services only, verified with SNI when tls_verify is true', () => {
    const exp = exportHaproxy(scene().table, {
      bind: '127.0.0.1:18080',
      socket: path.join(tmp, 'x.sock'),
      spares: 0,
    });
    expect(serverLines(exp.config, 'be_plain').join('\n')).not.toContain('ssl');
    expect(serverLines(exp.config, 'be_open')).toEqual([
      '    server blue_127.0.0.1_3001 127.0.0.1:3001 weight 256 ssl verify none  # blue 127.0.0.1:3001',
      '    server blue_localhost_8443 localhost:8443 weight 256 ssl verify none sni str(localhost)  # blue localhost:8443',
    ]);
    expect(serverLines(exp.config, 'be_strict')).toEqual([
      '    option httpchk GET /health',
      '    http-check send hdr x-probe "yes"',
      '    server green_127.0.0.1_3002 127.0.0.1:3002 weight 256 ssl verify required ca-file @system-ca sni str(green.internal.test) check-sni probe.internal.test check inter 2000 fall 2 rise 1  # green 127.0.0.1:3002',
    ]);
    expect(exp.warnings).toEqual([
      'service strict: tls_verify_depth 2 is not expressed in HAProxy (it verifies chains of any length)',
    ]);
    expect(exp.config).not.toContain('ssl crt');
  });

  it('binds TLS with the combined PEM written beside the config (mode 600), and haproxy -c accepts it', async () => {
    const pair = await makeSelfSigned();
    const dir = path.join(tmp, 'out');
    const cfg = writeHaproxy(dir, scene().table, {
      bind: '127.0.0.1:18080',
      socket: path.join(dir, 'admin.sock'),
      tls: { bind: '127.0.0.1:18443', ...pair },
    });
    const pem = path.join(dir, TLS_PEM);
    const text = fs.readFileSync(cfg, 'utf8');
    expect(text).toContain(`    bind 127.0.0.1:18443 ssl crt ${pem}`);
    expect(text).toContain('http-request set-header X-Forwarded-Proto %[ssl_fc,iif(https,http)]');
    expect(fs.readFileSync(pem, 'utf8')).toBe(`${pair.cert.trim()}\n${pair.key.trim()}\n`);
    expect(fs.statSync(pem).mode & 0o777).toBe(0o600);
    if (!HAPROXY) return;
    const r = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('Configuration file is valid');
    expect(r.status).toBe(0);
  });

  it('config export --format haproxy --tls-bind uses the state directory’s self-signed certificate when given no files', async () => {
    const stateDir = path.join(tmp, 'state');
    fs.mkdirSync(stateDir, { recursive: true }); // a state directory that exists, not yet with a certificate
    const out = path.join(tmp, 'cli');
    const res = await run(
      [
        'config',
        'export',
        '--format',
        'haproxy',
        '--state-dir',
        stateDir,
        '-o',
        out,
        '--tls-bind',
        '127.0.0.1:18443',
        '--spares',
        '0',
      ],
      { timeoutMs: 30_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const cert = fs.readFileSync(path.join(stateDir, 'tls', 'localhost.crt'), 'utf8');
    expect(fs.readFileSync(path.join(out, TLS_PEM), 'utf8').startsWith(cert.trim())).toBe(true);
    expect(res.stdout).toContain(`certificate ${path.join(stateDir, 'tls', 'localhost.crt')}, SHA-256 `);
    expect(fs.readFileSync(path.join(out, 'haproxy.cfg'), 'utf8')).toContain(
      `bind 127.0.0.1:18443 ssl crt ${path.join(out, TLS_PEM)}`,
    );
  });
});
