/**
 * The fleet as the UI shows it, without HAProxy: a report turned into the panels' numbers and
 * one row per instance, which changes did not reach which instance, the layout with a fleet
 * section, and the in-process UI left as it was.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Store } from '../../src/core/store.js';
import type { DataPlaneReport, InstanceReport, TargetReport } from '../../src/dataplane/types.js';
import { Engine } from '../../src/engine.js';
import { startDemo, type Demo } from '../../src/demo/index.js';
import { App } from '../../src/ui/App.js';
import {
  fleetCounts,
  fleetHealth,
  fleetRows,
  fleetStats,
  instanceLabels,
  notApplied,
  notAppliedText,
} from '../../src/ui/fleet.js';
import { FleetSampler } from '../../src/ui/hooks/use-fleet.js';
import { computeLayout } from '../../src/ui/hooks/use-layout.js';
import { FleetPanel } from '../../src/ui/panels/FleetPanel.js';
import { absent, closeAgent, stripAnsi, tick, waitForFrame } from './helpers.js';

function scene() {
  const s = new Store();
  s.dispatch({
    op: 'upstream.create',
    fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }, { target: '127.0.0.1:3002' }] },
  });
  s.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3003' }] } });
  s.dispatch({
    op: 'service.create',
    fields: {
      name: 'web',
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 80 },
        { name: 'green', weight: 20 },
      ],
    },
  });
  return s.state;
}

const status = (ok: number, bad = 0) => ({ '1xx': 0, '2xx': ok, '3xx': 0, '4xx': 0, '5xx': bad });

function instance(id: string, over: Partial<InstanceReport> = {}): InstanceReport {
  return { id, reachable: true, drift: [], lastError: null, appliedVersion: 4, reloadNeeded: null, ...over };
}

describe('a fleet report as the panels show it', () => {
  const state = scene();
  const [blue, green] = state.upstreams;
  const t = (u: typeof blue, target: string, requests: number, rate: number, errors = 0): TargetReport => ({
    key: `${u!.id}/${target}`,
    upstream: u!.name,
    target,
    requests,
    rate,
    status: status(requests - errors, errors),
    errors,
    healthy: errors === 0,
  });
  const report: DataPlaneReport = {
    targets: [
      t(blue, '127.0.0.1:3001', 60, 6),
      t(blue, '127.0.0.1:3002', 40, 2),
      t(green, '127.0.0.1:3003', 30, 3, 5),
    ],
    instances: [instance('/run/a/admin.sock'), instance('/run/b/admin.sock')],
  };

  it('keys targets by the table key and sums upstreams, services and the total from them', () => {
    const series = new Map([[`${blue!.id}/127.0.0.1:3001`, [1, 2, 6]]]);
    const s = fleetStats(state, report, series, 1234);
    expect(s.at).toBe(1234);
    expect(s.targets[`${blue!.id}/127.0.0.1:3001`]).toMatchObject({
      requests: 60,
      rate: 6,
      series: [1, 2, 6],
      p50: null,
      inFlight: 0,
    });
    expect(s.upstreams[blue!.id]).toMatchObject({ requests: 100, rate: 8, errors: 0, series: [1, 2, 6] });
    expect(s.upstreams[green!.id]).toMatchObject({ requests: 30, rate: 3, errors: 5, status: status(25, 5) });
    const web = state.services[0]!;
    expect(s.services[web.id]).toMatchObject({ requests: 130, rate: 11 });
    expect(s.total).toMatchObject({ requests: 130, rate: 11, errors: 5, status: status(125, 5) });
    expect(fleetHealth(report).get(`${green!.id}/127.0.0.1:3003`)).toBe(false);
    // before the first report: zeros, nothing down
    expect(fleetStats(state, null, new Map(), 0).total.requests).toBe(0);
  });

  it('names instances by the shortest distinct end of their address', () => {
    expect([...instanceLabels(['/run/a/admin.sock', '/run/b/admin.sock', '10.0.0.2:9999']).values()]).toEqual(
      ['a/admin.sock', 'b/admin.sock', '10.0.0.2:9999'],
    );
    expect([...instanceLabels(['/run/haproxy/sy.sock', 'lb2:9999']).values()]).toEqual([
      'sy.sock',
      'lb2:9999',
    ]);
  });

  it('says each instance is in sync, unreachable, refusing, drifting or in need of a reload, worst first', () => {
    const rows = fleetRows({
      targets: [],
      instances: [
        instance('/r/a.sock'),
        instance('/r/b.sock', {
          reachable: false,
          appliedVersion: null,
          lastError: 'unreachable: /r/b.sock: ECONNREFUSED',
        }),
        instance('/r/c.sock', { drift: ['web: green/127.0.0.1:3003 weight 12, expected 256', 'web: other'] }),
        instance('/r/d.sock', { reloadNeeded: 'service late has no backend be_late', appliedVersion: 3 }),
        instance('/r/e.sock', {
          lastError: 'refused: set server be_web/x weight 3: No such server.\nmore',
          drift: ['x'],
        }),
      ],
    });
    expect(rows.map((r) => [r.label, r.state, r.symbol, r.detail])).toEqual([
      ['a.sock', 'in sync', 'live', 'table v4'],
      ['b.sock', 'unreachable', 'failing', 'ECONNREFUSED'],
      ['c.sock', 'drift', 'pending', 'web: green/127.0.0.1:3003 weight 12, expected 256 (+1 more)'],
      ['d.sock', 'reload needed', 'pending', 'service late has no backend be_late'],
      ['e.sock', 'refused', 'failing', 'refused: set server be_web/x weight 3: No such server. more'],
    ]);
    expect(
      fleetCounts({
        targets: [],
        instances: rows.map((r) => instance(r.id, { reachable: r.state !== 'unreachable' })),
      }),
    ).toEqual({
      instances: 5,
      reachable: 4,
    });
    expect(fleetCounts(null)).toBeNull();
  });

  it('tells the instances that did not take a change (and why) from those still taking it', () => {
    const rep: DataPlaneReport = {
      targets: [],
      instances: [
        instance('/r/a.sock', { appliedVersion: 5 }),
        instance('/r/b.sock', {
          reachable: false,
          appliedVersion: null,
          lastError: 'unreachable: /r/b.sock: ECONNREFUSED',
        }),
        instance('/r/c.sock', { appliedVersion: 4 }),
      ],
    };
    const missed = notApplied(rep, 5);
    expect(missed.failed.map((i) => i.id)).toEqual(['/r/b.sock']);
    expect(missed.pending.map((i) => i.id)).toEqual(['/r/c.sock']);
    expect(notAppliedText(rep, missed)).toBe(
      'not applied to b.sock (unreachable: ECONNREFUSED), c.sock (not done yet)',
    );
    expect(notApplied({ targets: [], instances: [instance('/r/a.sock', { appliedVersion: 6 })] }, 5)).toEqual(
      { failed: [], pending: [] },
    );
  });

  it('reads the fleet once per period at most, one read at a time, and waits for a change to land', async () => {
    let reads = 0;
    let applied = 4;
    /** The read at which version 5 shows as applied on the instance (none until set). */
    let landsAt = Infinity;
    const plane = {
      report: async () => {
        reads++;
        if (reads >= landsAt) applied = 5;
        await new Promise((r) => setTimeout(r, 20));
        return { targets: report.targets, instances: [instance('/r/a.sock', { appliedVersion: applied })] };
      },
      reapply: async () => ({ ok: true, version: applied, perInstance: [{ id: '/r/a.sock', ok: true }] }),
    };
    const sampler = new FleetSampler(plane, 1000);
    const off = sampler.subscribe(() => {});
    await Promise.all([sampler.sample(), sampler.sample(), sampler.sample()]);
    expect(reads).toBe(1);
    expect(sampler.getSnapshot().report?.targets).toHaveLength(3);
    expect(Object.isFrozen(sampler.getSnapshot())).toBe(true);
    // The change lands on the instance two reads later: the verdict waits for it, however long reads take.
    landsAt = reads + 2;
    expect(await sampler.verdict(5, 60_000)).toBeNull();
    expect(reads).toBeGreaterThanOrEqual(landsAt);
    // A version that never lands: after its deadline the verdict names the instance.
    expect(await sampler.verdict(6, 300)).toBe('not applied to a.sock (not done yet)');
    off();
  });
});

describe('the fleet section', () => {
  const rows = fleetRows({
    targets: [],
    instances: [
      instance('/r/a.sock'),
      instance('/r/b.sock', { drift: ['web: green/127.0.0.1:3003 weight 12, expected 256'] }),
      instance('/r/c.sock', {
        reachable: false,
        appliedVersion: null,
        lastError: 'unreachable: /r/c.sock: ECONNREFUSED',
      }),
    ],
  });

  it('says it all in one line when that is all it gets', () => {
    const r = render(<FleetPanel rows={rows} lines={1} width={100} />);
    // after the count, the worst news first; what does not fit the (100-column) terminal is cut, never wrapped
    expect(stripAnsi(r.lastFrame() ?? '')).toBe(
      ' HAProxy  ● 1 in sync  ✗ c.sock unreachable: ECONNREFUSED  ◐ b.sock drift: web: green/127.0.0.1:300…',
    );
    r.rerender(<FleetPanel rows={[]} lines={1} width={120} />);
    expect(stripAnsi(r.lastFrame() ?? '')).toBe(' HAProxy  reading the instances…');
    r.unmount();
  });

  it('gives each instance a line under a title when it has the room', () => {
    const r = render(<FleetPanel rows={rows} lines={4} width={100} />);
    const lines = stripAnsi(r.lastFrame() ?? '').split('\n');
    expect(lines[0]).toMatch(/── HAProxy instances ─+ 3 instances, 2 reachable · A applies again ──/);
    expect(lines.slice(1)).toEqual([
      ' ● a.sock  in sync        table v4',
      ' ◐ b.sock  drift          web: green/127.0.0.1:3003 weight 12, expected 256',
      ' ✗ c.sock  unreachable    ECONNREFUSED',
    ]);
    r.unmount();
  });
});

describe('the layout with a fleet section', () => {
  it('gives each instance a line when there is room, else one compact line, within rows - 1', () => {
    const roomy = computeLayout(80, 24, { services: 1, targets: 4, nameWidth: 17, fleet: 2 });
    expect(roomy.fleetLines).toBe(3);
    const tight = computeLayout(80, 24, { services: 3, targets: 40, nameWidth: 17, fleet: 2 });
    expect(tight.fleetLines).toBe(1);
    for (const l of [roomy, tight]) {
      const height =
        2 + l.gaps + (1 + l.serviceLines) + (2 + l.targetLines) + l.fleetLines + 1 + l.footerLines;
      expect(height).toBeLessThanOrEqual(23);
    }
    expect(computeLayout(80, 24, { services: 1, targets: 4, nameWidth: 17 }).fleetLines).toBe(0);
  });

  it('shows requests and errors instead of latency and in flight, and still fits 80 columns', () => {
    const c = computeLayout(80, 24, { services: 1, targets: 4, nameWidth: 17, fleet: 2 }).targets;
    expect([c.requests, c.errors, c.p50, c.p99, c.inflight]).toEqual([6, 4, 0, 0, 0]);
    expect(c.name).toBe(17);
    const used =
      c.name +
      Object.entries(c).reduce((a, [k, w]) => a + (k !== 'name' && k !== 'marker' && w > 0 ? w + 1 : 0), 0);
    expect(used).toBeLessThanOrEqual(79);
  });
});

describe('in-process, the UI is as it was', () => {
  let engine: Engine;
  let demo: Demo;

  beforeEach(async () => {
    engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    demo = await startDemo(engine, { rate: 0, latencyMs: [0, 0] });
  });

  afterEach(async () => {
    cleanup();
    await demo.stop();
    await engine.stop(200);
  });

  afterAll(() => closeAgent());

  it('shows no data plane line nor fleet section, and A says what it is for', async () => {
    const r = render(
      <App engine={engine} demo={demo} size={{ columns: 100, rows: 30 }} colour={false} sampleMs={50} />,
    );
    await waitForFrame(r.lastFrame, [
      'blue 100%',
      'proxy http://',
      'P50',
      absent(/data plane|HAProxy|REQS|apply again/),
    ]);
    await tick();
    r.stdin.write('A');
    await waitForFrame(r.lastFrame, ['here the in-process proxy carries the traffic', absent('HAProxy instances')]);
  });
});
