/**
 * What a failed attempt at a target becomes: passive health counts it, a connection that never
 * carried the request is retried on another target (Kong's `retries`), and otherwise the client
 * gets a 502 or 504 (a certificate problem named). A timeout ends a request with a reset, told
 * apart by the clock: a read timeout is final (the target may have acted on the request), a
 * connect timeout is retried.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { overTls } from '../core/schema.js';
import {
  attemptEnded,
  attemptStarted,
  pickTarget,
  pickUpstream,
  type TargetEntry,
  type UpstreamEntry,
} from '../core/table.js';
import { BAD_GATEWAY, TIMEOUT, sendJson } from './answers.js';
import { FLIGHT, counterOf, type Req } from './flight.js';
import { markDown, passiveOn, record } from './health.js';
import { proxyOf } from './slots.js';
import type { Counter } from './stats.js';
import { tlsFailure } from './tls-failure.js';

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

/** What a failure needs to know of the proxy. */
export interface Proxying {
  readonly closing: boolean;
  /** Whether the target is still in the live table (a target marked down is probed only while it is). */
  inTable(key: string): boolean;
}

export function onProxyError(
  p: Proxying,
  err: NodeJS.ErrnoException,
  req: Req,
  res: http.ServerResponse | Socket,
): void {
  const f = req[FLIGHT];
  if (!(res instanceof http.ServerResponse)) {
    // A WebSocket: nothing to answer with but closing the socket.
    if (f) counterOf(f.target).errors++;
    res.destroy();
    return;
  }
  if (!f) {
    if (!res.headersSent) sendJson(res, 502, BAD_GATEWAY);
    return;
  }
  const tc = counterOf(f.target);
  tc.errors++;
  const code = err.code ?? '';
  // A failed handshake is a failed connection (Kong reports it to passive health as a TCP
  // failure, and retries it like one), answered with the certificate problem named.
  const tlsProblem = overTls(f.service.service.protocol) ? tlsFailure(err) : null;
  const elapsed = performance.now() - f.attemptAt;
  const s = f.service.service;
  const readTimeout =
    code === 'ETIMEDOUT' ||
    code === 'ESOCKETTIMEDOUT' ||
    elapsed >= s.read_timeout ||
    (f.writing && code === 'ECONNRESET' && elapsed >= s.write_timeout);
  const connectTimeout = !readTimeout && code === 'ECONNRESET' && elapsed >= s.connect_timeout;
  const timedOut = readTimeout || connectTimeout;
  const refused = CONNECT_ERRORS.has(code) && code !== 'ECONNRESET';
  const hc = f.upstream.healthchecks;
  if (hc !== null && passiveOn(hc)) {
    if (timedOut || refused || tlsProblem !== null)
      record(f.target.health, timedOut ? 'timeout' : 'tcp', hc.passive);
  } else if (refused || connectTimeout) markDown(f.target, () => p.inTable(f.target.key));
  const retry =
    !readTimeout &&
    !res.headersSent &&
    !p.closing &&
    (CONNECT_ERRORS.has(code) || tlsProblem !== null) &&
    f.attempts < f.service.retries &&
    f.bodyless &&
    !req.socket.destroyed;
  if (retry && retried(req, res, tc, elapsed)) return;
  (f.route.slot as Counter).errors++;
  tc.failed++;
  f.own = !res.headersSent;
  if (res.headersSent) res.destroy();
  else if (tlsProblem !== null && !timedOut)
    sendJson(
      res,
      502,
      Buffer.from(JSON.stringify({ message: `${tlsProblem} for upstream target ${f.target.address}` })),
    );
  else sendJson(res, timedOut ? 504 : 502, timedOut ? TIMEOUT : BAD_GATEWAY);
}

/** Sends the request to another target, moving its accounting over; false when there is none. */
function retried(req: Req, res: http.ServerResponse, tc: Counter, elapsed: number): boolean {
  const f = req[FLIGHT]!;
  const tried: TargetEntry[] = (f.tried ??= []);
  tried.push(f.target);
  let upstream: UpstreamEntry | undefined = f.upstream;
  const now = performance.now();
  attemptEnded(f.upstream, f.target, elapsed, now);
  // A retry goes by weight (and load): the sticky pick's target is the one that failed.
  let target = pickTarget(upstream, tried, -1, now);
  if (target === undefined) {
    upstream = pickUpstream(f.service, tried);
    target = upstream === undefined ? undefined : pickTarget(upstream, tried, -1, now);
  }
  if (upstream === undefined || target === undefined) return false;
  attemptStarted(upstream, target);
  tc.inFlight--;
  const next = counterOf(target);
  next.requests++;
  next.inFlight++;
  if (upstream !== f.upstream) next.entered++;
  f.attempts++;
  f.attemptAt = performance.now();
  f.upstream = upstream;
  f.target = target;
  proxyOf(target, f.service, f.route, f.bodyless).web(req, res);
  return true;
}
