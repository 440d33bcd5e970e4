/**
 * What the panels show, computed from the state, the routing table's health flags and a stats
 * snapshot: plain rows, no React, so they are easy to test and cheap to rebuild a few times a
 * second.
 */
import type { AppStatus } from '../apps/supervisor.js';
import { routesByApp, type RouteShare } from '../core/apps.js';
import { canDo, leftovers, openDeployments, type DeploymentAction, type Leftovers } from '../core/deployments.js';
import {
  routeLabel,
  serviceLabel,
  type App,
  type Deployment,
  type DeploymentModule,
  type Route,
  type Service,
  type State,
  type Target,
  type Upstream,
} from '../core/model.js';
import { ALL_HEALTHY, serviceServes, splitInForce, upstreamInForce, type HealthOf } from '../core/traffic.js';
import type { CounterSnapshot, StatsSnapshot } from '../proxy/stats.js';
import { focusIndex } from './split.js';
import { fmtDuration, fmtMs, wrap } from './format.js';
import type { Tone } from './theme.js';

export interface SplitPart {
  readonly name: string;
  /** Its weight in the split, as configured (what the slider moves). */
  readonly weight: number;
  /** The share it really gets, exact, in percent (see core/traffic.ts). */
  readonly share: number;
  /** The same in whole percent; a split's sum to 100, or are all 0 when nothing takes traffic. */
  readonly percent: number;
  /** No target that can take traffic (a stopped app, no targets, all at weight 0 or down): it gets nothing. */
  readonly idle: boolean;
}

export interface ServiceRow {
  readonly key: string;
  /** The service, or null for a route that has none. */
  readonly service: Service | null;
  readonly name: string;
  /** The routes that reach it, as `host/path`. */
  readonly routes: readonly string[];
  /** Its split over upstreams; undefined when it sends to a literal address. */
  readonly split: readonly SplitPart[] | undefined;
  /** Which part the arrows move (the second of two, or the focused one of more). */
  readonly focus: number;
  /** `host:port` for a service on a literal address. */
  readonly address?: string;
  readonly stats: CounterSnapshot | undefined;
  /** Nothing it sends to can take traffic: its routes answer 503. */
  readonly noTarget: boolean;
}

export interface Health {
  readonly tone: Tone;
  readonly symbol: 'live' | 'pending' | 'failing' | 'stopped';
  readonly word: string;
}

export interface TargetRow {
  readonly kind: 'upstream' | 'target';
  readonly key: string;
  readonly upstream: Upstream;
  readonly target?: Target;
  /** Position of the upstream in the state (its colour). */
  readonly upstreamIndex: number;
  readonly name: string;
  readonly weight: number;
  /** Configured share in percent: a target's within its upstream, an upstream's within the selected service. */
  readonly conf: number | undefined;
  /** Observed share of requests per second, same basis as `conf`. */
  readonly obs: number | undefined;
  readonly health: Health;
  readonly stats: CounterSnapshot | undefined;
}

function routeText(r: Route): string {
  const host = r.hosts?.length ? r.hosts.join(',') : r.name && !r.paths?.length ? routeLabel(r) : '*';
  const path = r.paths?.length ? r.paths.join(',') : '';
  return `${host}${path}`;
}

function matches(filter: string, ...texts: readonly string[]): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(f));
}

export function serviceRows(
  state: State,
  stats: StatsSnapshot,
  filter: string,
  focus: Readonly<Record<string, string>>,
  healthy: HealthOf = ALL_HEALTHY,
): ServiceRow[] {
  const rows: ServiceRow[] = [];
  for (const s of state.services) {
    const routes = state.routes.filter((r) => r.service?.id === s.id).map(routeText);
    const name = serviceLabel(s);
    const split = splitInForce(state, s, healthy);
    if (!matches(filter, name, ...routes, ...(split ?? []).map((e) => e.name))) continue;
    rows.push({
      key: s.id,
      service: s,
      name,
      routes,
      split: split?.map((p) => ({ name: p.name, weight: p.weight, share: p.share * 100, percent: p.percent, idle: !p.serving })),
      noTarget: !serviceServes(state, s, healthy),
      focus: split ? focusIndex(split, focus[s.id]) : 0,
      address: split ? undefined : `${s.host}:${s.port}`,
      stats: stats.services[s.id],
    });
  }
  for (const r of state.routes) {
    if (r.service !== null && state.services.some((s) => s.id === r.service?.id)) continue;
    const text = routeText(r);
    if (!matches(filter, text)) continue;
    rows.push({
      key: r.id,
      service: null,
      name: '',
      routes: [text],
      split: undefined,
      focus: 0,
      stats: stats.routes[r.id],
      noTarget: false,
    });
  }
  return rows;
}

const LIVE: Health = { tone: 'live', symbol: 'live', word: 'up' };
const OFF: Health = { tone: 'stopped', symbol: 'stopped', word: 'off' };
const DOWN: Health = { tone: 'failing', symbol: 'failing', word: 'down' };
const DRAIN: Health = { tone: 'pending', symbol: 'pending', word: 'drain' };
const STOPPED: Health = { tone: 'stopped', symbol: 'stopped', word: 'stop' };
const FAILING: Health = { tone: 'failing', symbol: 'failing', word: 'fail' };
const ERRORS: Health = { tone: 'pending', symbol: 'pending', word: 'errs' };

/** Attempts and failed attempts (connection errors, 5xx) between two snapshots. */
function recent(
  now: CounterSnapshot | undefined,
  before: CounterSnapshot | undefined,
): { attempts: number; failed: number } {
  if (!now) return { attempts: 0, failed: 0 };
  const failed = now.errors + now.status['5xx'] - ((before?.errors ?? 0) + (before?.status['5xx'] ?? 0));
  return { attempts: now.requests - (before?.requests ?? 0), failed: Math.max(0, failed) };
}

/**
 * A target's state: off (weight 0 in force, as in a stopped app), draining (the same, requests
 * still in flight), down (the proxy skips it), failing (most of its recent attempts failed),
 * erroring (some did), or up.
 */
function targetHealth(
  weight: number,
  healthy: boolean,
  stats: CounterSnapshot | undefined,
  before: CounterSnapshot | undefined,
): Health {
  if (weight === 0) return (stats?.inFlight ?? 0) > 0 ? DRAIN : OFF;
  if (!healthy) return DOWN;
  const { attempts, failed } = recent(stats, before);
  if (failed > 0 && failed * 2 >= attempts) return FAILING;
  if (failed > 0) return ERRORS;
  return LIVE;
}

function upstreamHealth(u: Upstream, targets: readonly Health[]): Health {
  const weighted = targets.filter((h) => h !== OFF && h !== DRAIN);
  if (weighted.length === 0) return { ...OFF, word: u.targets.length ? 'off' : 'empty' };
  const up = weighted.filter((h) => h === LIVE).length;
  const word = `${up}/${weighted.length}`;
  if (up === weighted.length) return { ...LIVE, word };
  if (up === 0) return { ...DOWN, word };
  return { tone: 'pending', symbol: 'pending', word };
}

/**
 * Upstreams (each followed by its targets). Shares: a target's within its upstream; an
 * upstream's within `selected`, the service under the cursor (none when it is not in its split).
 */
export function targetRows(
  state: State,
  stats: StatsSnapshot,
  healthy: HealthOf,
  selected: Service | null,
  filter: string,
  before: StatsSnapshot = stats,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const split = selected ? splitInForce(state, selected, healthy) : undefined;
  const splitRate = split ? split.reduce((a, e) => a + (rateOfUpstream(state, stats, e.name) ?? 0), 0) : 0;
  state.upstreams.forEach((u, upstreamIndex) => {
    const targets = u.targets.filter((t) => matches(filter, u.name, t.target));
    if (targets.length === 0 && !matches(filter, u.name)) return;
    const us = stats.upstreams[u.id];
    const inForce = upstreamInForce(state, u.name, healthy);
    const healthOf = (t: (typeof inForce.targets)[number]) =>
      targetHealth(t.weight, t.healthy, stats.targets[t.key], before.targets[t.key]);
    const part = split?.find((e) => e.name === u.name);
    rows.push({
      kind: 'upstream',
      key: u.id,
      upstream: u,
      upstreamIndex,
      name: u.name,
      weight: u.targets.reduce((a, t) => a + t.weight, 0),
      conf: part ? part.share * 100 : undefined,
      obs: !part || splitRate <= 0 ? undefined : ((us?.rate ?? 0) * 100) / splitRate,
      health: inForce.stopped ? STOPPED : upstreamHealth(u, inForce.targets.map(healthOf)),
      stats: us,
    });
    const upstreamRate = inForce.targets.reduce((a, t) => a + (stats.targets[t.key]?.rate ?? 0), 0);
    for (const t of inForce.targets) {
      if (!targets.includes(t.target)) continue;
      const ts = stats.targets[t.key];
      rows.push({
        kind: 'target',
        key: t.key,
        upstream: u,
        target: t.target,
        upstreamIndex,
        name: t.target.target,
        weight: t.target.weight,
        conf: t.share * 100,
        obs: upstreamRate > 0 ? ((ts?.rate ?? 0) * 100) / upstreamRate : undefined,
        health: healthOf(t),
        stats: ts,
      });
    }
  });
  return rows;
}

function rateOfUpstream(state: State, stats: StatsSnapshot, name: string): number | undefined {
  const u = state.upstreams.find((x) => x.name === name);
  return u ? stats.upstreams[u.id]?.rate : undefined;
}

export interface AppRow {
  readonly key: string;
  readonly app: App;
  readonly name: string;
  /** started (green), starting or rolling (orange), crashed (red), stopped (gray). */
  readonly health: Health;
  /** Instances that answer, and how many there should be. */
  readonly healthy: number;
  readonly total: number;
  readonly rate: number;
  readonly requests: number;
  readonly routes: readonly RouteShare[];
  readonly crashed: AppStatus['crashed'];
  /** A process switchyard runs (so it has a log), not addresses given by the user. */
  readonly process: boolean;
}

/** What the UI reads of the supervisor. */
export type AppStatusOf = (name: string) => AppStatus | undefined;

function upstreamStats(state: State, stats: StatsSnapshot, name: string): CounterSnapshot | undefined {
  const u = state.upstreams.find((x) => x.name === name);
  return u ? stats.upstreams[u.id] : undefined;
}

function appHealth(app: App, st: AppStatus | undefined): Health {
  if (st?.crashed) return { tone: 'failing', symbol: 'failing', word: 'crashed' };
  if (app.state === 'stopped') return { tone: 'stopped', symbol: 'stopped', word: 'stopped' };
  if (st?.rolling) return { tone: 'pending', symbol: 'pending', word: 'rolling' };
  if (st && st.healthy < st.desired) return { tone: 'pending', symbol: 'pending', word: 'starting' };
  return { tone: 'live', symbol: 'live', word: 'started' };
}

function appRow(
  app: App,
  state: State,
  stats: StatsSnapshot,
  statusOf: AppStatusOf | undefined,
  routes: ReadonlyMap<string, RouteShare[]>,
): AppRow {
  const st = statusOf?.(app.name);
  const c = upstreamStats(state, stats, app.name);
  const targets = state.upstreams.find((u) => u.name === app.name)?.targets.length ?? 0;
  return {
    key: app.id,
    app,
    name: app.name,
    health: appHealth(app, st),
    healthy: st?.healthy ?? (app.state === 'started' ? targets : 0),
    total: app.command === null ? (app.targets?.length ?? targets) : app.instances,
    rate: c?.rate ?? 0,
    requests: c?.requests ?? 0,
    routes: routes.get(app.name) ?? [],
    crashed: st?.crashed ?? null,
    process: app.command !== null,
  };
}

/** The apps, each with its state, instances, rate and the routes it is on. */
export function appRows(
  state: State,
  stats: StatsSnapshot,
  statusOf: AppStatusOf | undefined,
  filter: string,
  healthy: HealthOf = ALL_HEALTHY,
): AppRow[] {
  const routes = routesByApp(state, healthy);
  return state.apps
    .filter((a) => matches(filter, a.name, ...(routes.get(a.name) ?? []).map((r) => r.route)))
    .map((a) => appRow(a, state, stats, statusOf, routes));
}

/** The figures a gradual resume is judged on (the deployer's). */
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
        can: { resume: canDo(state, d, 'resume'), abort: canDo(state, d, 'abort'), cleanup: canDo(state, d, 'cleanup') },
        figures: resuming && figuresOf ? figuresOf(d) : null,
        // `now` is the stats sample's time, which may be a little older than the step.
        nextStepMs: resuming
          ? Math.min(d.interval_ms ?? 0, Math.max(0, (d.step_started_at ?? now) + (d.interval_ms ?? 0) - now))
          : null,
      };
    });
}

function list(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1] ?? ''}`;
}

function pct(rate: number): string {
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** What `r`, `a` and `c` will do to a deployment, in words, before the key is pressed. */
export function deploymentPlan(row: DeploymentRow): { resume: string; abort: string; cleanup: string } {
  const d = row.deployment;
  const routes = list(d.modules.flatMap((m) => m.routes));
  const news = list(d.modules.map((m) => m.new_app));
  const olds = list(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : [])));
  const temps = list(d.modules.flatMap((m) => m.temp_routes));
  const limits = [
    d.max_error_rate !== null ? `5xx > ${pct(d.max_error_rate)}` : '',
    d.max_p99_ms !== null ? `p99 > ${d.max_p99_ms}ms` : '',
  ].filter(Boolean);
  const resume =
    d.steps && d.steps.length > 0
      ? `step by step: ${routes} → ${news} ${d.steps.join('% → ')}%, ${fmtDuration(d.interval_ms ?? 30_000)} a step` +
        (limits.length ? `; aborts itself if ${limits.join(' or ')}` : '')
      : `${routes} → ${news} 100%` +
        (temps ? `; ${temps} removed` : '') +
        (olds ? `; ${olds} drained and deleted` : '');
  const keep = [news, temps].filter(Boolean).join(' and ');
  const abort =
    d.state === 'resuming'
      ? `${routes} back to ${olds || 'the old version'} 100%; ${keep} stay for a look (then c removes them)`
      : `${olds || 'the old version'} keeps ${routes}; ${keep} stay for a look (then c removes them)`;
  const cleanup = `delete ${list([...row.leftovers.apps, ...row.leftovers.routes]) || 'nothing left'}`;
  return { resume, abort, cleanup };
}

/** A few words under a deployment: what a key will do, or how a step goes. */
export interface Paragraph {
  /** The key that does it, and its name. */
  readonly key?: string;
  readonly label?: string;
  readonly text: string;
  readonly tone?: Tone;
}

/** Where a paragraph's text starts: after `  r resume   ` or a plain indent. */
export const KEYED_INDENT = 14;
export const PLAIN_INDENT = 4;

export function paragraphIndent(p: Paragraph): number {
  return p.key ? KEYED_INDENT : PLAIN_INDENT;
}

/** A paragraph's text, wrapped to the panel's width. */
export function paragraphLines(p: Paragraph, width: number): string[] {
  return wrap(p.text, width - 1 - paragraphIndent(p));
}

function figuresText(d: Deployment, f: Figures | null): string {
  if (!f) return 'judged on the new version’s 5xx rate and p99 latency';
  const rate = f.errorRate === null ? '–' : `${(f.errorRate * 100).toFixed(1)}%`;
  const limitRate = d.max_error_rate === null ? '' : ` (max ${pct(d.max_error_rate)})`;
  const limitP99 = d.max_p99_ms === null ? '' : ` (max ${d.max_p99_ms}ms)`;
  return `judged on ${f.responses} responses: 5xx ${rate}${limitRate} · p99 ${f.p99 === null ? '–' : `${fmtMs(f.p99)}ms`}${limitP99}`;
}

/** What shows under a deployment's header and its apps: the step it is at, what each key will do. */
export function deploymentParagraphs(row: DeploymentRow): Paragraph[] {
  const d = row.deployment;
  const plan = deploymentPlan(row);
  switch (d.state) {
    case 'pending':
      return [
        { key: 'r', label: 'resume', text: plan.resume },
        { key: 'a', label: 'abort', text: plan.abort },
      ];
    case 'resuming': {
      const steps = d.steps ?? [];
      const i = d.step ?? 0;
      const news = list(d.modules.map((m) => m.new_app));
      const next = steps[i + 1];
      const when = row.nextStepMs === null ? '' : fmtDuration(Math.ceil(row.nextStepMs / 1000) * 1000);
      const step =
        `step ${i + 1}/${steps.length}: ${news} has ${steps[i] ?? 0}% of ${list(d.modules.flatMap((m) => m.routes))}; ` +
        (next === undefined ? `resumed in ${when}` : `next step (${next}%) in ${when}`);
      return [
        { text: step, tone: 'pending' },
        { text: figuresText(d, row.figures) },
        { key: 'a', label: 'abort', text: plan.abort },
      ];
    }
    case 'deploying':
      return [];
    default:
      return [
        ...(d.message ? [{ text: d.message, tone: (d.state === 'failed' ? 'error' : 'muted') as Tone }] : []),
        ...(row.can.cleanup ? [{ key: 'c', label: 'clean up', text: plan.cleanup }] : []),
      ];
  }
}

/** Lines of a deployment shown in full at `width`: its header, the old and new app of each module, its paragraphs. */
export function deploymentLines(row: DeploymentRow, width: number): number {
  const modules = row.modules.reduce((a, m) => a + (m.old ? 2 : 1), 0);
  return 1 + modules + deploymentParagraphs(row).reduce((a, p) => a + paragraphLines(p, width).length, 0);
}
