/**
 * Runs the local processes of apps pushed with a command, and keeps each app's upstream targets
 * equal to its instances that answer. It is a reconciler: the store says what should run
 * (started or stopped, command, instances, generation); after every change the supervisor asks
 * the planner (`planner.ts`) what to start and stop, carries it out with the runner
 * (`runner.ts`), and keeps the targets in step (`targets.ts`) as instances become healthy or die.
 * Apps given by addresses are admitted by the prober (`prober.ts`).
 *
 * Crashes restart with backoff; an app whose instances keep dying before they ever answer is
 * marked crashed with its last log lines, and not retried until pushed again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../core/store.js';
import { AppRuntime, appStatus, Instance, type AppStatus } from './instance.js';
import { backoffMs, CRASH_LIMIT, gone, plan, takesTraffic } from './planner.js';
import { AddressProber, pollUntilAnswers } from './prober.js';
import { alive, AppLog, freePort, HOST, run, terminate } from './runner.js';
import { TargetSync } from './targets.js';

export type { InstanceState } from './planner.js';
export type { AppStatus, InstanceStatus } from './instance.js';

export interface SupervisorOptions {
  readonly store: Store;
  /** Where per-app log files go. */
  readonly logDir: string;
  readonly log?: (line: string) => void;
  /** How long an instance may take to answer. @default 30000 */
  readonly startTimeoutMs?: number;
  /** How long a retired instance may take to finish its requests. @default 10000 */
  readonly drainTimeoutMs?: number;
  /**
   * Waits (until `deadline`) for the data plane to stop sending to an address and finish what it
   * sent: the in-process proxy has taken the change when the store returns and counts what is
   * still in flight; HAProxy takes it a few ms later and counts its open sessions.
   */
  readonly drain: (address: string, deadline: number) => Promise<void>;
}

export class Supervisor {
  private readonly runtimes = new Map<string, AppRuntime>();
  private readonly store: Store;
  private scheduled = false;
  private started = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly log: (line: string) => void;
  private readonly targets: TargetSync;
  private readonly addresses: AddressProber;

  constructor(private readonly options: SupervisorOptions) {
    this.store = options.store;
    this.log = options.log ?? (() => {});
    this.targets = new TargetSync(this.store, this.log);
    this.addresses = new AddressProber({
      store: this.store,
      targets: this.targets,
      log: this.log,
      changed: () => this.schedule(),
      stopped: () => this.stopped,
    });
    fs.mkdirSync(options.logDir, { recursive: true });
    this.unsubscribe = this.store.subscribe(() => this.schedule());
  }

  /** Clears addresses left in the state by a previous run: those processes are gone. */
  clearStale(): void {
    this.targets.clearStale();
  }

  /** Starts converging: from now on every change of the state is followed. */
  start(): void {
    this.started = true;
    this.reconcile();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || !this.started) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  status(name: string): AppStatus | undefined {
    const app = this.store.state.apps.find((a) => a.name === name);
    if (!app) return undefined;
    return appStatus(this.store.state, app, this.runtimes.get(app.id));
  }

  logs(name: string, lines = 100): string[] | undefined {
    const app = this.store.state.apps.find((a) => a.name === name);
    if (!app) return undefined;
    return (this.runtimes.get(app.id)?.log.lines ?? []).slice(-lines);
  }

  /** Converges processes and upstream targets with the state. Idempotent. */
  reconcile(): void {
    if (this.stopped || !this.started) return;
    const state = this.store.state;
    const live = new Set<string>();
    for (const app of state.apps) {
      if (app.command === null) {
        this.addresses.admit(app, state);
        continue;
      }
      live.add(app.id);
      let rt = this.runtimes.get(app.id);
      if (!rt) {
        rt = new AppRuntime(app, new AppLog(path.join(this.options.logDir, `${app.name}.log`)));
        this.runtimes.set(app.id, rt);
      }
      if (rt.app !== app) {
        // Pushed, restarted, started or stopped: a crashed app gets a fresh chance.
        rt.crashed = null;
        rt.failuresInARow = 0;
      }
      rt.app = app;
      this.converge(rt);
    }
    this.addresses.forget(state);
    for (const [id, rt] of this.runtimes) {
      if (live.has(id)) continue;
      // Deleted (or no longer a process app): stop everything, each instance once the data plane
      // stopped sending to it and its requests are done (HAProxy takes the change a few ms after
      // the store: a process killed at once still got requests, and answered them with a reset).
      void this.stopInstances(rt, rt.instances, true);
      rt.instances = [];
      rt.log.end();
      this.runtimes.delete(id);
    }
  }

  private converge(rt: AppRuntime): void {
    rt.instances = rt.instances.filter((i) => !gone(i));
    const next = plan(rt.app, rt.instances, rt.crashed !== null);
    for (const index of next.start) this.startInstance(rt, index, 0);
    if (next.stop.length) void this.stopInstances(rt, next.stop, true);
    this.syncTargets(rt);
  }

  /**
   * The upstream's targets are exactly the instances that answer and are not being retired, read
   * against the store as it is now: a change made earlier in the same pass (or by a reconcile it
   * set off) is not made twice.
   */
  private syncTargets(rt: AppRuntime): void {
    const want = new Set(rt.instances.filter((i) => takesTraffic(rt.app, i)).map((i) => i.address));
    if (!this.targets.sync(this.store.state, rt.app.name, want)) return;
    for (const i of rt.instances) i.inUpstream = want.has(i.address);
  }

  private startInstance(rt: AppRuntime, index: number, restarts: number): void {
    const app = rt.app;
    const inst = new Instance(index, app.generation, restarts);
    rt.instances.push(inst);
    void freePort().then((port) => {
      if (this.stopped || inst.state !== 'starting') return;
      inst.port = port;
      const prefix = `[${app.name}/${index}]`;
      rt.log.write(prefix, `starting: ${app.command} (PORT=${port})`);
      try {
        const running = run({
          command: app.command as string,
          cwd: app.cwd ?? process.cwd(),
          // The app's own --env wins over APP_NAME; PORT and INSTANCE_INDEX are switchyard's to give.
          env: {
            ...process.env,
            APP_NAME: app.name,
            ...app.env,
            PORT: String(port),
            INSTANCE_INDEX: String(index),
          },
          output: (c) => rt.log.write(prefix, c),
          onExit: (reason) => this.onExit(rt, inst, reason),
        });
        inst.child = running.child;
        inst.exited = running.exited;
      } catch (e) {
        rt.log.write(prefix, `could not start: ${(e as Error).message}`);
        this.onExit(rt, inst, `could not start: ${(e as Error).message}`);
        return;
      }
      void this.awaitHealthy(rt, inst);
    });
  }

  private async awaitHealthy(rt: AppRuntime, inst: Instance): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const outcome = await pollUntilAnswers({
      host: HOST,
      port: inst.port,
      path: () => rt.app.health_path,
      keepGoing: () => inst.state === 'starting' && !this.stopped,
      everyMs: 100,
      deadline: Date.now() + timeoutMs,
    });
    const prefix = `[${rt.app.name}/${inst.index}]`;
    if (outcome === 'answers') {
      if (inst.state !== 'starting') return;
      inst.state = 'healthy';
      inst.since = Date.now();
      rt.failuresInARow = 0;
      rt.log.write(prefix, `healthy on ${inst.address}`);
      this.log(`[supervisor] ${rt.app.name}/${inst.index} healthy on ${inst.address}`);
      this.reconcile();
    } else if (outcome === 'timeout') {
      rt.log.write(prefix, `did not answer on port ${inst.port} within ${timeoutMs / 1000}s`);
      await this.stopInstances(rt, [inst], false);
      this.onFailure(rt, inst, `instance ${inst.index} did not answer on its PORT in time`);
    }
  }

  private onExit(rt: AppRuntime, inst: Instance, reason: string): void {
    const expected = inst.state === 'stopping' || inst.state === 'draining' || this.stopped;
    const wasHealthy = inst.state === 'healthy';
    inst.state = 'exited';
    inst.child = null;
    if (expected) {
      this.schedule();
      return;
    }
    if (!wasHealthy) this.onFailure(rt, inst, reason);
    else {
      rt.failuresInARow = 0;
      this.restartLater(rt, inst);
    }
    this.schedule();
  }

  private onFailure(rt: AppRuntime, inst: Instance, reason: string): void {
    rt.failuresInARow++;
    if (rt.failuresInARow >= CRASH_LIMIT) {
      rt.crashed = {
        reason: `${reason} (${rt.failuresInARow} times in a row without answering)`,
        lines: rt.log.lines.slice(-20),
      };
      this.log(`[supervisor] app ${rt.app.name} crashed: ${reason}`);
      for (const i of rt.instances) {
        if (i.timer) clearTimeout(i.timer);
        i.timer = null;
      }
      this.schedule();
      return;
    }
    this.restartLater(rt, inst);
  }

  private restartLater(rt: AppRuntime, inst: Instance): void {
    inst.timer = setTimeout(() => {
      inst.timer = null;
      rt.instances = rt.instances.filter((i) => i !== inst);
      const app = this.store.state.apps.find((a) => a.id === rt.app.id);
      if (
        !app ||
        app.state !== 'started' ||
        rt.crashed ||
        this.stopped ||
        app.generation !== inst.generation
      ) {
        this.schedule();
        return;
      }
      this.startInstance(rt, inst.index, inst.restarts + 1);
    }, backoffMs(inst.restarts));
    inst.timer.unref();
  }

  /**
   * Takes instances out of the upstream together, lets each one's requests finish (through the
   * data plane), then stops it. Together: whether an instance was taking traffic is read for all
   * of them before the upstream is synced once (syncing after the first would mark the others
   * as out already, and they would be killed without a drain).
   */
  private async stopInstances(rt: AppRuntime, list: readonly Instance[], drain: boolean): Promise<void> {
    const stopping = list.filter(
      (i) => i.state !== 'stopping' && i.state !== 'exited' && i.state !== 'draining',
    );
    const wasInUpstream = new Map(stopping.map((i) => [i, i.inUpstream]));
    for (const i of stopping) i.state = drain && i.inUpstream ? 'draining' : 'stopping';
    if (stopping.some((i) => wasInUpstream.get(i))) this.syncTargets(rt);
    const already = list.filter((i) => !stopping.includes(i)).map((i) => i.exited);
    await Promise.all([
      ...already,
      ...stopping.map(async (inst) => {
        if (drain && wasInUpstream.get(inst)) {
          // The target left the routing table above; the data plane says when its requests are done.
          const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
          if (!this.stopped) await this.options.drain(inst.address, deadline);
          inst.state = 'stopping';
        }
        await this.kill(inst);
      }),
    ]);
  }

  private async kill(inst: Instance): Promise<void> {
    if (!alive(inst.child)) {
      inst.state = 'exited';
      return;
    }
    await terminate(inst.child, inst.exited);
  }

  /** Stops every instance (on shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    const all: Promise<void>[] = [];
    for (const rt of this.runtimes.values()) {
      for (const i of rt.instances) {
        if (i.timer) clearTimeout(i.timer);
        i.timer = null;
        all.push(this.kill(i));
      }
    }
    await Promise.all(all);
    for (const rt of this.runtimes.values()) rt.log.end();
  }
}
