/**
 * SAP's `cf bg-deploy` on switchyard: deploy a new version beside the live one, let it answer on
 * temporary routes, and pause until the operator resumes or aborts.
 *
 *   deploying → pending ─ resume ─→ (resuming, step by step) → resumed
 *                       └ abort ──→ aborted (new apps and temporary routes kept for inspection)
 *   any step that cannot complete → failed
 *
 * The deployment record lives in the store (so it survives a restart, and every surface sees it);
 * every routing change is a command. This module only sequences them and waits for instances.
 */
import { randomInt } from 'node:crypto';
import { findKfRoute, parseRoute, routeApps } from '../core/apps.js';
import type { Command } from '../core/commands.js';
import {
  deployRefusal,
  deploymentRefusal,
  leftovers,
  tempRoutesLeft,
  type DeploymentAction,
} from '../core/deployments.js';
import { SwitchyardError } from '../core/errors.js';
import type { Deployment, DeploymentModule, State } from '../core/model.js';
import type { Store } from '../core/store.js';
import type { Supervisor } from '../apps/supervisor.js';
import type { Stats } from '../proxy/stats.js';
import type { Hashing } from '../core/schema.js';
import { stickyFields } from '../core/sticky.js';
import type { Manifest } from './manifest.js';
import { tempRoute } from './routes.js';

export interface DeployOptions {
  /** Resume at once instead of pausing (`--no-confirm`). */
  readonly noConfirm?: boolean;
  /** Gradual resume: the new version's share at each step, e.g. [10, 50, 100]. */
  readonly steps?: readonly number[];
  readonly intervalMs?: number;
  /** Abort by itself when the new version's 5xx share of responses in a step exceeds this (0..1). */
  readonly maxErrorRate?: number;
  /** …or its p99 latency exceeds this many milliseconds. */
  readonly maxP99Ms?: number;
  /**
   * A gradual resume keeps each user on one version (`cookie:NAME`, `header:NAME`, `ip`, …: the
   * CLI's `--sticky`): the productive routes' splits hash on it before the first step, so a step
   * only moves users onto the new version, never one back.
   */
  readonly sticky?: string;
  /** Where module commands run (the manifest's directory). */
  readonly cwd?: string;
  /** How long new instances may take to answer. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** Fewer responses than this in a step say nothing about error rates yet. */
const MIN_RESPONSES = 5;
const TICK_MS = 200;

export class DeployEngine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly supervisor: Supervisor,
    private readonly stats: Stats,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private get state(): State {
    return this.store.state;
  }

  get(id: string): Deployment {
    const d = this.state.deployments.find((x) => x.id === id);
    if (!d) throw new SwitchyardError('not found', `deployment '${id}' not found`);
    return d;
  }

  /** The deployment, when `action` may be done to it now; else the reason, as an error. */
  private allowed(id: string, action: DeploymentAction): Deployment {
    const d = this.get(id);
    const refusal = deploymentRefusal(this.state, d, action);
    if (refusal) throw new SwitchyardError('invalid', refusal);
    return d;
  }

  private put(d: Deployment, patch: Partial<Deployment>, extra: Command[] = []): Deployment {
    const next = { ...d, ...patch };
    this.store.dispatch(
      {
        op: 'batch',
        commands: [
          ...extra,
          { op: 'deployment.put', deployment: next as unknown as Record<string, unknown> },
        ],
      },
      'deploy',
      { undoable: false },
    );
    return this.get(d.id);
  }

  /** After a restart: a deploy cut short has failed; a gradual resume goes on from its step. */
  start(): void {
    for (const d of this.state.deployments) {
      if (d.state === 'deploying')
        this.put(d, { state: 'failed', message: 'interrupted by a restart of switchyard while deploying' });
      else if (d.state === 'resuming') this.schedule(d.id);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private newId(): string {
    for (;;) {
      const id = String(randomInt(100000, 1000000));
      if (!this.state.deployments.some((d) => d.id === id)) return id;
    }
  }

  /** The app of a module that serves its productive routes now, if any. */
  private liveApp(module: string, routes: readonly string[]): string | null {
    const candidates = [`${module}-blue`, `${module}-green`, module].filter((n) =>
      this.state.apps.some((a) => a.name === n),
    );
    for (const r of routes) {
      const route = findKfRoute(this.state, parseRoute(r));
      const apps = route ? routeApps(this.state, route).apps : [];
      const live = apps
        .filter((e) => e.weight > 0 && candidates.includes(e.name))
        .sort((a, b) => b.weight - a.weight)[0];
      if (live) return live.name;
    }
    return candidates[0] ?? null;
  }

  /** Deploys, and resolves once the deployment is pending, resumed or failed (or was aborted meanwhile). */
  async deploy(manifest: Manifest, opts: DeployOptions = {}): Promise<Deployment> {
    return this.begin(manifest, opts).done;
  }

  /**
   * Records the deployment and pushes the new apps at once (so its id exists before anything is
   * waited for), then waits for them in the background: `done` resolves when it is pending,
   * resumed, failed or aborted.
   */
  begin(manifest: Manifest, opts: DeployOptions = {}): { deployment: Deployment; done: Promise<Deployment> } {
    const busy = deployRefusal(this.state, manifest.id);
    if (busy) throw new SwitchyardError('invalid', busy);
    if (opts.steps) checkSteps(opts.steps);
    if (opts.sticky !== undefined) {
      stickyFields(opts.sticky);
      if (!opts.noConfirm || !opts.steps?.length)
        throw new SwitchyardError(
          'invalid',
          '--sticky keeps users on one version during a gradual resume: give it with --no-confirm --steps, or later with -a resume --steps',
        );
    }
    const id = this.newId();
    const now = Math.floor(Date.now() / 1000);
    const modules: DeploymentModule[] = [];
    const renames: Command[] = [];
    for (const m of manifest.modules) {
      let old = this.liveApp(m.app, m.routes);
      if (old === m.app) {
        // Apps deployed without colours become the blue version, same processes, no interruption.
        renames.push({ op: 'app.rename', app: m.app, name: `${m.app}-blue` });
        old = `${m.app}-blue`;
      }
      const next = old === `${m.app}-blue` ? `${m.app}-green` : `${m.app}-blue`;
      modules.push({
        name: m.name,
        old_app: old,
        new_app: next,
        routes: m.routes,
        temp_routes: old ? m.routes.map(tempRoute) : [],
      });
    }
    let d: Deployment = {
      id,
      mta: manifest.id,
      version: manifest.version,
      state: 'deploying',
      modules,
      steps: opts.steps ? [...opts.steps] : null,
      interval_ms: opts.intervalMs ?? null,
      max_error_rate: opts.maxErrorRate ?? null,
      max_p99_ms: opts.maxP99Ms ?? null,
      step: null,
      step_started_at: null,
      message: null,
      created_at: now,
      updated_at: now,
    };
    // One change: record the deployment, rename uncoloured apps, push the new apps.
    const pushes: Command[] = manifest.modules.map((m, i) => ({
      op: 'app.push',
      fields: {
        name: modules[i]!.new_app,
        ...(m.command ? { command: m.command, cwd: m.cwd ?? opts.cwd ?? null } : { targets: m.targets }),
        instances: m.instances,
        env: m.env,
        health_path: m.health_path,
        no_route: true,
      },
    }));
    d = this.put(d, {}, [...renames, ...pushes]);
    this.log(
      `[deploy] ${d.id}: deploying ${manifest.id} ${manifest.version ?? ''} (${modules.map((m) => `${m.new_app}${m.old_app ? ` beside ${m.old_app}` : ''}`).join(', ')})`,
    );
    return { deployment: d, done: this.settle(id, opts) };
  }

  /** The rest of a deploy: the new apps answer, then they go live (first deployment) or wait on temporary routes. */
  private async settle(id: string, opts: DeployOptions): Promise<Deployment> {
    const modules = this.get(id).modules;
    try {
      await Promise.all(modules.map((m) => this.awaitHealthy(id, m.new_app, opts.startTimeoutMs ?? 60_000)));
    } catch (e) {
      const now = this.state.deployments.find((x) => x.id === id);
      if (!now || now.state !== 'deploying') return this.get(id);
      return this.put(now, { state: 'failed', message: (e as Error).message });
    }
    let d = this.get(id);
    // Aborted while its apps were starting: the abort said what happens to them.
    if (d.state !== 'deploying') return d;
    const first = modules.every((m) => m.old_app === null);
    if (first) {
      // Nothing to compare with: the first version goes live on its productive routes.
      const maps: Command[] = modules.flatMap((m) =>
        m.routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 1 }) as Command),
      );
      return this.put(
        d,
        { state: 'resumed', message: 'first deployment: live on its productive routes' },
        maps,
      );
    }
    // The new apps answer on temporary routes, and sit on the productive ones at weight 0: no
    // traffic, but a request pinned with X-Switchyard-Upstream reaches them there.
    const temps: Command[] = modules.flatMap((m) => [
      ...m.temp_routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 1 }) as Command),
      ...m.routes.map((r) => ({ op: 'app.map-route', app: m.new_app, route: r, weight: 0 }) as Command),
    ]);
    d = this.put(d, { state: 'pending' }, temps);
    if (opts.noConfirm) return this.resume(id, { sticky: opts.sticky });
    return d;
  }

  /** While deploying: how far each new app is (instances answering of those wanted). */
  progress(d: Deployment): { app: string; healthy: number; desired: number }[] | null {
    if (d.state !== 'deploying') return null;
    return d.modules.map((m) => {
      const st = this.supervisor.status(m.new_app);
      return { app: m.new_app, healthy: st?.healthy ?? 0, desired: st?.desired ?? 0 };
    });
  }

  private async awaitHealthy(id: string, app: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopped) throw new Error('switchyard is shutting down');
      if (this.get(id).state !== 'deploying') return;
      const st = this.supervisor.status(app);
      if (!st) throw new Error(`app ${app} vanished while deploying`);
      if (st.crashed)
        throw new Error(
          `app ${app} crashed: ${st.crashed.reason}; last log lines: ${st.crashed.lines.slice(-5).join(' | ')}`,
        );
      if (st.healthy >= st.desired && !st.rolling) return;
      if (Date.now() > deadline)
        throw new Error(
          `app ${app} did not answer within ${timeoutMs / 1000}s (${st.healthy}/${st.desired} instances)`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The productive routes at `share`% new version (Kf weights: new = share, old = 100 - share). */
  private shiftTo(d: Deployment, share: number): Command[] {
    return d.modules.flatMap((m) =>
      m.routes.flatMap((r) => [
        { op: 'app.map-route', app: m.new_app, route: r, weight: share } as Command,
        ...(m.old_app && this.state.apps.some((a) => a.name === m.old_app)
          ? [{ op: 'app.map-route', app: m.old_app, route: r, weight: 100 - share } as Command]
          : []),
      ]),
    );
  }

  /** The productive routes' services hash on `fields` (none when null): each user keeps its version. */
  private stickTo(d: Deployment, hashing: Hashing | null): Command[] {
    if (hashing === null) return [];
    const fields: Record<string, unknown> = { ...hashing };
    const services = new Set<string>();
    for (const m of d.modules)
      for (const r of m.routes) {
        const id = findKfRoute(this.state, parseRoute(r))?.service?.id;
        if (id) services.add(id);
      }
    return [...services].map((service) => ({ op: 'service.update', service, fields }) as Command);
  }

  /** Resumes a pending deployment: at once, or step by step when it has (or is given) steps. */
  async resume(
    id: string,
    gradual: Pick<DeployOptions, 'steps' | 'intervalMs' | 'maxErrorRate' | 'maxP99Ms' | 'sticky'> = {},
  ): Promise<Deployment> {
    let d = this.allowed(id, 'resume');
    // Checked before anything moves: a bad --sticky changes nothing.
    const sticky = gradual.sticky === undefined ? null : stickyFields(gradual.sticky);
    if (sticky && !(gradual.steps ?? d.steps)?.length) {
      throw new SwitchyardError(
        'invalid',
        '--sticky keeps users on one version during a gradual resume: give --steps too (an immediate resume moves everyone at once)',
      );
    }
    if (gradual.steps) {
      checkSteps(gradual.steps);
      d = {
        ...d,
        steps: [...gradual.steps],
        interval_ms: gradual.intervalMs ?? d.interval_ms ?? 30_000,
        max_error_rate: gradual.maxErrorRate ?? d.max_error_rate,
        max_p99_ms: gradual.maxP99Ms ?? d.max_p99_ms,
      };
    }
    if (d.steps && d.steps.length) {
      const next = this.put(d, { state: 'resuming', step: 0, step_started_at: Date.now(), message: null }, [
        ...this.stickTo(d, sticky),
        ...this.shiftTo(d, d.steps[0]!),
      ]);
      this.schedule(id);
      return next;
    }
    return this.finish(d);
  }

  /** Productive routes to the new apps, temporary routes gone, then old apps drained and deleted. */
  private async finish(d: Deployment): Promise<Deployment> {
    const temps: Command[] = tempRoutesLeft(this.state, d).map(
      (r) => ({ op: 'kf-route.delete', route: r }) as Command,
    );
    const done = this.put(d, { state: 'resumed', step: null, step_started_at: null, message: null }, [
      ...this.shiftTo(d, 100),
      ...temps,
    ]);
    this.log(
      `[deploy] ${d.id}: resumed; retiring ${
        d.modules
          .map((m) => m.old_app)
          .filter(Boolean)
          .join(', ') || 'nothing'
      }`,
    );
    await Promise.all(d.modules.map((m) => (m.old_app ? this.retire(m.old_app) : Promise.resolve())));
    return done;
  }

  /** Stops an app (its instances drain first), waits until its processes are gone, deletes it. */
  private async retire(app: string): Promise<void> {
    if (!this.state.apps.some((a) => a.name === app)) return;
    this.store.dispatch({ op: 'app.stop', app }, 'deploy', { undoable: false });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !this.stopped) {
      const st = this.supervisor.status(app);
      if (!st || st.instances.every((i) => i.state === 'exited')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (this.state.apps.some((a) => a.name === app))
      this.store.dispatch({ op: 'app.delete', app }, 'deploy', { undoable: false });
  }

  abort(id: string, reason?: string): Deployment {
    const d = this.allowed(id, 'abort');
    this.clearTimer(id);
    // The old version takes everything back; the new apps and temporary routes stay for inspection.
    const restore = d.state === 'resuming' ? this.shiftTo(d, 0) : [];
    // Still starting: what it started is stopped (kept, like any aborted version, until cleanup).
    const stops: Command[] =
      d.state === 'deploying'
        ? d.modules
            .filter((m) => this.state.apps.some((a) => a.name === m.new_app && a.state === 'started'))
            .map((m) => ({ op: 'app.stop', app: m.new_app }) as Command)
        : [];
    const message =
      reason ??
      (d.state === 'deploying'
        ? 'aborted by the operator while deploying; its new apps were stopped'
        : 'aborted by the operator');
    return this.put(d, { state: 'aborted', step: null, step_started_at: null, message }, [
      ...restore,
      ...stops,
    ]);
  }

  /** Deletes what an aborted or failed deployment left: its new apps and temporary routes. */
  cleanup(id: string): Deployment {
    const d = this.allowed(id, 'cleanup');
    // The new app of a failed first deploy may be the only version: it goes too, as it never went live.
    const left = leftovers(this.state, d);
    const cmds: Command[] = [
      ...left.routes.map((r) => ({ op: 'kf-route.delete', route: r }) as Command),
      ...left.apps.map((a) => ({ op: 'app.delete', app: a }) as Command),
    ];
    return this.put(d, { message: `${d.message ?? d.state}; cleaned up` }, cmds);
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  /** One gradual step: watch the new version's figures, abort on a breach, go on when the step's time is up. */
  private schedule(id: string): void {
    this.clearTimer(id);
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(id);
      void this.tick(id).catch((e: unknown) => this.log(`[deploy] ${id}: ${(e as Error).message}`));
    }, TICK_MS);
    t.unref();
    this.timers.set(id, t);
  }

  /** The figures a gradual step is judged on, for the new apps over the step so far. */
  figures(d: Deployment): { responses: number; errorRate: number | null; p99: number | null } {
    const snap = this.stats.snapshot();
    let responses = 0;
    let errors = 0;
    let p99: number | null = null;
    for (const m of d.modules) {
      const up = this.state.upstreams.find((u) => u.name === m.new_app);
      const c = up ? snap.upstreams[up.id] : undefined;
      if (!c) continue;
      const base = this.baselines.get(`${d.id}/${d.step}/${up!.id}`) ?? { responses: 0, errors: 0 };
      const total = c.status['1xx'] + c.status['2xx'] + c.status['3xx'] + c.status['4xx'] + c.status['5xx'];
      if (!this.baselines.has(`${d.id}/${d.step}/${up!.id}`))
        this.baselines.set(`${d.id}/${d.step}/${up!.id}`, { responses: total, errors: c.status['5xx'] });
      responses += total - base.responses;
      errors += c.status['5xx'] - base.errors;
      if (c.p99 !== null) p99 = Math.max(p99 ?? 0, c.p99);
    }
    return { responses, errorRate: responses > 0 ? errors / responses : null, p99 };
  }

  private readonly baselines = new Map<string, { responses: number; errors: number }>();

  private async tick(id: string): Promise<void> {
    const d = this.state.deployments.find((x) => x.id === id);
    if (!d || d.state !== 'resuming' || !d.steps || d.step === null) return;
    const f = this.figures(d);
    const share = d.steps[d.step]!;
    if (f.responses >= MIN_RESPONSES) {
      if (d.max_error_rate !== null && f.errorRate !== null && f.errorRate > d.max_error_rate) {
        this.abort(
          id,
          `aborted at step ${share}%: 5xx rate ${(f.errorRate * 100).toFixed(1)}% > ${(d.max_error_rate * 100).toFixed(1)}%`,
        );
        this.log(`[deploy] ${id}: ${this.get(id).message}`);
        return;
      }
      if (d.max_p99_ms !== null && f.p99 !== null && f.p99 > d.max_p99_ms) {
        this.abort(id, `aborted at step ${share}%: p99 ${f.p99.toFixed(0)} ms > ${d.max_p99_ms} ms`);
        this.log(`[deploy] ${id}: ${this.get(id).message}`);
        return;
      }
    }
    if (Date.now() - (d.step_started_at ?? 0) < (d.interval_ms ?? 0)) {
      this.schedule(id);
      return;
    }
    const nextStep = d.step + 1;
    if (nextStep >= d.steps.length || d.steps[d.step] === 100) {
      await this.finish(d);
      return;
    }
    this.put(d, { step: nextStep, step_started_at: Date.now() }, this.shiftTo(d, d.steps[nextStep]!));
    this.schedule(id);
  }
}

function checkSteps(steps: readonly number[]): void {
  if (!steps.length) throw SwitchyardError.schema({ steps: 'give at least one step, e.g. 10,50,100' });
  steps.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1 || s > 100)
      throw SwitchyardError.schema({ [`steps[${i}]`]: 'a step is a percentage 1..100' });
    if (i > 0 && s <= steps[i - 1]!) throw SwitchyardError.schema({ [`steps[${i}]`]: 'steps must increase' });
  });
  if (steps[steps.length - 1] !== 100) throw SwitchyardError.schema({ steps: 'the last step must be 100' });
}
