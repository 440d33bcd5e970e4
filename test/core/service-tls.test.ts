/**
 * A service's TLS fields and an upstream's https health checks, as Kong's schemas define them
 * (kong/db/schema/entities/services.lua, upstreams.lua): what loads, what is refused (naming the
 * field), and that a refusal leaves the state as it was.
 */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';
import { loadDeclarative } from '../../src/config/yaml.js';

function refused(store: Store, cmd: Parameters<Store['dispatch']>[0]): Record<string, string> {
  const before = store.state;
  try {
    store.dispatch(cmd);
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    expect(store.state).toBe(before);
    return (e as SwitchyardError).fields as Record<string, string>;
  }
  throw new Error('the command was not refused');
}

describe('service protocol and url', () => {
  it('takes url https://host apart with port 443, and https://host:port/path', () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 'a', url: 'https://api.example.test' } });
    store.dispatch({ op: 'service.create', fields: { name: 'b', url: 'https://api.example.test:8443/v1' } });
    store.dispatch({ op: 'service.create', fields: { name: 'c', url: 'http://api.example.test' } });
    expect(store.state.services.map((s) => [s.protocol, s.host, s.port, s.path])).toEqual([
      ['https', 'api.example.test', 443, null],
      ['https', 'api.example.test', 8443, '/v1'],
      ['http', 'api.example.test', 80, null],
    ]);
  });

  it("refuses Kong's other protocols naming the protocol, by field and by url, and leaves the state alone", () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'example.test' } });
    expect(
      refused(store, { op: 'service.create', fields: { name: 'g', host: 'example.test', protocol: 'grpc' } }),
    ).toEqual({
      protocol: "protocol 'grpc' is not supported: switchyard proxies http and https (and ws, wss as them)",
    });
    expect(refused(store, { op: 'service.update', service: 'web', fields: { protocol: 'tcp' } })).toEqual({
      protocol: "protocol 'tcp' is not supported: switchyard proxies http and https (and ws, wss as them)",
    });
    expect(refused(store, { op: 'service.create', fields: { url: 'udp://example.test/socket' } })).toEqual({
      url: "protocol 'udp' is not supported: switchyard proxies http and https (and ws, wss as them)",
    });
    expect(
      refused(store, { op: 'service.create', fields: { host: 'example.test', protocol: 'gopher' } }),
    ).toEqual({ protocol: "expected one of: http, https, ws, wss (got 'gopher')" });
  });

  it("takes Kong's WebSocket services, ws and wss, as http and https (wss:// on 443, with TLS fields)", () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 'rt', url: 'wss://example.test/socket', tls_verify: true } });
    store.dispatch({ op: 'service.create', fields: { name: 'plain', url: 'ws://example.test:4000/socket' } });
    expect(store.state.services.map((s) => [s.protocol, s.port, s.tls_verify])).toEqual([
      ['wss', 443, true],
      ['ws', 4000, null],
    ]);
  });
});

describe('tls_verify, tls_verify_depth, ca_certificates, client_certificate', () => {
  it('keeps tls_verify and tls_verify_depth on an https service (null by default: not verified, as Kong)', () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 'a', url: 'https://example.test' } });
    expect(store.state.services[0]).toMatchObject({ tls_verify: null, tls_verify_depth: null });
    store.dispatch({
      op: 'service.update',
      service: 'a',
      fields: { tls_verify: 'true', tls_verify_depth: '3' },
    });
    expect(store.state.services[0]).toMatchObject({ tls_verify: true, tls_verify_depth: 3 });
  });

  it('refuses a tls_verify that is not a boolean, a depth out of range, and TLS fields on an http service', () => {
    const store = new Store();
    store.dispatch({ op: 'service.create', fields: { name: 'a', url: 'https://example.test' } });
    expect(refused(store, { op: 'service.update', service: 'a', fields: { tls_verify: 'x' } })).toEqual({
      tls_verify: 'expected a boolean',
    });
    expect(refused(store, { op: 'service.update', service: 'a', fields: { tls_verify_depth: 65 } })).toEqual({
      tls_verify_depth: 'value should be between 0 and 64',
    });
    expect(
      refused(store, { op: 'service.create', fields: { name: 'b', host: 'example.test', tls_verify: true } }),
    ).toEqual({
      tls_verify: "must be null unless protocol is 'https' (protocol is 'http')",
    });
    store.dispatch({ op: 'service.update', service: 'a', fields: { tls_verify: true } });
    // Kong's entity check holds on the result of a PATCH: back to http with verification set is refused.
    expect(refused(store, { op: 'service.update', service: 'a', fields: { protocol: 'http' } })).toEqual({
      tls_verify: "must be null unless protocol is 'https' (protocol is 'http')",
    });
  });

  it("refuses ca_certificates and client_certificate, saying switchyard has no Kong certificate entities; Kong's empty values load", () => {
    const store = new Store();
    const fields = refused(store, {
      op: 'service.create',
      fields: { url: 'https://example.test', ca_certificates: ['4e3ad2e4-0bc4-4638-8e34-c84a417ba39b'] },
    });
    expect(Object.keys(fields)).toEqual(['ca_certificates']);
    expect(fields.ca_certificates).toMatch(/no Kong certificate entities/);
    expect(
      refused(store, {
        op: 'service.create',
        fields: {
          url: 'https://example.test',
          client_certificate: { id: '4e3ad2e4-0bc4-4638-8e34-c84a417ba39b' },
        },
      }).client_certificate,
    ).toMatch(/no Kong certificate entities/);
    store.dispatch({
      op: 'service.create',
      fields: {
        name: 'ok',
        url: 'https://example.test',
        ca_certificates: null,
        client_certificate: null,
        tls_verify: null,
      },
    });
    expect(store.state.services).toHaveLength(1);
  });
});

describe('upstream healthchecks over https', () => {
  it('loads the healthchecks block Kong writes by default (deck dump), with https_verify_certificate true', () => {
    const state = loadDeclarative(
      `
_format_version: "3.0"
upstreams:
  - name: pool
    healthchecks:
      active:
        concurrency: 10
        headers: null
        healthy: { http_statuses: [200, 302], interval: 0, successes: 0 }
        http_path: /
        https_sni: null
        https_verify_certificate: true
        timeout: 1
        type: http
        unhealthy: { http_failures: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505], interval: 0, tcp_failures: 0, timeouts: 0 }
      passive:
        healthy: { http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308], successes: 0 }
        type: http
        unhealthy: { http_failures: 0, http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0 }
      threshold: 0
`,
      { now: 0, newId: () => '00000000-0000-4000-8000-000000000001' },
    );
    expect(state.upstreams[0]!.healthchecks.active).toMatchObject({
      type: 'http',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
    });
  });

  it('takes type https with https_sni and headers, and refuses grpc, an IP or a port as SNI, and a bad header', () => {
    const store = new Store();
    store.dispatch({
      op: 'upstream.create',
      fields: {
        name: 'pool',
        healthchecks: {
          active: {
            type: 'https',
            https_sni: 'check.example.test',
            headers: { 'X-Probe': ['a', 'b'], 'x-one': 'c' },
          },
        },
      },
    });
    expect(store.state.upstreams[0]!.healthchecks.active).toMatchObject({
      type: 'https',
      https_sni: 'check.example.test',
      headers: { 'X-Probe': ['a', 'b'], 'x-one': ['c'] },
    });
    const hc = (active: Record<string, unknown>) =>
      refused(store, { op: 'upstream.update', upstream: 'pool', fields: { healthchecks: { active } } });
    expect(hc({ type: 'grpcs' })).toEqual({
      'healthchecks.active.type':
        "type 'grpcs' is not supported: switchyard checks targets over http, https or tcp",
    });
    expect(hc({ https_sni: '10.0.0.1' })).toEqual({ 'healthchecks.active.https_sni': 'must not be an IP' });
    expect(hc({ https_sni: 'example.test:443' })).toEqual({
      'healthchecks.active.https_sni': 'must not have a port',
    });
    expect(hc({ headers: { 'bad header': ['x'] } })).toEqual({
      'healthchecks.active.headers.bad header': "invalid header name 'bad header'",
    });
    expect(hc({ https_verify_certificate: 'maybe' })).toEqual({
      'healthchecks.active.https_verify_certificate': 'expected a boolean',
    });
  });
});
