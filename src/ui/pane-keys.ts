/**
 * What a key does in the panes (nothing open over them), as intents: pure, from the key and the
 * KeyView. The slider, the targets' weights, the apps' and the deployments' keys, and the keys
 * that work everywhere. A binding marked `dangerous` in the keymap asks first (confirm.ts).
 */
import type { Key } from 'ink';
import { deploymentRefusal } from '../core/deployments.js';
import { effectiveSplit, serviceLabel } from '../core/model.js';
import { confirmFirst } from './confirm.js';
import { flash, followPlan, setMode, ui, type Intent, type KeyView } from './intent.js';
import { KEYMAP, resolve, type ActionId } from './keymap.js';
import { activePane, PANE_WORDS, type Pane } from './panes.js';
import { planSplit, type SplitAction } from './split.js';
import type { AppRow } from './view/apps.js';
import type { DeploymentRow } from './view/deployments.js';
import type { ServiceRow } from './view/services.js';

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

function selectedService(v: KeyView): ServiceRow | undefined {
  return at(v.services, v.ui.cursor.services);
}

function selectedApp(v: KeyView): AppRow | undefined {
  return v.ui.pane === 'apps' ? at(v.apps, v.ui.cursor.apps) : undefined;
}

function selectedDeployment(v: KeyView): DeploymentRow | undefined {
  return v.ui.pane === 'deployments' ? at(v.deployments, v.ui.cursor.deployments) : undefined;
}

function rowCount(v: KeyView, pane: Pane): number {
  return pane === 'services'
    ? v.services.length
    : pane === 'targets'
      ? v.targets.length
      : pane === 'apps'
        ? v.apps.length
        : v.deployments.length;
}

function slider(v: KeyView, action: SplitAction): Intent[] {
  const row = selectedService(v);
  if (!row) return [flash('warning', 'no service selected')];
  const s = v.state.services.find((x) => x.id === row.key);
  if (!s) return [flash('error', `route ${row.routes[0] ?? ''} has no service to split`)];
  return followPlan(v.state, planSplit(v.state, s, action, v.ui.focus[s.id]), s.id, action);
}

function focusNext(v: KeyView): Intent[] {
  const row = selectedService(v);
  const s = row?.service;
  const split = s ? effectiveSplit(v.state, s) : undefined;
  if (!s || !split || split.length < 3) {
    const names = split?.map((e) => e.name).join(' ◀ ▶ ');
    return [flash('info', names ? `←/→ move traffic between ${names}` : 'select a service with a split')];
  }
  const next = split[((row?.focus ?? 0) + 1) % split.length]?.name as string;
  return [
    ui({ type: 'focus', service: s.id, upstream: next }),
    flash('info', `the arrows and digits now move ${next}'s share of ${serviceLabel(s)}`),
  ];
}

function targetWeight(v: KeyView): Intent[] {
  const t = at(v.targets, v.ui.cursor.targets);
  if (v.ui.pane !== 'targets' || !t || t.kind !== 'target' || !t.target)
    return [flash('warning', 'select a target row (tab, then j/k) to edit its weight')];
  return [
    setMode({
      kind: 'prompt',
      prompt: 'weight',
      label: `weight of ${t.name} in ${t.upstream.name} (now ${t.weight}; 0..65535): `,
      value: '',
      upstream: t.upstream.name,
      target: t.target.target,
    }),
  ];
}

/** An app's log, when switchyard runs its processes (an app at addresses given has none). */
export function openLog(app: string, process: boolean): Intent {
  if (!process)
    return flash('info', `app ${app} runs at addresses you gave (--target): switchyard keeps no log of it`);
  return setMode({ kind: 'log', app, scroll: 0 });
}

function appKey(v: KeyView, action: 'app.toggle' | 'app.restart' | 'app.log' | 'app.delete'): Intent[] {
  const row = selectedApp(v);
  if (!row) return [flash('warning', 'select an app (tab to the apps pane)')];
  switch (action) {
    case 'app.toggle':
      return [
        {
          kind: 'command',
          command: { op: row.app.state === 'stopped' ? 'app.start' : 'app.stop', app: row.name },
        },
      ];
    case 'app.restart':
      return [{ kind: 'command', command: { op: 'app.restart', app: row.name } }];
    case 'app.log':
      return [openLog(row.name, row.process)];
    case 'app.delete':
      return [{ kind: 'command', command: { op: 'app.delete', app: row.name } }];
  }
}

/**
 * Resume, abort or clean up a deployment (by the deployments pane's keys or the `:` line), as
 * core allows it now: the deployment may have moved on since the last render.
 */
export function deploymentIntents(v: KeyView, id: string, action: 'resume' | 'abort' | 'cleanup'): Intent[] {
  const d = v.state.deployments.find((x) => x.id === id);
  if (!d) return [flash('error', `no deployment ${id}; the deployments pane lists them`)];
  if (!v.deployer) return [flash('error', 'deployments are not available here')];
  const refusal = deploymentRefusal(v.state, d, action);
  if (refusal) return [flash('warning', refusal)];
  return [{ kind: `deploy.${action}`, id: d.id }];
}

function deployKey(v: KeyView, action: 'resume' | 'abort' | 'cleanup'): Intent[] {
  const row = selectedDeployment(v);
  if (!row) return [flash('warning', 'select a deployment (tab to the deployments pane)')];
  return deploymentIntents(v, row.deployment.id, action);
}

function filterKey(v: KeyView, key: Key): Intent[] {
  const { ui: s } = v;
  // Esc: the filter goes (the list comes back whole), else the message on the bottom line.
  if (key.escape) {
    if (s.filter[s.pane] !== '')
      return [
        ui({ type: 'filter.set', pane: s.pane, value: '' }),
        flash('info', `filter cleared: all ${PANE_WORDS[s.pane]}`),
      ];
    return s.flash ? [ui({ type: 'flash.clear', seq: s.flash.seq })] : [];
  }
  return [
    setMode({
      kind: 'prompt',
      prompt: 'filter',
      label: `filter ${PANE_WORDS[s.pane]}: /`,
      value: s.filter[s.pane],
    }),
  ];
}

function rateKey(v: KeyView, typed: string): Intent[] {
  if (!v.traffic) return [flash('warning', 'no traffic generator here (it comes with "switchyard demo")')];
  return [{ kind: 'rate', rate: Math.min(v.traffic.maxRate, nextRate(typed, v.traffic.rate)) }];
}

function run(v: KeyView, action: ActionId, typed: string, key: Key): Intent[] {
  switch (action) {
    case 'pane.next':
      return [ui({ type: 'pane.next', panes: v.panes, delta: key.shift ? -1 : 1 })];
    case 'cursor.down':
    case 'cursor.up':
      return [
        ui({ type: 'cursor.move', delta: action === 'cursor.down' ? 1 : -1, count: rowCount(v, v.ui.pane) }),
      ];
    case 'app.toggle':
    case 'app.restart':
    case 'app.log':
    case 'app.delete':
      return appKey(v, action);
    case 'deploy.resume':
      return deployKey(v, 'resume');
    case 'deploy.abort':
      return deployKey(v, 'abort');
    case 'deploy.cleanup':
      return deployKey(v, 'cleanup');
    case 'split.left':
      return slider(v, { kind: 'nudge', delta: -5 });
    case 'split.right':
      return slider(v, { kind: 'nudge', delta: 5 });
    case 'split.left1':
      return slider(v, { kind: 'nudge', delta: -1 });
    case 'split.right1':
      return slider(v, { kind: 'nudge', delta: 1 });
    case 'split.set':
      return slider(v, { kind: 'set', pct: Number(typed) * 10 });
    case 'split.second':
      return slider(v, { kind: 'all', side: 'second' });
    case 'split.first':
      return slider(v, { kind: 'all', side: 'first' });
    case 'split.switch':
      return slider(v, { kind: 'switch' });
    case 'split.focus':
      return focusNext(v);
    case 'target.weight':
      return targetWeight(v);
    case 'undo':
      return v.canUndo ? [{ kind: 'undo' }] : [flash('warning', 'nothing to undo')];
    case 'fleet.reapply':
      return v.fleet
        ? [{ kind: 'reapply' }]
        : [
            flash(
              'warning',
              'A re-applies the state to a fleet of HAProxy; here the in-process proxy carries the traffic',
            ),
          ];
    case 'command':
      return [setMode({ kind: 'prompt', prompt: 'command', label: ':', value: '' })];
    case 'filter':
      return filterKey(v, key);
    case 'pause':
      return [
        ui({ type: 'pause.toggle' }),
        flash(
          'info',
          v.ui.paused ? 'live numbers resumed' : 'numbers paused (p resumes); changes still apply',
        ),
      ];
    case 'help':
      return [setMode({ kind: 'help', scroll: 0 })];
    case 'quit':
      return [{ kind: 'quit' }];
    case 'rate.down':
    case 'rate.up':
      return rateKey(v, typed);
    default:
      return [];
  }
}

/** A key that does nothing in this pane but works in another: say where, rather than nothing. */
function elsewhere(v: KeyView, pane: Pane, typed: string, key: Key): Intent[] {
  const other = v.panes
    .filter((p) => p !== pane)
    .map((p) => resolve([p], typed, key))
    .find((b) => b !== undefined);
  if (!other) return [];
  const shown = /^[\x21-\x7e]$/.test(typed) ? typed : (other.keys[0] as string);
  return [
    flash(
      'warning',
      `${shown} (${other.help}) works in the ${PANE_WORDS[other.scope as Pane]} pane: tab there`,
    ),
  ];
}

/** A key in the panes: the active pane's bindings, then those that work everywhere, then a word about where it works. */
export function paneIntents(view: KeyView, typed: string, key: Key): Intent[] {
  const pane = activePane(view.ui.pane, view.panes);
  const moved: Intent[] = pane === view.ui.pane ? [] : [ui({ type: 'pane.set', pane })];
  const v = pane === view.ui.pane ? view : { ...view, ui: { ...view.ui, pane } };
  const b = resolve([pane, 'global'], typed, key);
  if (!b) return [...moved, ...elsewhere(view, pane, typed, key)];
  const intents = run(v, b.action, typed, key);
  return [...moved, ...(b.dangerous ? intents.map((i) => confirmFirst(v, i)) : intents)];
}

/** Whether the keymap marks an action dangerous (the `:` line's deployment actions ask as their keys do). */
export function isDangerous(action: ActionId): boolean {
  return KEYMAP.some((b) => b.action === action && b.dangerous === true);
}
