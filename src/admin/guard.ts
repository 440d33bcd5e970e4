/**
 * Who may drive the admin API: the token (when set), and without one only loopback, where a web
 * page the operator visits must still not reach it through DNS rebinding (a foreign Host) or a
 * cross-site form (a foreign Origin); and no bind beyond loopback without a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Reply } from './kong.js';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Throws when the admin API would listen beyond loopback with nothing to keep strangers out. */
export function refuseOpenBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new Error(
      `refusing to bind the admin API to ${host} without a token: pass --admin-token (or set SWITCHYARD_ADMIN_TOKEN), or keep it on 127.0.0.1`,
    );
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Hosts a loopback-only admin API answers to; anything else is a DNS-rebinding attempt. */
function isLocalHost(hostHeader: string | undefined, bound: string): boolean {
  if (hostHeader === undefined) return true;
  const host = hostHeader
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === bound
  );
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

export class Guard {
  private readonly tokenHash: Buffer | undefined;

  /** `bound`: the address the admin API listens on (a Host naming it is the operator's own). */
  constructor(
    token: string | undefined,
    private readonly bound: string,
  ) {
    this.tokenHash = token ? sha256(token) : undefined;
  }

  get hasToken(): boolean {
    return this.tokenHash !== undefined;
  }

  /** The refusal for `req`, or undefined when it may go on. */
  refusal(req: http.IncomingMessage): Reply | undefined {
    if (!this.authorized(req)) return { status: 401, body: { message: 'Unauthorized' } };
    if (this.tokenHash === undefined && !isLocalHost(req.headers.host, this.bound)) {
      return { status: 403, body: { message: 'Forbidden: unexpected Host header' } };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && safeHost(origin) !== req.headers.host?.toLowerCase()) {
      return { status: 403, body: { message: 'Forbidden: cross-origin request' } };
    }
    return undefined;
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (this.tokenHash === undefined) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const kong = req.headers['kong-admin-token'];
    const given = bearer ?? (typeof kong === 'string' ? kong : undefined);
    // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
    return given !== undefined && timingSafeEqual(sha256(given.trim()), this.tokenHash);
  }
}
