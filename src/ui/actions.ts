/**
 * What each key does. Keys are resolved in keymap.ts; this maps an action to its effect on the
 * store (always through `store.dispatch`, so the change is validated once and applies to the
 * very next request) and on the UI state. Every change flashes one line; a rejected one flashes
 * the reason and changes nothing.
 */
import type { Dispatch } from 'react';
import type { Key } from 'ink';
import type { Command } from '../core/commands.js';
import { deploymentRefusal, type DeploymentAction } from '../core/deployments.js';
import { isSwitchyardError } from '../core/errors.js';
import { effectiveSplit, serviceLabel, type Deployment } from '../core/model.js';
import type { Store } from '../core/store.js';
import type { DeployEngine } from '../deploy/bg-deploy.js';
import { summarize, type ApplyResult } from '../dataplane/types.js';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportYaml, loadDeclarative } from '../config/yaml.js';
import { parseManifest } from '../deploy/manifest.js';
import { completeLine, parseLine, type LineIntent } from './command-line.js';
import { MAX_RATE } from '../demo/traffic.js';
import { PANES, resolve, type ActionId, type Pane } from './keymap.js';
import { planSplit, type Plan, type SplitAction } from './split.js';
import {
  deploymentPlan,
  type AppRow,
  type DeploymentRow,
  type ServiceRow,
  type TargetRow,
} from './view-model.js';
import type { Effect, FlashLevel, Mode, UiAction, UiState } from './hooks/use-app-state.js';

/** What the keys and the `:` line need of the deployer: deploy and resume (async), abort and cleanup. */
export type DeployActions = Pick<DeployEngine, 'deploy' | 'resume' | 'abort' | 'cleanup'>;

/** What the keys need of an HAProxy fleet: push everything again, and learn which instances missed a change. */
export interface FleetControl {
  reapply(): Promise<ApplyResult>;
  /** Resolves once every instance took table `version` (null), or to a sentence naming those that did not, and why. */
  verdict(version: number): Promise<string | null>;
}

/** The traffic generator, as far as the UI is concerned. */
export interface RateControl {
  readonly rate: number;
  /** Sets the rate (clamped); returns the rate in force. */
  setRate(rate: number): number;
  /** Distinct simulated users each upstream answered lately (the demo's user pool). */
  users?(): Readonly<Record<string, number>>;
}

/** Everything a key may need, as of the last render. */
export interface ActionContext {
  readonly store: Store;
  readonly demo: RateControl | undefined;
  readonly ui: UiState;
  readonly dispatch: Dispatch<UiAction>;
  /** The rows as rendered; the selected ones follow `ui.cursor`. */
  readonly services: readonly ServiceRow[];
  readonly targets: readonly TargetRow[];
  readonly apps: readonly AppRow[];
  readonly deployments: readonly DeploymentRow[];
  /** The panes on screen, in tab order; the keys go to `ui.pane`, or the nearest one before it on screen. */
  readonly panes: readonly Pane[];
  /** Resumes, aborts and cleans up deployments (absent: no deployments here). */
  readonly deployer?: DeployActions | undefined;
  /** The HAProxy fleet the changes go to (absent: the in-process proxy, which takes every change at once). */
  readonly fleet?: FleetControl | undefined;
  /** Lines of help beyond the screen (how far it scrolls). */
  readonly helpOverflow: number;
  /** Lines of the open log beyond the screen. */
  readonly logOverflow: number;
  readonly onRate: (rate: number) => void;
  readonly quit: () => void;
}

const NORMAL: Mode = { kind: 'normal' };
const DESTRUCTIVE = /\.delete$/;

export function errorText(e: unknown): string {
  if (isSwitchyardError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

function describeDestructive(cmd: Command): { message: string; label: string } {
  switch (cmd.op) {
    case 'target.delete':
      return { message: `Remove target ${cmd.target} from ${cmd.upstream}?`, label: 'Remove' };
    case 'upstream.delete':
      return { message: `Delete upstream ${cmd.upstream} and all its targets?`, label: 'Delete' };
    case 'service.delete':
      return { message: `Delete service ${cmd.service}?`, label: 'Delete' };
    case 'route.delete':
      return { message: `Delete route ${cmd.route}? Its requests will get 404.`, label: 'Delete' };
    case 'app.delete':
      return {
        message: `Delete app ${cmd.app}, its route mappings and its processes? Its routes serve their other apps.`,
        label: 'Delete',
      };
    default:
      return { message: `Apply ${cmd.op}?`, label: 'Apply' };
  }
}

/** `[` halves, `]` doubles, `{` and `}` move by 10 req/s. */
function nextRate(typed: string, r: number): number {
  switch (typed) {
    case '[':
      return Math.floor(r / 2);
    case ']':
      return r === 0 ? 10 : r * 2;
    case '{':
      return Math.max(0, r - 10);
    default:
      return r + 10;
  }
}

function at<T>(rows: readonly T[], cursor: number): T | undefined {
  return rows[Math.max(0, Math.min(rows.length - 1, cursor))];
}

function selectedService(c: ActionContext): ServiceRow | undefined {
  return at(c.services, c.ui.cursor.services);
}

function flash(c: ActionContext, level: FlashLevel, text: string): void {
  c.dispatch({ type: 'flash', level, text });
}

function setMode(c: ActionContext, mode: Mode): void {
  c.dispatch({ type: 'mode', mode });
}

/**
 * With an HAProxy fleet, a change is in force once every instance took it: the instances that
 * did not (unreachable, refused commands, a reload needed) are named in red, never left unsaid.
 */
function followChange(c: ActionContext, summary: string): void {
  if (!c.fleet) return;
  const version = c.store.table.version;
  c.fleet.verdict(version).then(
    (missed) => {
      if (missed) flash(c, 'error', `${summary}: ${missed}`);
    },
    (e: unknown) => flash(c, 'error', `${summary}: ${errorText(e)}`),
  );
}

/**
 * Runs a command through the store; flashes its summary, or the reason it was refused. A change
 * core wants confirmed (it would stop a service that serves) is asked about first, and applied
 * with `force` when the operator says so.
 */
function apply(c: ActionContext, cmd: Command): void {
  try {
    const { summary } = c.store.dispatch(cmd, 'ui');
    flash(c, 'info', summary);
    followChange(c, summary);
  } catch (e) {
    if (isSwitchyardError(e) && e.code === 'confirmation required' && (cmd.op === 'service.split' || cmd.op === 'service.switch')) {
      return confirm(c, `Send ${e.fields.service} nowhere (${e.fields.why})? Every request would get 503`, 'Do it', {
        kind: 'command',
        command: { ...cmd, force: true },
      });
    }
    flash(c, 'error', errorText(e));
  }
}

function undo(c: ActionContext): void {
  if (!c.store.canUndo) return flash(c, 'warning', 'nothing to undo');
  try {
    const { summary } = c.store.undo('ui');
    flash(c, 'info', summary);
    followChange(c, summary);
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

/** `A`: the whole state to every HAProxy instance again (after drift); says what each did not take. */
function reapply(c: ActionContext): void {
  const fleet = c.fleet;
  if (!fleet)
    return flash(
      c,
      'warning',
      'A re-applies the state to a fleet of HAProxy; here the in-process proxy carries the traffic',
    );
  flash(c, 'info', 'applying the whole state again to every HAProxy instance…');
  fleet.reapply().then(
    (r) => {
      const clean = r.ok && !r.perInstance.some((i) => i.reloadNeeded);
      const text = summarize(r).split('\n').join('; ');
      flash(c, clean ? 'info' : 'error', clean ? text : `apply again: ${text}`);
    },
    (e: unknown) => flash(c, 'error', `apply again: ${errorText(e)}`),
  );
}

function follow(c: ActionContext, plan: Plan, serviceId: string, then: SplitAction): void {
  switch (plan.kind) {
    case 'command':
      return apply(c, plan.command);
    case 'noop':
      return flash(c, 'info', plan.message);
    case 'error':
      return flash(c, 'error', plan.message);
    case 'pick': {
      const s = c.store.state.services.find((x) => x.id === serviceId);
      const name = s ? serviceLabel(s) : serviceId;
      return setMode(c, {
        kind: 'picker',
        label: `${name} is all on ${s?.host ?? '?'}: bring in which upstream?`,
        service: serviceId,
        options: plan.options,
        index: 0,
        then,
      });
    }
  }
}

function slider(c: ActionContext, action: SplitAction): void {
  const row = selectedService(c);
  if (!row) return flash(c, 'warning', 'no service selected');
  const s = c.store.state.services.find((x) => x.id === row.key);
  if (!s) return flash(c, 'error', `route ${row.routes[0] ?? ''} has no service to split`);
  follow(c, planSplit(c.store.state, s, action, c.ui.focus[s.id]), s.id, action);
}

/** The pane that has the keys: `ui.pane`, or the nearest one before it on screen when it has gone. */
export function activePane(pane: Pane, panes: readonly Pane[]): Pane {
  if (panes.includes(pane)) return pane;
  const order: readonly Pane[] = PANES;
  for (let i = order.indexOf(pane) - 1; i >= 0; i--)
    if (panes.includes(order[i] as Pane)) return order[i] as Pane;
  return 'services';
}

function rowCount(c: ActionContext, pane: Pane): number {
  return pane === 'services'
    ? c.services.length
    : pane === 'targets'
      ? c.targets.length
      : pane === 'apps'
        ? c.apps.length
        : c.deployments.length;
}

function selectedApp(c: ActionContext): AppRow | undefined {
  return c.ui.pane === 'apps' ? at(c.apps, c.ui.cursor.apps) : undefined;
}

function selectedDeployment(c: ActionContext): DeploymentRow | undefined {
  return c.ui.pane === 'deployments' ? at(c.deployments, c.ui.cursor.deployments) : undefined;
}

function confirm(c: ActionContext, message: string, confirmLabel: string, effect: Effect): void {
  setMode(c, { kind: 'confirm', message, confirmLabel, effect, choice: 'cancel' });
}

function names(list: readonly string[]): string {
  return list.length <= 1
    ? (list[0] ?? '')
    : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1] ?? ''}`;
}

/** `shop 2.0.0`: what people call a deployment (its id is on screen beside it). */
function deploymentText(d: Deployment): string {
  return `${d.mta}${d.version ? ` ${d.version}` : ''}`;
}

function oldApps(d: Deployment): string {
  return names(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : []))) || 'the old version';
}

/** What a resume did, once it is done. */
function resumed(d: Deployment): string {
  const news = names(d.modules.map((m) => m.new_app));
  const routes = names(d.modules.flatMap((m) => m.routes));
  if (d.state === 'resuming' && d.steps && d.step !== null)
    return `${deploymentText(d)} resuming step by step: ${news} has ${d.steps[d.step]}% of ${routes}`;
  const olds = names(d.modules.flatMap((m) => (m.old_app ? [m.old_app] : [])));
  return `${deploymentText(d)} live: ${routes} → ${news}${olds ? `; ${olds} retired` : ''}`;
}

const ACTION_OF = {
  'deploy.resume': 'resume',
  'deploy.abort': 'abort',
  'deploy.cleanup': 'cleanup',
} as const satisfies Record<string, DeploymentAction>;

function deployKey(c: ActionContext, action: keyof typeof ACTION_OF): void {
  const row = selectedDeployment(c);
  if (!row) return flash(c, 'warning', 'select a deployment (tab to the deployments pane)');
  deployAction(c, row.deployment.id, action);
}

/** Resume, abort (asks) or clean up (asks) a deployment, by the deployments pane's keys or the `:` line. */
function deployAction(c: ActionContext, id: string, action: keyof typeof ACTION_OF): void {
  // As it is now: it may have moved on since the last render.
  const d = c.store.state.deployments.find((x) => x.id === id);
  if (!d) return flash(c, 'error', `no deployment ${id}; the deployments pane lists them`);
  const row = c.deployments.find((r) => r.deployment.id === id);
  const deployer = c.deployer;
  if (!deployer) return flash(c, 'error', 'deployments are not available here');
  const refusal = deploymentRefusal(c.store.state, d, ACTION_OF[action]);
  if (refusal) return flash(c, 'warning', refusal);
  if (action === 'deploy.resume') {
    flash(c, 'info', `resuming ${deploymentText(d)} (${d.id})…`);
    // The routes switch before the promise settles; it settles once the old version is retired.
    deployer.resume(d.id).then(
      (done) => flash(c, 'info', resumed(done)),
      (e: unknown) => flash(c, 'error', `resuming ${deploymentText(d)} failed: ${errorText(e)}`),
    );
    return;
  }
  if (action === 'deploy.abort')
    return confirm(c, `Abort ${deploymentText(d)} (${d.id})? ${oldApps(d)} keeps all traffic`, 'Abort', {
      kind: 'deploy.abort',
      id: d.id,
    });
  const what = row ? `: ${deploymentPlan(row).cleanup}` : '';
  return confirm(c, `Clean up ${deploymentText(d)} (${d.id})${what}?`, 'Clean up', {
    kind: 'deploy.cleanup',
    id: d.id,
  });
}

function appKey(c: ActionContext, action: 'app.toggle' | 'app.restart' | 'app.log' | 'app.delete'): void {
  const row = selectedApp(c);
  if (!row) return flash(c, 'warning', 'select an app (tab to the apps pane)');
  switch (action) {
    case 'app.toggle':
      return apply(c, { op: row.app.state === 'stopped' ? 'app.start' : 'app.stop', app: row.name });
    case 'app.restart':
      return apply(c, { op: 'app.restart', app: row.name });
    case 'app.log':
      if (!row.process)
        return flash(
          c,
          'info',
          `app ${row.name} runs at addresses you gave (--target): switchyard keeps no log of it`,
        );
      return setMode(c, { kind: 'log', app: row.name, scroll: 0 });
    case 'app.delete': {
      const cmd: Command = { op: 'app.delete', app: row.name };
      const d = describeDestructive(cmd);
      return confirm(c, d.message, d.label, { kind: 'command', command: cmd });
    }
  }
}

/** Runs what a confirmation was about. */
function perform(c: ActionContext, effect: Effect): void {
  if (effect.kind === 'command') return apply(c, effect.command);
  const deployer = c.deployer;
  if (!deployer) return flash(c, 'error', 'deployments are not available here');
  try {
    if (effect.kind === 'deploy.abort') {
      const d = deployer.abort(effect.id);
      return flash(c, 'info', `${deploymentText(d)} aborted: ${oldApps(d)} keeps all traffic; c cleans up`);
    }
    const d = deployer.cleanup(effect.id);
    return flash(
      c,
      'info',
      `${deploymentText(d)} cleaned up: ${names(d.modules.map((m) => m.new_app))} deleted`,
    );
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

const FILTER_WHAT: Readonly<Record<Pane, string>> = {
  services: 'routes',
  targets: 'upstreams',
  apps: 'apps',
  deployments: 'deployments',
};

function run(c: ActionContext, action: ActionId, typed: string, key: Key): void {
  const { ui, dispatch, store } = c;
  switch (action) {
    case 'pane.next':
      return dispatch({ type: 'pane.next', panes: c.panes, delta: key.shift ? -1 : 1 });
    case 'cursor.down':
    case 'cursor.up':
      return dispatch({
        type: 'cursor.move',
        delta: action === 'cursor.down' ? 1 : -1,
        count: rowCount(c, ui.pane),
      });
    case 'app.toggle':
    case 'app.restart':
    case 'app.log':
    case 'app.delete':
      return appKey(c, action);
    case 'deploy.resume':
    case 'deploy.abort':
    case 'deploy.cleanup':
      return deployKey(c, action);
    case 'split.left':
      return slider(c, { kind: 'nudge', delta: -5 });
    case 'split.right':
      return slider(c, { kind: 'nudge', delta: 5 });
    case 'split.left1':
      return slider(c, { kind: 'nudge', delta: -1 });
    case 'split.right1':
      return slider(c, { kind: 'nudge', delta: 1 });
    case 'split.set':
      return slider(c, { kind: 'set', pct: Number(typed) * 10 });
    case 'split.second':
      return slider(c, { kind: 'all', side: 'second' });
    case 'split.first':
      return slider(c, { kind: 'all', side: 'first' });
    case 'split.switch':
      return slider(c, { kind: 'switch' });
    case 'split.focus': {
      const row = selectedService(c);
      const s = row?.service;
      const split = s ? effectiveSplit(store.state, s) : undefined;
      if (!s || !split || split.length < 3) {
        const names = split?.map((e) => e.name).join(' ◀ ▶ ');
        return flash(
          c,
          'info',
          names ? `←/→ move traffic between ${names}` : 'select a service with a split',
        );
      }
      const next = split[((row?.focus ?? 0) + 1) % split.length]?.name as string;
      dispatch({ type: 'focus', service: s.id, upstream: next });
      return flash(c, 'info', `the arrows and digits now move ${next}'s share of ${serviceLabel(s)}`);
    }
    case 'target.weight': {
      const t = at(c.targets, ui.cursor.targets);
      if (ui.pane !== 'targets' || !t || t.kind !== 'target' || !t.target)
        return flash(c, 'warning', 'select a target row (tab, then j/k) to edit its weight');
      return setMode(c, {
        kind: 'prompt',
        prompt: 'weight',
        label: `weight of ${t.name} in ${t.upstream.name} (now ${t.weight}; 0..65535): `,
        value: '',
        upstream: t.upstream.name,
        target: t.target.target,
      });
    }
    case 'undo':
      return undo(c);
    case 'fleet.reapply':
      return reapply(c);
    case 'command':
      return setMode(c, { kind: 'prompt', prompt: 'command', label: ':', value: '' });
    case 'filter':
      // Esc: the filter goes (the list comes back whole), else the message on the bottom line.
      if (key.escape) {
        if (ui.filter[ui.pane] !== '') {
          dispatch({ type: 'filter.set', pane: ui.pane, value: '' });
          return flash(c, 'info', `filter cleared: all ${FILTER_WHAT[ui.pane]}`);
        }
        if (ui.flash) dispatch({ type: 'flash.clear', seq: ui.flash.seq });
        return;
      }
      return setMode(c, {
        kind: 'prompt',
        prompt: 'filter',
        label: `filter ${FILTER_WHAT[ui.pane]}: /`,
        value: ui.filter[ui.pane],
      });
    case 'pause':
      dispatch({ type: 'pause.toggle' });
      return flash(
        c,
        'info',
        ui.paused ? 'live numbers resumed' : 'numbers paused (p resumes); changes still apply',
      );
    case 'help':
      return setMode(c, { kind: 'help', scroll: 0 });
    case 'quit':
      return c.quit();
    case 'rate.down':
    case 'rate.up': {
      if (!c.demo) return flash(c, 'warning', 'no traffic generator here (it comes with "switchyard demo")');
      const now = c.demo.setRate(Math.min(MAX_RATE, nextRate(typed, c.demo.rate)));
      c.onRate(now);
      return flash(c, 'info', `traffic generator: ${now} req/s${now === 0 ? ' (stopped; ] starts it)' : ''}`);
    }
    default:
      return undefined;
  }
}

function submitPrompt(c: ActionContext, mode: Extract<Mode, { kind: 'prompt' }>): void {
  setMode(c, NORMAL);
  const value = mode.value.trim();
  if (mode.prompt === 'filter') return;
  if (mode.prompt === 'weight') {
    if (!/^\d+$/.test(value))
      return flash(
        c,
        'error',
        `weight must be a whole number 0..65535, got '${mode.value}': nothing changed`,
      );
    return apply(c, {
      op: 'target.update',
      upstream: mode.upstream as string,
      target: mode.target as string,
      fields: { weight: Number(value) },
    });
  }
  if (value === '') return;
  c.dispatch({ type: 'history.push', line: value });
  let intent: LineIntent;
  try {
    intent = parseLine(value);
  } catch (e) {
    return flash(c, 'error', errorText(e));
  }
  runLine(c, intent);
}

/** Files named on the `:` line are where the operator started switchyard, as in a shell. */
function fileOf(name: string): string {
  return path.resolve(process.cwd(), name);
}

function readText(file: string): string {
  try {
    return fs.readFileSync(fileOf(file), 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** What a `:` line asks for, done as the UI does it. */
function runLine(c: ActionContext, intent: LineIntent): void {
  try {
    switch (intent.kind) {
      case 'quit':
        return c.quit();
      case 'help':
        return setMode(c, { kind: 'help', scroll: 0 });
      case 'pane':
        if (!c.panes.includes(intent.pane))
          return flash(c, 'info', `no ${FILTER_WHAT[intent.pane]} yet${intent.pane === 'apps' ? ': push one (:push APP --route … --command …)' : ''}`);
        return c.dispatch({ type: 'pane.set', pane: intent.pane });
      case 'log': {
        const app = c.store.state.apps.find((a) => a.name === intent.app);
        if (!app) return flash(c, 'error', `no app '${intent.app}'`);
        if (app.command === null)
          return flash(c, 'info', `app ${app.name} runs at addresses you gave (--target): switchyard keeps no log of it`);
        return setMode(c, { kind: 'log', app: app.name, scroll: 0 });
      }
      case 'deploy.action':
        return deployAction(c, intent.id, `deploy.${intent.action}`);
      case 'deploy.start': {
        const deployer = c.deployer;
        if (!deployer) return flash(c, 'error', 'deployments are not available here');
        const manifest = parseManifest(readText(intent.file), intent.file, { dir: path.dirname(fileOf(intent.file)) });
        flash(c, 'info', `deploying ${manifest.id}${manifest.version ? ` ${manifest.version}` : ''} from ${intent.file}…`);
        deployer.deploy(manifest, { noConfirm: intent.noConfirm, cwd: path.dirname(fileOf(intent.file)) }).then(
          (d) => flash(c, d.state === 'failed' ? 'error' : 'info', `${deploymentText(d)} (${d.id}): ${d.state}${d.message ? `: ${d.message}` : d.state === 'pending' ? '; r resumes, a aborts (deployments pane)' : ''}`),
          (e: unknown) => flash(c, 'error', `bg-deploy ${intent.file}: ${errorText(e)}`),
        );
        return;
      }
      case 'config.check': {
        const state = loadDeclarative(readText(intent.file), { now: 0, newId: randomUUID }, intent.file);
        return flash(c, 'info', `${intent.file}: ok (${state.services.length} services, ${state.routes.length} routes, ${state.upstreams.length} upstreams)`);
      }
      case 'config.apply': {
        const state = loadDeclarative(readText(intent.file), { now: Math.floor(Date.now() / 1000), newId: randomUUID }, intent.file);
        return apply(c, { op: 'state.replace', state });
      }
      case 'config.export': {
        fs.writeFileSync(fileOf(intent.file), exportYaml(c.store.state, intent.flavour));
        return flash(c, 'info', `wrote the state to ${fileOf(intent.file)}`);
      }
      case 'verb': {
        const verb = intent.verb;
        if (verb.op === 'undo') return undo(c);
        if (DESTRUCTIVE.test(verb.op)) {
          const d = describeDestructive(verb);
          return confirm(c, d.message, d.label, { kind: 'command', command: verb });
        }
        return apply(c, verb);
      }
    }
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

function dialogKey(c: ActionContext, typed: string, key: Key): void {
  const mode = c.ui.mode;
  const b = resolve(['dialog'], typed, key);
  if (b?.action === 'dialog.cancel') {
    setMode(c, NORMAL);
    // A message from before the prompt was opened (a refusal) is not about what was cancelled.
    if (c.ui.flash) c.dispatch({ type: 'flash.clear', seq: c.ui.flash.seq });
    if (mode.kind === 'prompt' && mode.prompt === 'filter')
      c.dispatch({ type: 'filter.set', pane: c.ui.pane, value: '' });
    else if (mode.kind === 'confirm' || mode.kind === 'picker')
      flash(c, 'info', 'cancelled: nothing changed');
    return;
  }
  if (mode.kind === 'prompt') {
    if (b?.action === 'dialog.submit') return submitPrompt(c, mode);
    if (b?.action === 'dialog.erase')
      return c.dispatch({ type: 'prompt.edit', value: [...mode.value].slice(0, -1).join('') });
    if (key.ctrl && typed === 'u') return c.dispatch({ type: 'prompt.edit', value: '' });
    if (mode.prompt === 'command' && (key.upArrow || key.downArrow))
      return c.dispatch({ type: 'history.move', delta: key.upArrow ? -1 : 1 });
    if (mode.prompt === 'command' && key.tab) {
      const done = completeLine(mode.value, c.store.state);
      if (done.value !== mode.value) c.dispatch({ type: 'prompt.edit', value: done.value });
      if (done.options.length) flash(c, 'info', done.options.join('  '));
      return;
    }
    // eslint-disable-next-line no-control-regex
    const text = key.ctrl || key.meta ? '' : typed.replace(/[\u0000-\u001f\u007f]/g, '');
    if (text) c.dispatch({ type: 'prompt.edit', value: mode.value + text });
    return;
  }
  if (b?.action === 'dialog.prev' || b?.action === 'dialog.next')
    return c.dispatch({ type: 'choice.move', delta: b.action === 'dialog.next' ? 1 : -1 });
  if (b?.action !== 'dialog.submit') return;
  setMode(c, NORMAL);
  if (mode.kind === 'confirm') {
    if (mode.choice === 'confirm') perform(c, mode.effect);
    else flash(c, 'info', 'cancelled: nothing changed');
  } else if (mode.kind === 'picker') {
    const s = c.store.state.services.find((x) => x.id === mode.service);
    const chosen = mode.options[mode.index];
    if (!s || chosen === undefined) return flash(c, 'error', 'that service is gone');
    follow(c, planSplit(c.store.state, s, mode.then, c.ui.focus[s.id], chosen), s.id, mode.then);
  }
}

function helpKey(c: ActionContext, typed: string, key: Key): void {
  const b = resolve(['help'], typed, key);
  if (!b) return;
  if (b.action === 'help.close') setMode(c, NORMAL);
  else c.dispatch({ type: 'help.scroll', delta: b.action === 'help.down' ? 1 : -1, max: c.helpOverflow });
}

/** The log takes the help's keys: close, and scroll (counted up from the newest line: ↑ shows older ones). */
function logKey(c: ActionContext, typed: string, key: Key): void {
  const b = resolve(['help'], typed, key);
  if (!b) return;
  if (b.action === 'help.close') setMode(c, NORMAL);
  else c.dispatch({ type: 'log.scroll', delta: b.action === 'help.up' ? 1 : -1, max: c.logOverflow });
}

/** A key that does nothing in this pane but works in another: say where, rather than nothing. */
function elsewhere(c: ActionContext, pane: Pane, typed: string, key: Key): void {
  const other = c.panes
    .filter((p) => p !== pane)
    .map((p) => resolve([p], typed, key))
    .find((b) => b !== undefined);
  if (!other) return;
  const shown = /^[\x21-\x7e]$/.test(typed) ? typed : (other.keys[0] as string);
  const where = FILTER_WHAT[other.scope as Pane];
  flash(c, 'warning', `${shown} (${other.help}) works in the ${where} pane: tab there`);
}

/** One key, routed by what is open: the panes, a dialog, the help or a log. ctrl-c quits from anywhere. */
export function handleKey(c: ActionContext, typed: string, key: Key): void {
  const mode = c.ui.mode.kind;
  if (mode === 'normal') {
    const pane = activePane(c.ui.pane, c.panes);
    const ctx = pane === c.ui.pane ? c : { ...c, ui: { ...c.ui, pane } };
    if (pane !== c.ui.pane) c.dispatch({ type: 'pane.set', pane });
    const b = resolve([pane, 'global'], typed, key);
    if (b) return run(ctx, b.action, typed, key);
    elsewhere(c, pane, typed, key);
    return;
  }
  if (key.ctrl && typed === 'c') return c.quit();
  if (mode === 'help') return helpKey(c, typed, key);
  if (mode === 'log') return logKey(c, typed, key);
  dialogKey(c, typed, key);
}
