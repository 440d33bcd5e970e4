/**
 * A request in flight, carried on the request object itself, and the handlers every response
 * shares (no closure per request): settling the counters, the balancer's load, passive health,
 * the sticky cookie given to a client that had none, and Kong's write_timeout.
 */
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { hashString } from '../core/balancer.js';
import { requestKey, type KeyPlan } from '../core/sticky.js';
import {
  attemptEnded,
  attemptStarted,
  type RouteEntry,
  type ServiceEntry,
  type TargetEntry,
  type UpstreamEntry,
} from '../core/table.js';
import { passiveOn, passiveStatus, record } from './health.js';
import type { Counter } from './stats.js';

export interface Flight {
  route: RouteEntry;
  service: ServiceEntry;
  upstream: UpstreamEntry;
  target: TargetEntry;
  start: number;
  attempts: number;
  tried: TargetEntry[] | null;
  /** The proxy answered itself (no target could): Kong's `source="kong"`. */
  own: boolean;
  /** When the current attempt started (retries start new ones). */
  attemptAt: number;
  /** Still sending the request to the target, under the service's write_timeout. */
  writing: boolean;
  /** The target's answer, once its headers came (respond.ts streams its body). */
  answer: http.IncomingMessage | null;
  /** The request has no body (slots.ts `hasBody`): it is ended at once, and may be retried. */
  readonly bodyless: boolean;
}

export const FLIGHT = Symbol('switchyard.flight');
export type Req = http.IncomingMessage & { [FLIGHT]?: Flight };

/** What the proxy hangs on a target's table entry: here, its counter. */
export interface HasCounter {
  readonly counter: Counter;
}

export function counterOf(t: TargetEntry): Counter {
  return (t.slot as HasCounter).counter;
}

/** Shared by every response: settles the counters of its flight. */
export function onResponseClose(this: http.ServerResponse): void {
  const req = this.req as Req;
  const f = req[FLIGHT];
  if (f === undefined) return;
  req[FLIGHT] = undefined;
  // The client went before the answer was whole: destroying it closes the target's connection,
  // which cannot be reused mid-answer anyway.
  if (f.answer !== null && !f.answer.complete) f.answer.destroy();
  const us = (performance.now() - f.start) * 1000;
  const status = this.statusCode;
  const rc = f.route.slot as Counter;
  if (f.own) rc.doneOwn(status, us);
  else rc.done(status, us);
  counterOf(f.target).done(status, us);
}

/** Shared by every attempt of a least-connections or latency upstream. */
function onAttemptClose(this: http.ServerResponse): void {
  const f = (this.req as Req)[FLIGHT];
  if (f === undefined) return;
  const now = performance.now();
  attemptEnded(f.upstream, f.target, now - f.attemptAt, now);
}

/** Counts the attempt for the balancer; registered before the stats' close handler, which clears the flight. */
export function startAttempts(res: http.ServerResponse, upstream: UpstreamEntry, target: TargetEntry): void {
  attemptStarted(upstream, target);
  res.on('close', onAttemptClose);
}

/** What a sticky pick gave a request without its cookie: set on the response, as Kong does. */
interface GivenCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

const COOKIES = Symbol('switchyard.cookies');
type StickyReq = Req & { [COOKIES]?: GivenCookie[] };

/**
 * The request's hash key for a sticky pick. With hash_on cookie and no cookie, Kong's answer:
 * a new id, hashed on now and set on the response (`onProxyRes`), so the client keeps it.
 */
export function keyOf(plan: KeyPlan, req: StickyReq, path: string, url: string, route: RouteEntry): number {
  const k = requestKey(plan, req, path, url, route.regexes);
  const c = plan.cookie;
  if (k !== -1 || c === null) return k;
  const given = (req[COOKIES] ??= []);
  let cookie = given.find((g) => g.name === c.name);
  if (cookie === undefined) {
    cookie = { name: c.name, value: randomUUID(), path: c.path };
    given.push(cookie);
  }
  return hashString(cookie.value);
}

/** Whether responses through this upstream need `onProxyRes` at all (passive health checks). */
export function watchesResponses(upstream: UpstreamEntry): boolean {
  const hc = upstream.healthchecks;
  return hc !== null && passiveOn(hc);
}

/** The Set-Cookie values a sticky pick gave this request (null: none), added to its response by respond.ts. */
export function givenCookies(req: http.IncomingMessage): string[] | null {
  const cookies = (req as StickyReq)[COOKIES];
  if (cookies === undefined) return null;
  return cookies.map((c) => `${c.name}=${c.value}; Path=${c.path}; SameSite=Lax; HttpOnly`);
}

/** The status passive health checks count (added only where the upstream checks passively). */
export function onProxyRes(proxyRes: http.IncomingMessage, req: http.IncomingMessage): void {
  const f = (req as Req)[FLIGHT];
  if (f === undefined) return;
  const hc = f.upstream.healthchecks;
  if (hc === null || !passiveOn(hc)) return;
  const outcome = passiveStatus(hc, proxyRes.statusCode ?? 0);
  if (outcome !== null) record(f.target.health, outcome, hc.passive);
}

/**
 * Kong's write_timeout, for services that set it apart from read_timeout: while the request is
 * being sent to the target (its body streaming from the client), the idle limit is
 * write_timeout; once sent, read_timeout (which the socket otherwise keeps, see agents.ts).
 * Set on the socket itself, in order: a new socket's switch to write_timeout must come after
 * the agent's switch to read_timeout on connect and before the request is flushed on connect
 * (which may finish it there and then), so it is registered here, between the two.
 */
export function onProxyReq(proxyReq: http.ClientRequest, req: http.IncomingMessage): void {
  const f = (req as Req)[FLIGHT];
  if (f === undefined) return;
  const s = f.service.service;
  const socket = proxyReq.socket;
  if (s.write_timeout === s.read_timeout || socket === null || proxyReq.writableFinished) return;
  f.writing = true;
  proxyReq.once('finish', () => {
    f.writing = false;
    socket.setTimeout(s.read_timeout);
  });
  if (!socket.connecting) socket.setTimeout(s.write_timeout);
  else
    socket.once('connect', () => {
      if (f.writing) socket.setTimeout(s.write_timeout);
    });
}
