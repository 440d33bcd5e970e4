/**
 * What each key does. Keys are resolved in keymap.ts; this maps an action to its effect on the
 * store (always through `store.dispatch`, so the change is validated once and applies to the
 * very next request) and on the UI state. Every change flashes one line; a rejected one flashes
 * the reason and changes nothing.
 */
import type { Dispatch } from 'react';
import type { Key } from 'ink';
import type { Command } from '../core/commands.js';
import { isSwitchyardError } from '../core/errors.js';
import { effectiveSplit, serviceLabel } from '../core/model.js';
import type { Store } from '../core/store.js';
import { parseCommandLine } from '../cli/verbs.js';
import { MAX_RATE } from '../demo/traffic.js';
import { resolve, type ActionId, type Pane } from './keymap.js';
import { planSplit, type Plan, type SplitAction } from './split.js';
import type { ServiceRow, TargetRow } from './view-model.js';
import type { FlashLevel, Mode, UiAction, UiState } from './hooks/use-app-state.js';

/** The traffic generator, as far as the UI is concerned. */
export interface RateControl {
  readonly rate: number;
  /** Sets the rate (clamped); returns the rate in force. */
  setRate(rate: number): number;
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
  /** Lines of help beyond the screen (how far it scrolls). */
  readonly helpOverflow: number;
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
    default:
      return { message: `Apply ${cmd.op}?`, label: 'Apply' };
  }
}

function nextRate(action: ActionId, r: number): number {
  switch (action) {
    case 'rate.halve':
      return Math.floor(r / 2);
    case 'rate.double':
      return r === 0 ? 10 : r * 2;
    case 'rate.down':
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

/** Runs a command through the store; flashes its summary, or the reason it was refused. */
function apply(c: ActionContext, cmd: Command): void {
  try {
    flash(c, 'info', c.store.dispatch(cmd, 'ui').summary);
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

function undo(c: ActionContext): void {
  if (!c.store.canUndo) return flash(c, 'warning', 'nothing to undo');
  try {
    flash(c, 'info', c.store.undo('ui').summary);
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
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

function run(c: ActionContext, action: ActionId, typed: string): void {
  const { ui, dispatch, store } = c;
  switch (action) {
    case 'pane.next':
      return dispatch({ type: 'pane.next' });
    case 'cursor.down':
    case 'cursor.up':
      return dispatch({
        type: 'cursor.move',
        delta: action === 'cursor.down' ? 1 : -1,
        count: ui.pane === 'services' ? c.services.length : c.targets.length,
      });
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
    case 'command':
      return setMode(c, { kind: 'prompt', prompt: 'command', label: ':', value: '' });
    case 'filter':
      return setMode(c, {
        kind: 'prompt',
        prompt: 'filter',
        label: `filter ${ui.pane === 'services' ? 'routes' : 'upstreams'}: /`,
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
    case 'rate.halve':
    case 'rate.double':
    case 'rate.down':
    case 'rate.up': {
      if (!c.demo) return flash(c, 'warning', 'no traffic generator here (it comes with "switchyard demo")');
      const now = c.demo.setRate(Math.min(MAX_RATE, nextRate(action, c.demo.rate)));
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
  if (value === 'q' || value === 'quit') return c.quit();
  if (value === 'help' || value === '?') return setMode(c, { kind: 'help', scroll: 0 });
  try {
    const verb = parseCommandLine(value);
    if (verb.op === 'undo') return undo(c);
    if (DESTRUCTIVE.test(verb.op)) {
      const d = describeDestructive(verb);
      return setMode(c, {
        kind: 'confirm',
        message: d.message,
        confirmLabel: d.label,
        command: verb,
        choice: 'cancel',
      });
    }
    apply(c, verb);
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

function dialogKey(c: ActionContext, typed: string, key: Key): void {
  const mode = c.ui.mode;
  const b = resolve(['dialog'], typed, key);
  if (b?.action === 'dialog.cancel') {
    setMode(c, NORMAL);
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
    if (mode.choice === 'confirm') apply(c, mode.command);
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

/** One key, routed by what is open: the panes, a dialog, or the help. ctrl-c quits from anywhere. */
export function handleKey(c: ActionContext, typed: string, key: Key): void {
  const mode = c.ui.mode.kind;
  if (mode === 'normal') {
    const b = resolve([c.ui.pane as Pane, 'global'], typed, key);
    if (b) run(c, b.action, typed);
    return;
  }
  if (key.ctrl && typed === 'c') return c.quit();
  if (mode === 'help') return helpKey(c, typed, key);
  dialogKey(c, typed, key);
}
