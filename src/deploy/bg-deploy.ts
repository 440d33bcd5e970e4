/**
 * SAP's `cf bg-deploy` on switchyard: deploy a new version beside the live one, let it answer on
 * temporary routes, and pause until the operator resumes or aborts.
 *
 *   deploying → pending ─ resume ─→ (resuming, step by step) → resumed
 *                       └ abort ──→ aborted (new apps and temporary routes kept for inspection)
 *   any step that cannot complete → failed
 *
 * The deployment record lives in the store (so it survives a restart, and every surface sees it);
 * every routing change is a command. This module only sequences them and waits for instances:
 * the commands of each phase are made in `routing.ts`, a gradual step is judged in `gradual.ts`.
 */
import { randomInt } from 'node:crypto';
import { deployRefusal, deploymentRefusal, type DeploymentAction } from '../core/deployments.js';
import type { Command } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';
import type { Deployment, State } from '../core/model.js';
import type { Store } from '../core/store.js';
import { stickyFields } from '../core/sticky.js';
import type { Supervisor } from '../apps/supervisor.js';
import type { Stats } from '../proxy/stats.js';
import { breach, checkSteps, StepJudge, type StepFigures } from './gradual.js';
import type { Manifest } from './manifest.js';
import {
  aborting,
  cleaning,
  colours,
  finishing,
  goLive,
  pending,
  pushes,
  shiftTo,
  stickTo,
} from './routing.js';

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

const TICK_MS = 200;

export class DeployEngine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly judge: StepJudge;

  constructor(
    private readonly store: Store,
    private readonly supervisor: Supervisor,
    stats: Stats,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.judge = new StepJudge(stats);
  }

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
    const { modules, renames } = colours(this.state, manifest);
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
    d = this.put(d, {}, [...renames, ...pushes(manifest, modules, opts.cwd)]);
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
      return this.put(
        d,
        { state: 'resumed', message: 'first deployment: live on its productive routes' },
        goLive(modules),
      );
    }
    // The new apps answer on temporary routes, and wait on the productive ones at weight 0.
    d = this.put(d, { state: 'pending' }, pending(modules));
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
        ...stickTo(this.state, d, sticky),
        ...shiftTo(this.state, d, d.steps[0]!),
      ]);
      this.schedule(id);
      return next;
    }
    return this.finish(d);
  }

  /** Productive routes to the new apps, temporary routes gone, then old apps drained and deleted. */
  private async finish(d: Deployment): Promise<Deployment> {
    const done = this.put(
      d,
      { state: 'resumed', step: null, step_started_at: null, message: null },
      finishing(this.state, d),
    );
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
    const commands = aborting(this.state, d);
    const message =
      reason ??
      (d.state === 'deploying'
        ? 'aborted by the operator while deploying; its new apps were stopped'
        : 'aborted by the operator');
    return this.put(d, { state: 'aborted', step: null, step_started_at: null, message }, commands);
  }

  /** Deletes what an aborted or failed deployment left: its new apps and temporary routes. */
  cleanup(id: string): Deployment {
    const d = this.allowed(id, 'cleanup');
    return this.put(d, { message: `${d.message ?? d.state}; cleaned up` }, cleaning(this.state, d));
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
  figures(d: Deployment): StepFigures {
    return this.judge.figures(this.state, d);
  }

  private async tick(id: string): Promise<void> {
    const d = this.state.deployments.find((x) => x.id === id);
    if (!d || d.state !== 'resuming' || !d.steps || d.step === null) return;
    const f = this.figures(d);
    const share = d.steps[d.step]!;
    const reason = breach(d, f, share);
    if (reason) {
      this.abort(id, reason);
      this.log(`[deploy] ${id}: ${this.get(id).message}`);
      return;
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
    this.put(d, { step: nextStep, step_started_at: Date.now() }, shiftTo(this.state, d, d.steps[nextStep]!));
    this.schedule(id);
  }
}
