/**
 * `switchyard demo`: sample blue and green backends on free loopback ports, the scene that routes
 * `demo.localhost` to them (service `demo`, split blue 100 / green 0), and a traffic generator,
 * so the counters move the moment the UI opens.
 */
import { execute, type Command } from '../core/commands.js';
import { emptyState, type State } from '../core/model.js';
import type { Store } from '../core/store.js';
import { startBackend, type DemoBackend } from './backends.js';
import { MAX_RATE, TrafficGenerator } from './traffic.js';

export type { DemoBackend } from './backends.js';
export { TrafficGenerator, MAX_RATE } from './traffic.js';

export const DEMO_HOST = 'demo.localhost';
/** Tags the demo's entities, so a later demo can find its sample targets again. */
export const DEMO_TAG = 'demo';
export const DEMO_SERVICE = 'demo';
/** Target weights of the sample backends. */
export const DEMO_WEIGHTS = { blue: [100, 100, 50], green: [100, 100] } as const;
export const DEMO_VERSIONS = { blue: 'v1.0.0', green: 'v2.0.0' } as const;

/** What the demo needs of the engine: its store and where its proxy listens. */
export interface DemoEngine {
  readonly store: Store;
  readonly proxyUrl: string;
}

export interface Demo {
  readonly backends: readonly DemoBackend[];
  readonly host: string;
  readonly service: string;
  readonly traffic: TrafficGenerator;
  /** The traffic generator's requests per second (0 pauses it). @default 50 */
  rate: number;
  /** The most requests per second the generator takes (MAX_RATE). */
  readonly maxRate: number;
  /** Sets the rate (clamped to 0..MAX_RATE); returns the rate in force. */
  setRate(rate: number): number;
  /** Distinct simulated users each upstream answered in the last 10 s. */
  users(): Record<string, number>;
  /** Stops the traffic generator, then the backends. */
  stop(): Promise<void>;
}

/**
 * The batch that builds the demo scene on `state`: upstreams `blue` and `green` with the given
 * targets (kept if they already exist, with any missing targets added), service `demo` split
 * blue 100 / green 0, and the route `demo.localhost`.
 */
export function demoScene(state: State, blue: readonly string[], green: readonly string[]): Command {
  const commands: Command[] = [];
  const targets = { blue, green };
  for (const colour of ['blue', 'green'] as const) {
    const existing = state.upstreams.find((u) => u.name === colour);
    const list = targets[colour].map((target, i) => ({
      target,
      weight: DEMO_WEIGHTS[colour][i] ?? 100,
      tags: [DEMO_TAG],
    }));
    if (!existing) {
      commands.push({ op: 'upstream.create', fields: { name: colour, targets: list, tags: [DEMO_TAG] } });
    } else {
      for (const t of list) {
        if (!existing.targets.some((x) => x.target === t.target))
          commands.push({ op: 'target.create', upstream: colour, fields: t });
      }
    }
  }
  commands.push({
    op: 'service.create',
    fields: {
      name: DEMO_SERVICE,
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 100 },
        { name: 'green', weight: 0 },
      ],
      tags: [DEMO_TAG],
    },
  });
  if (!state.routes.some((r) => r.hosts?.includes(DEMO_HOST))) {
    commands.push({
      op: 'route.create',
      service: DEMO_SERVICE,
      fields: { name: DEMO_SERVICE, hosts: [DEMO_HOST], tags: [DEMO_TAG] },
    });
  }
  return {
    op: 'batch',
    commands,
    summary: `demo scene: ${DEMO_HOST} → service ${DEMO_SERVICE} (blue 100% / green 0%)`,
  };
}

/**
 * For a saved state that already has the demo scene: the sample targets (tagged `demo`) of the
 * last run point at ports that are gone; swap them for this run's backends, keeping weights.
 * Undefined when there is nothing to swap.
 */
export function reattach(
  state: State,
  blue: readonly string[],
  green: readonly string[],
): Command | undefined {
  const commands: Command[] = [];
  const targets = { blue, green };
  for (const colour of ['blue', 'green'] as const) {
    const u = state.upstreams.find((x) => x.name === colour);
    if (!u) continue;
    const old = u.targets.filter((t) => t.tags?.includes(DEMO_TAG) && !targets[colour].includes(t.target));
    if (old.length === 0) continue;
    targets[colour].forEach((target, i) => {
      if (u.targets.some((t) => t.target === target)) return;
      commands.push({
        op: 'target.create',
        upstream: colour,
        fields: { target, weight: old[i]?.weight ?? DEMO_WEIGHTS[colour][i] ?? 100, tags: [DEMO_TAG] },
      });
    });
    for (const t of old) commands.push({ op: 'target.delete', upstream: colour, target: t.target });
  }
  return commands.length
    ? { op: 'batch', commands, summary: "demo: sample targets moved to this run's backends" }
    : undefined;
}

/** The demo scene on an empty state, for targets at the given `host:port` addresses. */
export function demoState(blue: readonly string[], green: readonly string[]): State {
  let n = 0;
  const ctx = {
    now: Math.floor(Date.now() / 1000),
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
  return execute(emptyState, demoScene(emptyState, blue, green), ctx).state;
}

export interface DemoOptions {
  /** Requests per second of the traffic generator. @default 50 */
  readonly rate?: number;
  /** Simulated backend latency in ms, [min, max]. @default [1, 8] */
  readonly latencyMs?: readonly [number, number];
  /** Simulated users the generator's requests come from (`X-Demo-User`). @default 200 */
  readonly users?: number;
}

/**
 * Starts the sample backends and the traffic generator, and applies the scene through the store
 * (one batch, so it is one change) unless the state already has a service `demo`; then only the
 * sample targets of a previous run are moved to this run's backends.
 */
export async function startDemo(engine: DemoEngine, opts: DemoOptions = {}): Promise<Demo> {
  const latencyMs = opts.latencyMs ?? [1, 8];
  const specs = [
    ...DEMO_WEIGHTS.blue.map((_, i) => ({
      colour: 'blue',
      index: i + 1,
      version: DEMO_VERSIONS.blue,
      latencyMs,
    })),
    ...DEMO_WEIGHTS.green.map((_, i) => ({
      colour: 'green',
      index: i + 1,
      version: DEMO_VERSIONS.green,
      latencyMs,
    })),
  ];
  const started = await Promise.allSettled(specs.map((s) => startBackend(s)));
  const backends = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(backends.map((b) => b.close()));
    throw new Error(`cannot start the demo backends: ${(failed.reason as Error).message}`);
  }
  const traffic = new TrafficGenerator({ url: engine.proxyUrl, host: DEMO_HOST, rate: opts.rate ?? 50, users: opts.users ?? 200 });
  try {
    const state = engine.store.state;
    const addresses = (colour: string) => backends.filter((b) => b.colour === colour).map((b) => b.address);
    if (!state.services.some((s) => s.name === DEMO_SERVICE)) {
      engine.store.dispatch(demoScene(state, addresses('blue'), addresses('green')), 'demo', { system: true });
    } else {
      const swap = reattach(state, addresses('blue'), addresses('green'));
      if (swap) engine.store.dispatch(swap, 'demo', { system: true });
    }
  } catch (e) {
    await Promise.all(backends.map((b) => b.close()));
    throw e;
  }
  traffic.start();
  let stopping: Promise<void> | undefined;
  return {
    backends,
    host: DEMO_HOST,
    service: DEMO_SERVICE,
    traffic,
    get rate() {
      return traffic.rate;
    },
    set rate(v: number) {
      traffic.rate = v;
    },
    maxRate: MAX_RATE,
    setRate(v: number) {
      traffic.rate = v;
      return traffic.rate;
    },
    users: () => traffic.recentUsers(),
    stop() {
      stopping ??= (async () => {
        await traffic.stop();
        await Promise.all(backends.map((b) => b.close()));
      })();
      return stopping;
    },
  };
}
