/**
 * Runs the local processes of apps pushed with a command, and keeps each app's upstream targets
 * equal to its instances that answer. It is a reconciler: the store says what should run
 * (started or stopped, command, instances, generation); after every change the supervisor
 * converges the processes and dispatches target changes as instances become healthy or die.
 *
 * Rolling replace (a push or restart bumps the generation): start one new instance, wait until it
 * answers, add it, take one old instance out of the upstream, let its requests drain, stop it;
 * repeat until all are new. Crashes restart with backoff; an app whose instances keep dying before
 * they ever answer is marked crashed with its last log lines, and not retried until pushed again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { App, State } from '../core/model.js';
import type { Store } from '../core/store.js';
import { answers, probe } from '../proxy/probe.js';

export type InstanceState = 'starting' | 'healthy' | 'draining' | 'stopping' | 'exited';

export interface InstanceStatus {
  readonly index: number;
  readonly generation: number;
  readonly port: number;
  readonly pid: number | null;
  readonly state: InstanceState;
  readonly restarts: number;
  readonly since: number;
}

export interface AppStatus {
  readonly name: string;
  readonly healthy: number;
  readonly desired: number;
  readonly instances: readonly InstanceStatus[];
  /** Set when instances kept dying before answering: the reason and the last log lines. */
  readonly crashed: { readonly reason: string; readonly lines: readonly string[] } | null;
  readonly logFile: string | null;
  /** True while instances of an older generation are still being replaced. */
  readonly rolling: boolean;
}

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

const HOST = '127.0.0.1';
const LOG_LINES = 200;
/** An app whose instances die this many times in a row without ever answering is crashed. */
const CRASH_LIMIT = 3;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16000, 30000];

interface Instance {
  readonly index: number;
  readonly generation: number;
  port: number;
  child: ChildProcess | null;
  state: InstanceState;
  restarts: number;
  since: number;
  /** Our address is in the upstream. */
  inUpstream: boolean;
  exited: Promise<void>;
  timer: NodeJS.Timeout | null;
}

class AppRuntime {
  app: App;
  instances: Instance[] = [];
  lines: string[] = [];
  crashed: AppStatus['crashed'] = null;
  failuresInARow = 0;
  logStream: fs.WriteStream | null = null;
  crashedGeneration = -1;

  constructor(
    app: App,
    readonly logFile: string,
  ) {
    this.app = app;
  }

  write(prefix: string, chunk: string): void {
    const parts = chunk.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const line of parts) {
      const l = `${prefix} ${line}`;
      this.lines.push(l);
      this.logStream?.write(`${new Date().toISOString()} ${l}\n`);
    }
    if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class Supervisor {
  private readonly runtimes = new Map<string, AppRuntime>();
  private readonly store: Store;
  private scheduled = false;
  private started = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly log: (line: string) => void;

  constructor(private readonly options: SupervisorOptions) {
    this.store = options.store;
    this.log = options.log ?? (() => {});
    fs.mkdirSync(options.logDir, { recursive: true });
    this.unsubscribe = this.store.subscribe(() => this.schedule());
  }

  /** Clears addresses left in the state by a previous run: those processes are gone. */
  clearStale(): void {
    for (const app of this.store.state.apps) {
      if (app.command === null) continue;
      const up = this.store.state.upstreams.find((u) => u.name === app.name);
      for (const t of up?.targets ?? []) this.dispatchSystem({ op: 'target.delete', upstream: app.name, target: t.id });
    }
  }

  /** Starts converging: from now on every change of the state is followed. */
  start(): void {
    this.started = true;
    this.reconcile();
  }

  private dispatchSystem(cmd: Parameters<Store['dispatch']>[0]): boolean {
    try {
      this.store.dispatch(cmd, 'supervisor', { system: true });
      return true;
    } catch (e) {
      this.log(`[supervisor] ${(e as Error).message}`);
      return false;
    }
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
    const rt = this.runtimes.get(app.id);
    if (app.command === null) {
      const up = this.store.state.upstreams.find((u) => u.name === app.name);
      const n = app.state === 'started' ? (up?.targets.length ?? 0) : 0;
      return { name, healthy: n, desired: app.targets?.length ?? 0, instances: [], crashed: null, logFile: null, rolling: false };
    }
    const instances = (rt?.instances ?? []).map((i) => ({ index: i.index, generation: i.generation, port: i.port, pid: i.child?.pid ?? null, state: i.state, restarts: i.restarts, since: i.since }));
    return {
      name,
      healthy: instances.filter((i) => i.state === 'healthy' && i.generation === app.generation).length,
      desired: app.state === 'started' ? app.instances : 0,
      instances,
      crashed: rt?.crashed ?? null,
      logFile: rt?.logFile ?? null,
      rolling: instances.some((i) => i.generation !== app.generation && i.state !== 'exited'),
    };
  }

  logs(name: string, lines = 100): string[] | undefined {
    const app = this.store.state.apps.find((a) => a.name === name);
    if (!app) return undefined;
    return (this.runtimes.get(app.id)?.lines ?? []).slice(-lines);
  }

  /** Converges processes and upstream targets with the state. Idempotent. */
  reconcile(): void {
    if (this.stopped || !this.started) return;
    const state = this.store.state;
    const live = new Set<string>();
    for (const app of state.apps) {
      if (app.command === null) {
        this.admitAddresses(app, state);
        continue;
      }
      live.add(app.id);
      let rt = this.runtimes.get(app.id);
      if (!rt) {
        rt = new AppRuntime(app, path.join(this.options.logDir, `${app.name}.log`));
        rt.logStream = fs.createWriteStream(rt.logFile, { flags: 'a' });
        this.runtimes.set(app.id, rt);
      }
      if (rt.app !== app) {
        // Pushed, restarted, started or stopped: a crashed app gets a fresh chance.
        rt.crashed = null;
        rt.failuresInARow = 0;
      }
      rt.app = app;
      this.converge(rt, state);
    }
    for (const id of this.admitted.keys()) if (!state.apps.some((a) => a.id === id && a.command === null)) this.admitted.delete(id);
    for (const [id, rt] of this.runtimes) {
      if (live.has(id)) continue;
      // Deleted (or no longer a process app): stop everything, each instance once the data plane
      // stopped sending to it and its requests are done (HAProxy takes the change a few ms after
      // the store: a process killed at once still got requests, and answered them with a reset).
      void this.stopInstances(rt, rt.instances, true);
      rt.instances = [];
      rt.logStream?.end();
      this.runtimes.delete(id);
    }
  }

  /** Per app given by addresses: those whose port has answered (or health path returned 2xx). */
  private readonly admitted = new Map<string, Set<string>>();
  private readonly probing = new Set<string>();

  /**
   * An app given by addresses: each one joins the upstream once it answers, as a process
   * instance does; an address no longer given leaves. After that, the proxy's health checks
   * watch it like any target.
   */
  private admitAddresses(app: App, state: State): void {
    const up = state.upstreams.find((u) => u.name === app.name);
    if (!up) return;
    const want = new Set(app.targets ?? []);
    let admitted = this.admitted.get(app.id);
    if (!admitted) {
      // Addresses already in the upstream (a restart of switchyard) were admitted before.
      admitted = new Set(up.targets.map((t) => t.target).filter((a) => want.has(a)));
      this.admitted.set(app.id, admitted);
    }
    for (const a of [...admitted]) if (!want.has(a)) admitted.delete(a);
    for (const t of up.targets) if (!admitted.has(t.target)) this.dispatchSystem({ op: 'target.delete', upstream: up.name, target: t.id });
    for (const a of admitted) if (!up.targets.some((t) => t.target === a)) this.dispatchSystem({ op: 'target.create', upstream: up.name, fields: { target: a, weight: 100 } });
    for (const a of want) if (!admitted.has(a)) void this.probeUntilUp(app.id, a, admitted);
  }

  private async probeUntilUp(appId: string, address: string, admitted: Set<string>): Promise<void> {
    const key = `${appId}/${address}`;
    if (this.probing.has(key)) return;
    this.probing.add(key);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
    try {
      while (m && !this.stopped) {
        const app = this.store.state.apps.find((a) => a.id === appId);
        if (!app || !(app.targets ?? []).includes(address)) return;
        if (answers(await probe((m[1] as string).replace(/^\[|\]$/g, ''), Number(m[2]), { path: app.health_path }))) {
          admitted.add(address);
          this.log(`[supervisor] ${app.name}: ${address} answers; it takes traffic`);
          this.schedule();
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      this.probing.delete(key);
    }
  }

  private converge(rt: AppRuntime, state: State): void {
    const app = rt.app;
    rt.instances = rt.instances.filter((i) => i.state !== 'exited' || i.timer !== null);
    const active = rt.instances.filter((i) => i.state !== 'stopping' && i.state !== 'exited' && i.state !== 'draining');
    if (app.state === 'stopped') {
      void this.stopInstances(rt, active, true);
    } else if (!rt.crashed) {
      const current = active.filter((i) => i.generation === app.generation);
      const old = active.filter((i) => i.generation !== app.generation);
      const starting = current.filter((i) => i.state === 'starting').length;
      const waiting = rt.instances.filter((i) => i.generation === app.generation && i.state === 'exited' && i.timer !== null).length;
      const missing = app.instances - current.length - waiting;
      if (old.length > 0) {
        // Rolling: one new instance at a time; retire one old one for each new one that answers.
        if (missing > 0 && starting === 0) this.startInstance(rt, this.nextIndex(rt), 0);
        const healthyNew = current.filter((i) => i.state === 'healthy').length;
        const retire = old.length - Math.max(0, app.instances - healthyNew);
        const oldestFirst = [...old].sort((a, b) => a.generation - b.generation || a.index - b.index);
        void this.stopInstances(rt, oldestFirst.slice(0, Math.max(0, retire)), true);
      } else {
        for (let k = 0; k < missing; k++) this.startInstance(rt, this.nextIndex(rt), 0);
        const extra = current.length - app.instances;
        if (extra > 0) void this.stopInstances(rt, [...current].sort((a, b) => b.index - a.index).slice(0, extra), true);
      }
    }
    this.syncTargets(rt, state);
  }

  private nextIndex(rt: AppRuntime): number {
    const used = new Set(rt.instances.filter((i) => i.state !== 'exited' || i.timer !== null).map((i) => i.index));
    let n = 0;
    while (used.has(n)) n++;
    return n;
  }

  /** The upstream's targets are exactly the instances that answer and are not being retired. */
  private syncTargets(rt: AppRuntime, state: State): void {
    const up = state.upstreams.find((u) => u.name === rt.app.name);
    if (!up) return;
    const want = new Set(rt.instances.filter((i) => i.state === 'healthy' && rt.app.state === 'started').map((i) => `${HOST}:${i.port}`));
    for (const t of up.targets) if (!want.has(t.target)) this.dispatchSystem({ op: 'target.delete', upstream: up.name, target: t.id });
    const have = new Set(up.targets.map((t) => t.target));
    for (const addr of want) if (!have.has(addr)) this.dispatchSystem({ op: 'target.create', upstream: up.name, fields: { target: addr, weight: 100 } });
    for (const i of rt.instances) i.inUpstream = want.has(`${HOST}:${i.port}`);
  }

  private startInstance(rt: AppRuntime, index: number, restarts: number): void {
    const app = rt.app;
    const inst: Instance = { index, generation: app.generation, port: 0, child: null, state: 'starting', restarts, since: Date.now(), inUpstream: false, exited: Promise.resolve(), timer: null };
    rt.instances.push(inst);
    void freePort().then((port) => {
      if (this.stopped || inst.state !== 'starting') return;
      inst.port = port;
      const prefix = `[${app.name}/${index}]`;
      rt.write(prefix, `starting: ${app.command} (PORT=${port})`);
      let child: ChildProcess;
      try {
        child = spawn('sh', ['-c', app.command as string], {
          cwd: app.cwd ?? process.cwd(),
          // The app's own --env wins over APP_NAME; PORT and INSTANCE_INDEX are switchyard's to give.
          env: { ...process.env, APP_NAME: app.name, ...app.env, PORT: String(port), INSTANCE_INDEX: String(index) },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
      } catch (e) {
        rt.write(prefix, `could not start: ${(e as Error).message}`);
        this.onExit(rt, inst, null, `could not start: ${(e as Error).message}`);
        return;
      }
      inst.child = child;
      child.stdout?.setEncoding('utf8').on('data', (c: string) => rt.write(prefix, c));
      child.stderr?.setEncoding('utf8').on('data', (c: string) => rt.write(prefix, c));
      inst.exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          rt.write(prefix, `exited ${signal ? `on ${signal}` : `with code ${code}`}`);
          this.onExit(rt, inst, code, signal ? `killed by ${signal}` : `exited with code ${code}`);
          resolve();
        });
        child.once('error', (e) => {
          rt.write(prefix, `error: ${e.message}`);
        });
      });
      void this.awaitHealthy(rt, inst);
    });
  }

  private async awaitHealthy(rt: AppRuntime, inst: Instance): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    while (inst.state === 'starting' && !this.stopped) {
      if (answers(await probe(HOST, inst.port, { path: rt.app.health_path }))) {
        if (inst.state !== 'starting') return;
        inst.state = 'healthy';
        inst.since = Date.now();
        rt.failuresInARow = 0;
        rt.write(`[${rt.app.name}/${inst.index}]`, `healthy on ${HOST}:${inst.port}`);
        this.log(`[supervisor] ${rt.app.name}/${inst.index} healthy on ${HOST}:${inst.port}`);
        this.reconcile();
        return;
      }
      if (Date.now() > deadline) {
        rt.write(`[${rt.app.name}/${inst.index}]`, `did not answer on port ${inst.port} within ${(this.options.startTimeoutMs ?? 30_000) / 1000}s`);
        await this.stopInstance(rt, inst, false);
        this.onFailure(rt, inst, `instance ${inst.index} did not answer on its PORT in time`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private onExit(rt: AppRuntime, inst: Instance, _code: number | null, reason: string): void {
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
      rt.crashed = { reason: `${reason} (${rt.failuresInARow} times in a row without answering)`, lines: rt.lines.slice(-20) };
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
    const delay = BACKOFF_MS[Math.min(inst.restarts, BACKOFF_MS.length - 1)] as number;
    inst.timer = setTimeout(() => {
      inst.timer = null;
      rt.instances = rt.instances.filter((i) => i !== inst);
      const app = this.store.state.apps.find((a) => a.id === rt.app.id);
      if (!app || app.state !== 'started' || rt.crashed || this.stopped || app.generation !== inst.generation) {
        this.schedule();
        return;
      }
      this.startInstance(rt, inst.index, inst.restarts + 1);
    }, delay);
    inst.timer.unref();
  }

  /** Takes an instance out of the upstream, lets its requests finish, then stops it. */
  private stopInstance(rt: AppRuntime, inst: Instance, drain: boolean): Promise<void> {
    return this.stopInstances(rt, [inst], drain).then(() => undefined);
  }

  /**
   * Takes instances out of the upstream together, lets each one's requests finish (through the
   * data plane), then stops it. Together: whether an instance was taking traffic is read for all
   * of them before the upstream is synced once (syncing after the first would mark the others
   * as out already, and they would be killed without a drain).
   */
  private async stopInstances(rt: AppRuntime, list: readonly Instance[], drain: boolean): Promise<void> {
    const stopping = list.filter((i) => i.state !== 'stopping' && i.state !== 'exited' && i.state !== 'draining');
    const wasInUpstream = new Map(stopping.map((i) => [i, i.inUpstream]));
    for (const i of stopping) i.state = drain && i.inUpstream ? 'draining' : 'stopping';
    if (stopping.some((i) => wasInUpstream.get(i))) this.syncTargets(rt, this.store.state);
    const already = list.filter((i) => !stopping.includes(i)).map((i) => i.exited);
    await Promise.all([
      ...already,
      ...stopping.map(async (inst) => {
        if (drain && wasInUpstream.get(inst)) {
          // The target left the routing table above; the data plane says when its requests are done.
          const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
          if (!this.stopped) await this.options.drain(`${HOST}:${inst.port}`, deadline);
          inst.state = 'stopping';
        }
        await this.kill(inst);
      }),
    ]);
  }

  private async kill(inst: Instance): Promise<void> {
    const child = inst.child;
    if (!child || child.exitCode !== null || child.pid === undefined) {
      inst.state = 'exited';
      return;
    }
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    signal('SIGTERM');
    const forced = setTimeout(() => signal('SIGKILL'), 3000);
    await inst.exited;
    clearTimeout(forced);
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
    for (const rt of this.runtimes.values()) rt.logStream?.end();
  }
}
