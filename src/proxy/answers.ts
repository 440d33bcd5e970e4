/**
 * The answers the proxy gives itself, in Kong's words: no route, shutting down, too large,
 * use HTTPS (426 or the route's redirect), no target available, and the failures of a target
 * (502, 504, a certificate problem named).
 */
import type http from 'node:http';
import type { RouteEntry, ServiceEntry } from '../core/table.js';
import type { Counter } from './stats.js';

export const TOO_LARGE = Buffer.from('{"message":"Request size limit exceeded"}');
export const NO_ROUTE = Buffer.from('{"message":"no Route matched with those values"}');
export const USE_HTTPS = Buffer.from('{"message":"Please use HTTPS protocol"}');
export const BAD_GATEWAY = Buffer.from(
  '{"message":"An invalid response was received from the upstream server"}',
);
export const SHUTTING_DOWN = Buffer.from('{"message":"switchyard is shutting down"}');
export const TIMEOUT = Buffer.from('{"message":"The upstream server is timing out"}');

export function sendJson(res: http.ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

/** A request answered before any route's accounting: counted in `own` (the totals) only. */
export function refuse(
  own: Counter,
  res: http.ServerResponse,
  status: number,
  body: Buffer,
  start: number,
): void {
  own.requests++;
  own.inFlight++;
  res.on('close', () => own.done(res.statusCode, (performance.now() - start) * 1000));
  // What is refused for its size or for shutting down may still be sending: do not keep the connection.
  if (status !== 404) res.setHeader('connection', 'close');
  sendJson(res, status, body);
}

/**
 * A route without `http` in its protocols, asked over plain HTTP: Kong's 426, or a redirect to
 * the same host (without its port) and the URI as received.
 */
export function toHttps(
  own: Counter,
  res: http.ServerResponse,
  route: RouteEntry,
  host: string,
  url: string,
  start: number,
): void {
  const code = route.httpsRedirect;
  if (code === 426) {
    res.setHeader('upgrade', 'TLS/1.2, HTTP/1.1');
    return refuse(own, res, 426, USE_HTTPS, start);
  }
  own.requests++;
  own.inFlight++;
  res.on('close', () => own.done(res.statusCode, (performance.now() - start) * 1000));
  res.writeHead(code, { location: `https://${host}${url}`, 'content-length': 0 });
  res.end();
}

/** A route that has nowhere to send the request (or a pin naming no upstream of it): counted as the route's own error. */
export function unavailable(
  res: http.ServerResponse,
  route: RouteEntry,
  service: ServiceEntry | null,
  start: number,
  pin?: string,
): void {
  const rc = route.slot as Counter;
  res.on('close', () => {
    rc.errors++;
    rc.doneOwn(res.statusCode, (performance.now() - start) * 1000);
  });
  const where = route.route.hosts?.[0]
    ? `${route.route.hosts[0]}${route.route.paths?.[0] ?? ''}`
    : route.name;
  if (pin !== undefined) {
    sendJson(
      res,
      404,
      Buffer.from(JSON.stringify({ message: `no app or upstream '${pin}' on route ${where}`, route: where })),
    );
    return;
  }
  const body = service
    ? JSON.stringify({
        message: `no available target for route ${where} (service '${service.name}'): every target has weight 0, is stopped or unhealthy, or there are none`,
        service: service.name,
        route: where,
      })
    : JSON.stringify({ message: `no app or service can take traffic for route ${where}`, route: where });
  sendJson(res, 503, Buffer.from(body));
}
