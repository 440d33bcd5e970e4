/** Small HTTP client helpers for the harness's own requests (admin API calls, probes, tallies). */
import http from 'node:http';
import net from 'node:net';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';

export function keepAliveAgent(maxSockets = 16) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** One request; resolves with status, headers, body text and the round trip in ms. */
export function request(url, { method = 'GET', host, body, agent, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = {};
    if (host) headers.host = host;
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
          at: performance.now(),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A proxied GET: which backend answered, by the body it sent (null for anything else). */
export async function probe(url, host, agent) {
  const r = await request(url, { host, agent });
  let backend = null;
  if (r.status === 200) {
    try {
      backend = JSON.parse(r.body).backend ?? null;
    } catch {
      backend = null;
    }
  }
  return { status: r.status, backend, at: r.at, ms: r.ms };
}

/** `count` GETs with `concurrency` in flight; counts answers per backend (from the bodies). */
export async function tally(url, host, count, concurrency, agent) {
  const counts = {};
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const r = await probe(url, host, agent);
        if (r.backend) counts[r.backend] = (counts[r.backend] ?? 0) + 1;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { counts, errors };
}

/** Resolves once `url` answers `ok(status)` or rejects after `timeoutMs`; `check()` may abort early. */
export async function waitForHttp(url, { host, ok = (s) => s === 200, timeoutMs = 20_000, check } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    check?.();
    try {
      const r = await request(url, { host, timeoutMs: 1000 });
      if (ok(r.status)) return r;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last})`);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function percentiles(values) {
  if (values.length === 0) return { p50: null, p99: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { p50: at(50), p99: at(99), max: s[s.length - 1] };
}
