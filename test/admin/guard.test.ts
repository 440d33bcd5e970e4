/** The admin API's guard alone: the token, DNS rebinding (Host), cross-site requests (Origin), open binds. */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { Guard, isLoopback, refuseOpenBind } from '../../src/admin/guard.js';

const request = (headers: http.IncomingHttpHeaders) => ({ headers }) as http.IncomingMessage;

describe('Guard', () => {
  it('without a token, answers loopback names and its own address only', () => {
    const g = new Guard(undefined, '127.0.0.1');
    for (const host of ['127.0.0.1:8001', 'localhost:8001', 'app.localhost', '[::1]:8001', undefined]) {
      expect(g.refusal(request({ host }))).toBeUndefined();
    }
    expect(g.refusal(request({ host: 'evil.example:8001' }))).toEqual({
      status: 403,
      body: { message: 'Forbidden: unexpected Host header' },
    });
    expect(new Guard(undefined, '10.1.2.3').refusal(request({ host: '10.1.2.3:8001' }))).toBeUndefined();
  });

  it('refuses an Origin other than the Host, except the opaque "null"', () => {
    const g = new Guard(undefined, '127.0.0.1');
    expect(g.refusal(request({ host: '127.0.0.1:8001', origin: 'http://127.0.0.1:8001' }))).toBeUndefined();
    expect(g.refusal(request({ host: '127.0.0.1:8001', origin: 'null' }))).toBeUndefined();
    expect(g.refusal(request({ host: '127.0.0.1:8001', origin: 'https://evil.example' }))).toEqual({
      status: 403,
      body: { message: 'Forbidden: cross-origin request' },
    });
  });

  it('with a token, wants it as a bearer or Kong-Admin-Token, and then takes any Host', () => {
    const g = new Guard('s3cret', '0.0.0.0');
    const unauthorized = { status: 401, body: { message: 'Unauthorized' } };
    expect(g.refusal(request({ host: 'switchyard.example' }))).toEqual(unauthorized);
    expect(g.refusal(request({ host: 'switchyard.example', authorization: 'Bearer wrong' }))).toEqual(
      unauthorized,
    );
    expect(
      g.refusal(request({ host: 'switchyard.example', authorization: 'Bearer s3cret' })),
    ).toBeUndefined();
    expect(g.refusal(request({ host: 'switchyard.example', 'kong-admin-token': 's3cret' }))).toBeUndefined();
  });

  it('refuses to bind beyond loopback without a token', () => {
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true);
    expect(() => refuseOpenBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => refuseOpenBind('0.0.0.0', 's3cret')).not.toThrow();
    expect(() => refuseOpenBind('0.0.0.0', undefined)).toThrow(
      /refusing to bind the admin API to 0\.0\.0\.0 without a token/,
    );
    expect(() => refuseOpenBind('0.0.0.0', '')).toThrow(/--admin-token/);
  });
});
