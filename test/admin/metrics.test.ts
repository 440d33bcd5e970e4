/**
 * /metrics as Prometheus and Kong users read it: histograms in seconds counted once per request,
 * target labels that join the weight and health gauges, Kong's names for Kong's dashboard, and
 * `promtool check metrics` clean.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/wait.js';
import { backend, call, form, spread, start, viaProxy, type Backend, type Harness } from './harness.js';

const HOST = 'metrics.example.test';
const SENT = 20;

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The exposition format's sample lines (no escapes in our label values). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g))
      labels[k as string] = v as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

const pick = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

const key = (labels: Record<string, string>, without: string) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== without)
      .sort(),
  );

/** Every histogram series: buckets in `le` order never go down, and +Inf is `_count`. */
function checkHistograms(samples: Sample[], name: string): number {
  const series = new Map<string, Sample[]>();
  for (const s of pick(samples, `${name}_bucket`)) {
    const k = key(s.labels, 'le');
    series.set(k, [...(series.get(k) ?? []), s]);
  }
  for (const [k, buckets] of series) {
    const sorted = buckets
      .map((b) => [b.labels.le === '+Inf' ? Infinity : Number(b.labels.le), b.value] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]![1], `${name} ${k} le=${sorted[i]![0]}`).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
    const count = pick(samples, `${name}_count`).find((s) => key(s.labels, 'le') === k);
    expect(sorted.at(-1)).toEqual([Infinity, count?.value]);
  }
  return series.size;
}

function findPromtool(): string | null {
  for (const p of ['promtool', '/usr/bin/promtool', '/usr/local/bin/promtool']) {
    const r = spawnSync(p, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return p;
  }
  return null;
}

describe('/metrics', () => {
  let h: Harness;
  let b: Backend[];
  let text: string;
  let samples: Sample[];

  beforeAll(async () => {
    h = await start();
    b = await Promise.all(['blue', 'green'].map(backend));
    for (const x of b) {
      expect((await call(h.adminUrl, '/upstreams', form({ name: x.name }))).status).toBe(201);
      expect(
        (await call(h.adminUrl, `/upstreams/${x.name}/targets`, form({ target: x.address }))).status,
      ).toBe(201);
    }
    expect((await call(h.adminUrl, '/services', form({ name: 'app', host: 'blue' }))).status).toBe(201);
    expect(
      (await call(h.adminUrl, '/routes', form({ name: 'app-route', 'hosts[]': HOST, 'service.name': 'app' })))
        .status,
    ).toBe(201);
    expect(
      (
        await call(
          h.adminUrl,
          '/services/app',
          form(
            {
              'upstreams[1].name': 'blue',
              'upstreams[1].weight': '50',
              'upstreams[2].name': 'green',
              'upstreams[2].weight': '50',
            },
            'PATCH',
          ),
        )
      ).status,
    ).toBe(200);
    const got = await spread(h.proxyPort, HOST, SENT);
    expect((got.blue ?? 0) + (got.green ?? 0)).toBe(SENT);
    // One request no route takes: counted in the total (route=""), not in Kong's per-route series.
    expect((await viaProxy(h.proxyPort, 'nowhere.test')).status).toBe(404);
    // The counts settle when each response closes on the proxy's side: wait for all of them.
    text = await waitUntil('every response counted', async () => {
      const t = await (await fetch(`${h.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const s = parse(t);
      const counted = pick(s, 'switchyard_request_duration_seconds_count').reduce((n, x) => n + x.value, 0);
      return counted === SENT + 1 ? t : false;
    });
    samples = parse(text);
  }, 20_000);

  afterAll(async () => {
    await h?.close();
    await Promise.all((b ?? []).map((x) => x.close()));
  });

  it('has latency as histograms in seconds, each request once, and no percentile or rate gauges', () => {
    expect(checkHistograms(samples, 'switchyard_request_duration_seconds')).toBe(2);
    expect(
      pick(samples, 'switchyard_request_duration_seconds_count', { route: 'app-route', service: 'app' })[0]
        ?.value,
    ).toBe(SENT);
    expect(
      pick(samples, 'switchyard_request_duration_seconds_bucket', { route: 'app-route', le: '0.0005' }),
    ).toHaveLength(1);
    expect(
      pick(samples, 'switchyard_request_duration_seconds_sum', { route: 'app-route' })[0]?.value,
    ).toBeGreaterThan(0);
    expect(checkHistograms(samples, 'switchyard_target_request_duration_seconds')).toBe(2);
    const byTarget = pick(samples, 'switchyard_target_request_duration_seconds_count');
    expect(byTarget.reduce((n, s) => n + s.value, 0)).toBe(SENT);
    // sum() over any switchyard family counts each request once.
    expect(pick(samples, 'switchyard_requests_total').reduce((n, s) => n + s.value, 0)).toBe(SENT + 1);
    expect(pick(samples, 'switchyard_requests_total', { route: '', service: '' })[0]?.value).toBe(1);
    expect(pick(samples, 'switchyard_responses_total', { route: 'app-route', class: '2xx' })[0]?.value).toBe(
      SENT,
    );
    expect(pick(samples, 'switchyard_target_requests_total').reduce((n, s) => n + s.value, 0)).toBe(SENT);
    expect(text).not.toMatch(/switchyard_latency_p(50|99)_ms|switchyard_request_rate|kind="/);
  });

  it('labels targets as the weight and health gauges do, so they join', () => {
    const pairs = (name: string) =>
      pick(samples, name)
        .map((s) => `${s.labels.upstream}|${s.labels.target}`)
        .sort();
    const want = (b as Backend[]).map((x) => `${x.name}|${x.address}`).sort();
    expect(pairs('switchyard_target_weight')).toEqual(want);
    expect(pairs('switchyard_target_healthy')).toEqual(want);
    expect(pairs('switchyard_target_requests_total')).toEqual(want);
    expect(pairs('switchyard_target_request_duration_seconds_count')).toEqual(want);
  });

  it("has Kong's names, labels and buckets", () => {
    expect(pick(samples, 'kong_http_requests_total')).toEqual([
      {
        name: 'kong_http_requests_total',
        labels: {
          service: 'app',
          route: 'app-route',
          code: '200',
          source: 'service',
          workspace: 'default',
          consumer: '',
        },
        value: SENT,
      },
    ]);
    expect(checkHistograms(samples, 'kong_request_latency_ms')).toBe(1);
    const les = pick(samples, 'kong_request_latency_ms_bucket', {
      service: 'app',
      route: 'app-route',
      workspace: 'default',
    }).map((s) => s.labels.le);
    expect(les).toEqual([
      '25',
      '50',
      '80',
      '100',
      '250',
      '400',
      '700',
      '1000',
      '2000',
      '5000',
      '10000',
      '30000',
      '60000',
      '+Inf',
    ]);
    expect(pick(samples, 'kong_request_latency_ms_count')[0]?.value).toBe(SENT);
    for (const x of b) {
      const states = pick(samples, 'kong_upstream_target_health', {
        upstream: x.name,
        target: x.address,
        address: x.address,
        subsystem: 'http',
      });
      expect(Object.fromEntries(states.map((s) => [s.labels.state, s.value]))).toEqual({
        healthchecks_off: 0,
        healthy: 1,
        unhealthy: 0,
        dns_error: 0,
      });
    }
    expect(pick(samples, 'kong_datastore_reachable')[0]?.value).toBe(1);
    expect(pick(samples, 'kong_node_info')).toHaveLength(1);
  });

  it('passes promtool check metrics (but for the name Kong chose for its latency)', async (ctx) => {
    const promtool = findPromtool();
    if (promtool === null) {
      ctx.skip("promtool not found (Debian's prometheus package has it; .ci/run installs it)");
      return;
    }
    const check = (input: string) =>
      new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill(), 10_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
        child.stdin.end(input);
      });
    // switchyard's own families, alone: clean.
    const own = text
      .split('\n\n')
      .filter((family) => !/^# HELP kong_/.test(family))
      .join('\n\n')
      .replace(/\n*$/, '\n');
    expect(own).toContain('switchyard_request_duration_seconds_bucket');
    expect(await check(own)).toEqual({ code: 0, output: '' });
    // Everything: the one finding is Kong's own name, which Kong's dashboard queries (Kong's exporter has it too).
    expect(await check(text)).toEqual({
      code: 3,
      output: 'kong_request_latency_ms metric names should not contain abbreviated units\n',
    });
  });
});
