#!/usr/bin/env node
/**
 * Micro-benchmark of the stats' share of the request path: what the proxy does to the counters
 * for one request, from arrival to the response's close, as src/proxy/server.ts does it, in a tight loop, with latencies spread like a loopback proxy's.
 * Not a test and not part of `npm run bench`: `npm run build && node bench/record-path.js`.
 */
import { Stats } from '../dist/proxy/stats.js';

const N = Number(process.argv[2] ?? 2_000_000);
const ROUNDS = 7;

const stats = new Stats();
const route = stats.leaf('route', 'r');
stats.link(route, stats.group('service', 's'));
const upstream = stats.group('upstream', 'u');
const targets = [stats.leaf('target', 'u/a:1'), stats.leaf('target', 'u/b:2')];
for (const t of targets) stats.link(t, upstream);

// Latencies in µs: mostly 200 µs – 3 ms, a tail to 80 ms, drawn once so the loop measures the record.
const lat = new Float64Array(4096);
for (let i = 0; i < lat.length; i++)
  lat[i] = i % 100 === 0 ? 5_000 + ((i * 7919) % 75_000) : 200 + ((i * 104_729) % 2_800);

// What src/proxy/server.ts does per request: the route and the target (its leaves), nothing above.
function one(i) {
  const us = lat[i & 4095];
  const target = targets[i & 1];
  route.requests++;
  route.inFlight++;
  target.requests++;
  target.entered++;
  target.inFlight++;
  route.done(200, us);
  target.done(200, us);
}

const results = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) one(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  results.push(ns);
}
results.sort((a, b) => a - b);
const snapT0 = process.hrtime.bigint();
const SNAPS = 200;
for (let i = 0; i < SNAPS; i++) stats.snapshot();
const snapUs = Number(process.hrtime.bigint() - snapT0) / SNAPS / 1000;
console.log(
  `record path: median ${results[ROUNDS >> 1].toFixed(1)} ns/request (min ${results[0].toFixed(1)}, max ${results[ROUNDS - 1].toFixed(1)}) over ${ROUNDS}×${N}; snapshot ${snapUs.toFixed(1)} µs`,
);
