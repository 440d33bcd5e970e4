/**
 * What the supervisor knows of an app's processes: each instance (its port, process, state and
 * pending restart), the app's log and crash record, and the status the surfaces (UI, admin API,
 * bg-deploy) read of it.
 */
import type { ChildProcess } from 'node:child_process';
import type { App, State } from '../core/model.js';
import type { InstanceState, PlanInstance } from './planner.js';
import { HOST, type AppLog } from './runner.js';

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

export class Instance implements PlanInstance {
  port = 0;
  child: ChildProcess | null = null;
  state: InstanceState = 'starting';
  since = Date.now();
  /** Our address is in the upstream. */
  inUpstream = false;
  exited: Promise<void> = Promise.resolve();
  /** The restart scheduled after it exited. */
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly index: number,
    readonly generation: number,
    readonly restarts: number,
  ) {}

  get restartPending(): boolean {
    return this.timer !== null;
  }

  get address(): string {
    return `${HOST}:${this.port}`;
  }
}

export class AppRuntime {
  instances: Instance[] = [];
  crashed: AppStatus['crashed'] = null;
  failuresInARow = 0;

  constructor(
    public app: App,
    readonly log: AppLog,
  ) {}
}

/** The status of `app`: for an app given by addresses, from its upstream; else from its instances. */
export function appStatus(state: State, app: App, rt: AppRuntime | undefined): AppStatus {
  const name = app.name;
  if (app.command === null) {
    const up = state.upstreams.find((u) => u.name === app.name);
    const n = app.state === 'started' ? (up?.targets.length ?? 0) : 0;
    return {
      name,
      healthy: n,
      desired: app.targets?.length ?? 0,
      instances: [],
      crashed: null,
      logFile: null,
      rolling: false,
    };
  }
  const instances = (rt?.instances ?? []).map((i) => ({
    index: i.index,
    generation: i.generation,
    port: i.port,
    pid: i.child?.pid ?? null,
    state: i.state,
    restarts: i.restarts,
    since: i.since,
  }));
  return {
    name,
    healthy: instances.filter((i) => i.state === 'healthy' && i.generation === app.generation).length,
    desired: app.state === 'started' ? app.instances : 0,
    instances,
    crashed: rt?.crashed ?? null,
    logFile: rt?.log.file ?? null,
    rolling: instances.some((i) => i.generation !== app.generation && i.state !== 'exited'),
  };
}
