/** Addresses as Kong reads them (kong/tools/ip.lua): IPv6 targets, long labels, ports. */
import { describe, expect, it } from 'vitest';
import { readDeclarative } from '../../src/config/yaml.js';
import { canonicalIpv6, parseAddress, parseHostPort } from '../../src/core/schema.js';

let n = 0;
const ctx = { now: 1, newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };

describe('addresses', () => {
  it('a target: an IPv6 address bare or in brackets, its port 8000 by default', () => {
    expect(parseHostPort('::1')).toEqual({ host: '::1', port: 8000 });
    expect(parseHostPort('[::1]')).toEqual({ host: '::1', port: 8000 });
    expect(parseHostPort('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseHostPort('[0000:0000:0000:0000:0000:0000:0000:0001]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('2001:DB8:0:0:1:0:0:1')).toEqual({ host: '2001:db8::1:0:0:1', port: 8000 });
    expect(parseHostPort('001.002.003.004:123')).toEqual({ host: '1.2.3.4', port: 123 });
    expect(parseHostPort('example.com')).toEqual({ host: 'example.com', port: 8000 });
    for (const bad of [
      '::1:8080:zz',
      '[::1]x',
      '[::1]:70000',
      '1.2.3',
      '256.1.1.1',
      'a b',
      'host-:80',
      'a..b',
    ])
      expect(typeof parseHostPort(bad)).toBe('string');
  });

  it('IPv6 in its one canonical form', () => {
    expect(canonicalIpv6('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIpv6('fe80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(canonicalIpv6('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(canonicalIpv6('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(canonicalIpv6('1::2::3')).toBeUndefined();
    expect(canonicalIpv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });

  it("labels longer than 63 characters, as Kong accepts (an ingress controller's upstream names)", () => {
    const long = `${'a'.repeat(70)}.default.8080.svc`;
    expect(parseAddress(long)).toEqual({ kind: 'name', host: long, port: undefined });
    const s = readDeclarative(
      `upstreams:\n  - name: ${long}\n    targets: [{ target: "::1" }, { target: "[::1]:8081" }]\nservices:\n  - name: s\n    host: ${long}\n  - name: v6\n    url: http://[::1]:9000/x\n`,
      ctx,
    ).state;
    expect(s.upstreams[0]!.targets.map((t) => t.target)).toEqual(['[::1]:8000', '[::1]:8081']);
    expect(s.services[1]).toMatchObject({ host: '::1', port: 9000, path: '/x' });
  });

  it("a service's host takes no port; a route's host may have one, and one wildcard at either end", () => {
    const route = (h: string) =>
      `services:\n  - name: s\n    host: a.example\n    routes: [{ hosts: ["${h}"] }]\n`;
    for (const ok of ['*.example.com', 'example.*', 'example.com:8080', '10.0.0.1'])
      expect(() => readDeclarative(route(ok), ctx)).not.toThrow();
    expect(() => readDeclarative(route('*.*.com'), ctx)).toThrow(/at most one wildcard/);
    expect(() => readDeclarative('services:\n  - host: "a.example:80"\n', ctx)).toThrow(
      /services\[0\]\.host: must not have a port/,
    );
  });
});
