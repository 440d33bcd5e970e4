/**
 * What a key asks for, as data. Key handling (key-intent.ts, pane-keys.ts, dialog-keys.ts) is
 * pure: the key and what is on screen in, a list of intents out, done in order by perform.ts,
 * the one module that touches the store, the deployer, a fleet or the traffic generator.
 */
import type { Command } from '../core/commands.js';
import { serviceLabel, type State } from '../core/model.js';
import type { Effect, FlashLevel, Mode, UiAction, UiState } from './hooks/use-app-state.js';
import type { Pane } from './panes.js';
import type { Plan, SplitAction } from './split.js';
import type { AppRow } from './view/apps.js';
import type { DeploymentRow } from './view/deployments.js';
import type { ServiceRow } from './view/services.js';
import type { TargetRow } from './view/targets.js';

/** Everything key handling reads, as of the key: plain data, so a key's intents are a pure function of it. */
export interface KeyView {
  readonly ui: UiState;
  /** The store's state now (it may have moved on since the last render). */
  readonly state: State;
  readonly canUndo: boolean;
  /** The rows as rendered; the selected ones follow `ui.cursor`. */
  readonly services: readonly ServiceRow[];
  readonly targets: readonly TargetRow[];
  readonly apps: readonly AppRow[];
  readonly deployments: readonly DeploymentRow[];
  /** The panes on screen, in tab order; the keys go to `ui.pane`, or the nearest one before it on screen. */
  readonly panes: readonly Pane[];
  /** A deployer is there to resume, abort and clean up deployments. */
  readonly deployer: boolean;
  /** The changes go to a fleet of HAProxy instances (`A` applies them again). */
  readonly fleet: boolean;
  /** The traffic generator's rate and the most it takes (absent: no generator here). */
  readonly traffic: { readonly rate: number; readonly maxRate: number } | undefined;
  /** Lines of help beyond the screen (how far it scrolls). */
  readonly helpOverflow: number;
  /** Lines of the open log beyond the screen. */
  readonly logOverflow: number;
}

export type Intent =
  /** A change of the UI's own state (pane, cursor, mode, flash…): nothing outside the UI moves. */
  | { readonly kind: 'ui'; readonly action: UiAction }
  /** A command through the store; one core wants confirmed (it would stop a service that serves) is asked about. */
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'undo' }
  /** The whole state to every HAProxy instance again (after drift). */
  | { readonly kind: 'reapply' }
  /** The traffic generator's rate, in requests per second. */
  | { readonly kind: 'rate'; readonly rate: number }
  | { readonly kind: 'deploy.resume'; readonly id: string }
  | { readonly kind: 'deploy.start'; readonly file: string; readonly noConfirm: boolean }
  | { readonly kind: 'config.check' | 'config.apply'; readonly file: string }
  | { readonly kind: 'config.export'; readonly file: string; readonly flavour: 'switchyard' | 'kong' }
  | { readonly kind: 'quit' }
  /** What a confirmation was about, once confirmed. */
  | Effect;

export const NORMAL: Mode = { kind: 'normal' };

export function ui(action: UiAction): Intent {
  return { kind: 'ui', action };
}

export function flash(level: FlashLevel, text: string): Intent {
  return ui({ type: 'flash', level, text });
}

export function setMode(mode: Mode): Intent {
  return ui({ type: 'mode', mode });
}

/** What the slider's plan for a service comes to: a command, a message, or the picker asking which upstream to bring in. */
export function followPlan(state: State, plan: Plan, serviceId: string, then: SplitAction): Intent[] {
  switch (plan.kind) {
    case 'command':
      return [{ kind: 'command', command: plan.command }];
    case 'noop':
      return [flash('info', plan.message)];
    case 'error':
      return [flash('error', plan.message)];
    case 'pick': {
      const s = state.services.find((x) => x.id === serviceId);
      const name = s ? serviceLabel(s) : serviceId;
      return [
        setMode({
          kind: 'picker',
          label: `${name} is all on ${s?.host ?? '?'}: bring in which upstream?`,
          service: serviceId,
          options: plan.options,
          index: 0,
          then,
        }),
      ];
    }
  }
}
