/**
 * The deployments pane's rows: each open blue-green deployment with its old and new apps (as the
 * apps pane shows them), what is left after an abort, what its keys may do now (core's rules) and
 * how a gradual resume goes. The words about them are in deployment-words.ts. Plain rows, no React.
 */
import { routesByApp } from '../../core/apps.js';
import {
  canDo,
  leftovers,
  openDeployments,
  type DeploymentAction,
  type Leftovers,
} from '../../core/deployments.js';
import type { Deployment, DeploymentModule, State } from '../../core/model.js';
import { ALL_HEALTHY, type HealthOf } from '../../core/traffic.js';
import type { StatsSnapshot } from '../../proxy/stats.js';
import { appRow, type AppRow, type AppStatusOf } from './apps.js';
import { matches } from './common.js';

export interface Figures {
  readonly responses: number;
  readonly errorRate: number | null;
  readonly p99: number | null;
}

/** One side of a module being deployed: its app now (null once deleted). */
export interface DeploySide {
  readonly name: string;
  readonly version: string | null;
  readonly row: AppRow | null;
}

export interface DeploymentRow {
  readonly key: string;
  readonly deployment: Deployment;
  /** The version being replaced, from the deployment that made the old apps live. */
  readonly oldVersion: string | null;
  readonly modules: readonly {
    readonly module: DeploymentModule;
    readonly old: DeploySide | null;
    readonly new: DeploySide;
  }[];
  /** New apps and temporary routes still there after an abort or a failure (`c` removes them). */
  readonly leftovers: Leftovers;
  /** What its keys may do now (`r`, `a`, `c`): core's rules, as the deployer enforces them. */
  readonly can: Readonly<Record<DeploymentAction, boolean>>;
  /** While resuming step by step. */
  readonly figures: Figures | null;
  /** Milliseconds until the next step, while resuming step by step. */
  readonly nextStepMs: number | null;
}

/** The version of `app`: that of the latest deployment of `mta` that made it live. */
function versionOf(state: State, mta: string, app: string, except: string): string | null {
  let best: Deployment | undefined;
  for (const d of state.deployments) {
    if (d.id === except || d.mta !== mta || d.state !== 'resumed') continue;
    if (!d.modules.some((m) => m.new_app === app)) continue;
    if (!best || d.created_at >= best.created_at) best = d;
  }
  return best?.version ?? null;
}

export function deploymentRows(
  state: State,
  stats: StatsSnapshot,
  statusOf: AppStatusOf | undefined,
  figuresOf: ((d: Deployment) => Figures) | undefined,
  filter: string,
  now: number = Date.now(),
  healthy: HealthOf = ALL_HEALTHY,
): DeploymentRow[] {
  const routes = routesByApp(state, healthy);
  const side = (name: string, version: string | null): DeploySide => {
    const app = state.apps.find((a) => a.name === name);
    return { name, version, row: app ? appRow(app, state, stats, statusOf, routes) : null };
  };
  return openDeployments(state)
    .filter((d) => matches(filter, d.id, d.mta, ...d.modules.flatMap((m) => [m.new_app, m.old_app ?? ''])))
    .map((d) => {
      const modules = d.modules.map((m) => ({
        module: m,
        old: m.old_app ? side(m.old_app, versionOf(state, d.mta, m.old_app, d.id)) : null,
        new: side(m.new_app, d.version),
      }));
      const resuming = d.state === 'resuming' && d.step !== null;
      return {
        key: d.id,
        deployment: d,
        oldVersion: modules.find((m) => m.old?.version)?.old?.version ?? null,
        modules,
        leftovers: leftovers(state, d),
        can: {
          resume: canDo(state, d, 'resume'),
          abort: canDo(state, d, 'abort'),
          cleanup: canDo(state, d, 'cleanup'),
        },
        figures: resuming && figuresOf ? figuresOf(d) : null,
        // `now` is the stats sample's time, which may be a little older than the step.
        nextStepMs: resuming
          ? Math.min(d.interval_ms ?? 0, Math.max(0, (d.step_started_at ?? now) + (d.interval_ms ?? 0) - now))
          : null,
      };
    });
}
