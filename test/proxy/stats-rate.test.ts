/**
 * The request rate the UI and /stats show is counted over the time that really passed: the
 * sampling timer fires late when the event loop is busy (a frame, a burst), and a slot counted
 * as 250 ms when it lasted longer overstated the rate (#16: the demo's 50 req/s read 68), and
 * stretched the sparkline's seconds.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { Stats } from '../../src/proxy/stats.js';

afterEach(() => {
  vi.useRealTimers();
});

it('divides by the time between samples, not by their number', () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_000_000);
  const stats = new Stats();
  const route = stats.leaf('route', 'r');
  stats.sample();
  // 50 requests a second for 2 s, sampled by a timer that fired only four times instead of eight.
  for (let slot = 1; slot <= 4; slot++) {
    vi.setSystemTime(1_000_000 + slot * 500);
    route.requests += 25;
    stats.sample();
  }
  expect(stats.snapshotOf(route).rate).toBeCloseTo(50, 6);
});

it('counts the first samples from when the stats began', () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(2_000_000);
  const stats = new Stats();
  const route = stats.leaf('route', 'r');
  vi.setSystemTime(2_000_500);
  route.requests += 10;
  stats.sample();
  expect(stats.snapshotOf(route).rate).toBeCloseTo(20, 6);
});

it("gives each of the sparkline's seconds per second of the time its four samples really spanned", () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(3_000_000);
  const stats = new Stats();
  const route = stats.leaf('route', 'r');
  stats.sample();
  // On time: 40 requests over four samples 250 ms apart, then late: 100 over four taking 2 s.
  for (let slot = 1; slot <= 4; slot++) {
    vi.setSystemTime(3_000_000 + slot * 250);
    route.requests += 10;
    stats.sample();
  }
  for (let slot = 1; slot <= 4; slot++) {
    vi.setSystemTime(3_001_000 + slot * 500);
    route.requests += 25;
    stats.sample();
  }
  expect(stats.snapshotOf(route).series.slice(-2)).toEqual([40, 50]);
});
