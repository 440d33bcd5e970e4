// The bench's goals as a pure function of its results (bench/lib/goals.js): no benchmark runs here.
import { describe, expect, it } from 'vitest';
import { abSummary, goals } from '../../bench/lib/goals.js';

const pair = (ratio: number) => ({ first: 'bare', bare: {}, switchyard: {}, ratio });
const ab = (label: string, ratios: number[]) => ({
  label,
  pairs: ratios.map(pair),
  summary: abSummary(ratios),
});
const row = (g: ReturnType<typeof goals>, start: string) => g.targets.find((t) => t.name.startsWith(start));

describe('abSummary', () => {
  it('gives the median, min–max and interquartile range of the pairs', () => {
    const s = abSummary([1.1, 0.9, 1.0, 1.3, 0.95]);
    expect(s).toMatchObject({ pairs: 5, median: 1.0, min: 0.9, max: 1.3, q1: 0.95, q3: 1.1 });
    expect(s.spread).toBeCloseTo(0.4);
  });

  it('averages the middle two of an even count and ignores pairs without a ratio', () => {
    expect(abSummary([2, 1, null as unknown as number, 4, 3])).toMatchObject({ pairs: 4, median: 2.5 });
    expect(abSummary([])).toEqual({ pairs: 0, median: null });
  });

  it('says when the spread is wider than the difference from 1.0, and on which side the pairs fall', () => {
    expect(abSummary([0.95, 1.02, 1.08])).toMatchObject({ spreadWiderThanDifference: true, side: 'both' });
    expect(abSummary([1.02, 1.1, 1.25])).toMatchObject({ spreadWiderThanDifference: true, side: 'above' });
    expect(abSummary([0.8, 0.82, 0.85])).toMatchObject({ spreadWiderThanDifference: false, side: 'below' });
  });
});

describe('goals', () => {
  it('meets the serve goal at a median ≤ 1.00× and the UI goal at ≤ 1.05×, spread shown beside', () => {
    const g = goals({
      subjects: [],
      abServe: ab('serve', [0.9, 0.92, 0.95, 0.91, 0.93]),
      abUi: ab('ui', [1.04, 1.06, 1.07, 1.08, 1.09]),
    });
    const serve = row(g, 'switchyard serve CPU per request ÷ bare http-proxy, interleaved A/B');
    expect(serve).toMatchObject({ value: '0.92× (0.90–0.95; IQR 0.91–0.93)', goal: '≤ 1.00×', met: true });
    expect(row(g, 'switchyard with the UI CPU per request')).toMatchObject({ goal: '≤ 1.05×', met: false });
    expect(g.notes).toEqual([]);
  });

  it('says plainly when an A/B cannot tell switchyard from bare', () => {
    const g = goals({ subjects: [], abServe: ab('serve', [0.9, 1.0, 1.02, 1.05, 1.1]) });
    expect(row(g, 'switchyard serve CPU per request')?.met).toBe(false);
    expect(g.notes).toEqual([
      'switchyard serve ÷ bare http-proxy, CPU per request: the spread of the 5 pairs (0.90–1.10, 0.20 wide) is wider than the difference of the median (1.02) from 1.0 (0.02): the pairs fall on both sides of 1.0, so this run cannot tell the two apart.',
    ]);
  });

  it('holds key press → first request at the demo load to p50 < 20 ms, and reports full load without a goal', () => {
    const keySplit = (p50: number) => ({
      full: { presses: 30, load: { connections: 32 }, ms: { p50: 40, p99: 90 } },
      demo: { presses: 30, load: { rate: 50 }, ms: { p50, p99: 30 } },
    });
    const met = goals({ subjects: [], keySplit: keySplit(12.5) });
    expect(row(met, 'key press in the UI → first request on the new split')).toMatchObject({
      value: '40.0 / 90.0 ms',
      met: null,
    });
    expect(row(met, "… at the demo's load (50 req/s)")).toMatchObject({ value: '12.5 / 30.0 ms', met: true });
    expect(row(goals({ subjects: [], keySplit: keySplit(20) }), '… at the demo')?.met).toBe(false);
  });

  it('reports a correctness goal missed (for --strict) and the experiments that failed or were skipped', () => {
    const g = goals({
      subjects: [],
      switchLatency: { rounds: 10, requests: 200, oldRouted: 1, errors: 0 },
      accuracy: [{ exact: true }, { exact: true }, { exact: true }],
      abUi: { skipped: 'tmux is not installed' },
      keySplit: { error: 'no request reached green' },
    });
    expect(row(g, 'requests routed by old weights')).toMatchObject({ value: '1', met: false });
    expect(row(g, 'exact split')?.met).toBe(true);
    expect(g.missed).toBe(true);
    expect(g.notes).toEqual([
      'keySplit failed: no request reached green',
      'abUi skipped: tmux is not installed',
    ]);
    expect(goals({ subjects: [], accuracy: [{ exact: true }] }).missed).toBe(false);
  });

  it('compares serve with bare http-proxy from the subjects and explains a req/s gap that CPU does not show', () => {
    const s = (key: string, rps: number, cpuUsPerRequest: number) => ({
      key,
      label: key,
      rps,
      p99: 5,
      cpuUsPerRequest,
      errors: 0,
    });
    const g = goals({ subjects: [s('bare', 10_000, 100), s('serve', 8_000, 105)] });
    expect(g.ratios.serveOverBareRps).toBeCloseTo(0.8);
    expect(row(g, 'switchyard serve req/s ÷ bare http-proxy')).toMatchObject({ value: '80%', met: false });
    expect(row(g, 'switchyard serve CPU per request ÷ bare http-proxy')).toMatchObject({
      value: '1.05×',
      met: null,
    });
    expect(g.notes[0]).toMatch(
      /^switchyard serve reached 80% of bare http-proxy's req\/s while spending 1\.05× its CPU per request: the gap is not/,
    );
  });
});
