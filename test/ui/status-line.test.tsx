/** The header's error count says what is failing now, beside what failed since the start (#14). */
import { afterEach, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import type { CounterSnapshot } from '../../src/proxy/stats.js';
import { StatusLine } from '../../src/ui/panels/StatusLine.js';
import { stripAnsi } from './helpers.js';

afterEach(() => cleanup());

function counter(requests: number, fiveXx: number): CounterSnapshot {
  return { requests, inFlight: 0, status: { '1xx': 0, '2xx': requests - fiveXx, '3xx': 0, '4xx': 0, '5xx': fiveXx }, errors: 0, rate: 10, p50: null, p99: null, series: [] };
}

function line(total: CounterSnapshot, before?: CounterSnapshot): string {
  const r = render(<StatusLine title="" proxyUrl="http://127.0.0.1:8000" adminUrl={undefined} total={total} before={before} rate={undefined} paused={false} readonly={false} width={120} />);
  return stripAnsi(r.lastFrame() ?? '');
}

it('shows the last two seconds beside the count: 0% once the failures stopped', () => {
  expect(line(counter(200, 20), counter(100, 20))).toContain('errors 20 (10.0%) · now 0%');
  expect(line(counter(200, 30), counter(100, 20))).toContain('errors 30 (15.0%) · now 10.0%');
  expect(line(counter(200, 30), counter(200, 30))).toContain('errors 30 (15.0%) · now –');
});

it('says nothing more while nothing failed', () => {
  const frame = line(counter(200, 0), counter(100, 0));
  expect(frame).toContain('errors 0');
  expect(frame).not.toContain('now');
});
