/** The UI's own state (panes, cursors, dialogs, flash), as a reducer over a typed action union. */
import { useEffect, useReducer, type Dispatch } from 'react';
import type { Command } from '../../core/commands.js';
import { PANES, type Pane } from '../panes.js';
import type { SplitAction } from '../split.js';

export type PromptKind = 'weight' | 'command' | 'filter';

/** What a confirmation does once confirmed: a command through the store, or a deployer action. */
export type Effect =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'deploy.abort' | 'deploy.cleanup'; readonly id: string };

export type Mode =
  | { readonly kind: 'normal' }
  | { readonly kind: 'help'; readonly scroll: number }
  /** An app's last log lines; `scroll` counts lines up from the newest. */
  | { readonly kind: 'log'; readonly app: string; readonly scroll: number }
  | {
      readonly kind: 'prompt';
      readonly prompt: PromptKind;
      readonly label: string;
      readonly value: string;
      /** For `weight`: the target being edited. */
      readonly upstream?: string;
      readonly target?: string;
      /** For `command`: how far back in the history ↑ went (0: the line being typed). */
      readonly back?: number;
      /** …and the line being typed, kept while ↑ shows older ones. */
      readonly draft?: string;
    }
  | {
      readonly kind: 'picker';
      readonly label: string;
      readonly service: string;
      readonly options: readonly string[];
      readonly index: number;
      /** The slider action to apply once an upstream is chosen. */
      readonly then: SplitAction;
    }
  | {
      readonly kind: 'confirm';
      readonly message: string;
      readonly confirmLabel: string;
      readonly effect: Effect;
      /** Cancel is the default. */
      readonly choice: 'cancel' | 'confirm';
    };

export type FlashLevel = 'info' | 'warning' | 'error';

export interface Flash {
  readonly level: FlashLevel;
  readonly text: string;
  readonly seq: number;
}

export interface UiState {
  readonly pane: Pane;
  readonly cursor: Readonly<Record<Pane, number>>;
  readonly filter: Readonly<Record<Pane, string>>;
  readonly mode: Mode;
  readonly flash: Flash | null;
  readonly paused: boolean;
  /** Per service id: the upstream the arrows move when the split has 3+ upstreams. */
  readonly focus: Readonly<Record<string, string>>;
  readonly seq: number;
  /** The `:` lines run this session, oldest first (↑ recalls them). */
  readonly history: readonly string[];
}

export type UiAction =
  /** Moves to the next (or previous) of the panes on screen. */
  | { readonly type: 'pane.next'; readonly panes: readonly Pane[]; readonly delta: 1 | -1 }
  | { readonly type: 'pane.set'; readonly pane: Pane }
  /** Moves the cursor of the current pane within `count` rows. */
  | { readonly type: 'cursor.move'; readonly delta: number; readonly count: number }
  | { readonly type: 'mode'; readonly mode: Mode }
  | { readonly type: 'prompt.edit'; readonly value: string }
  | { readonly type: 'choice.move'; readonly delta: number }
  | { readonly type: 'help.scroll'; readonly delta: number; readonly max: number }
  | { readonly type: 'log.scroll'; readonly delta: number; readonly max: number }
  | { readonly type: 'filter.set'; readonly pane: Pane; readonly value: string }
  | { readonly type: 'flash'; readonly level: FlashLevel; readonly text: string }
  | { readonly type: 'flash.clear'; readonly seq: number }
  | { readonly type: 'history.push'; readonly line: string }
  /** ↑ (-1) and ↓ (+1) in the `:` prompt. */
  | { readonly type: 'history.move'; readonly delta: -1 | 1 }
  | { readonly type: 'pause.toggle' }
  | { readonly type: 'focus'; readonly service: string; readonly upstream: string };

export const initialUiState: UiState = {
  pane: 'services',
  cursor: { services: 0, targets: 0, apps: 0, deployments: 0 },
  filter: { services: '', targets: '', apps: '', deployments: '' },
  mode: { kind: 'normal' },
  flash: null,
  paused: false,
  focus: {},
  seq: 0,
  history: [],
};

/** How many `:` lines ↑ can recall. */
const HISTORY_SIZE = 100;

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'pane.next': {
      const panes = a.panes.length ? a.panes : PANES;
      const i = panes.indexOf(s.pane);
      const next = i === -1 ? 0 : (i + a.delta + panes.length) % panes.length;
      return { ...s, pane: panes[next] as Pane };
    }
    case 'pane.set':
      return s.pane === a.pane ? s : { ...s, pane: a.pane };
    case 'cursor.move': {
      const cur = clamp(s.cursor[s.pane], 0, Math.max(0, a.count - 1));
      return { ...s, cursor: { ...s.cursor, [s.pane]: clamp(cur + a.delta, 0, Math.max(0, a.count - 1)) } };
    }
    case 'mode':
      return { ...s, mode: a.mode };
    case 'prompt.edit': {
      if (s.mode.kind !== 'prompt') return s;
      const mode = { ...s.mode, value: a.value };
      // The filter applies as it is typed.
      if (s.mode.prompt === 'filter')
        return {
          ...s,
          mode,
          filter: { ...s.filter, [s.pane]: a.value },
          cursor: { ...s.cursor, [s.pane]: 0 },
        };
      return { ...s, mode };
    }
    case 'choice.move':
      if (s.mode.kind === 'picker') {
        const n = s.mode.options.length;
        return { ...s, mode: { ...s.mode, index: (s.mode.index + a.delta + n) % n } };
      }
      if (s.mode.kind === 'confirm')
        return { ...s, mode: { ...s.mode, choice: s.mode.choice === 'cancel' ? 'confirm' : 'cancel' } };
      return s;
    case 'help.scroll':
      if (s.mode.kind !== 'help') return s;
      return { ...s, mode: { kind: 'help', scroll: clamp(s.mode.scroll + a.delta, 0, Math.max(0, a.max)) } };
    case 'log.scroll':
      if (s.mode.kind !== 'log') return s;
      return { ...s, mode: { ...s.mode, scroll: clamp(s.mode.scroll + a.delta, 0, Math.max(0, a.max)) } };
    case 'filter.set':
      return { ...s, filter: { ...s.filter, [a.pane]: a.value }, cursor: { ...s.cursor, [a.pane]: 0 } };
    case 'flash':
      return { ...s, flash: { level: a.level, text: a.text, seq: s.seq + 1 }, seq: s.seq + 1 };
    case 'flash.clear':
      return s.flash?.seq === a.seq ? { ...s, flash: null } : s;
    case 'history.push': {
      // The same line twice in a row is one entry, as in a shell.
      if (s.history[s.history.length - 1] === a.line) return s;
      return { ...s, history: [...s.history, a.line].slice(-HISTORY_SIZE) };
    }
    case 'history.move': {
      if (s.mode.kind !== 'prompt' || s.mode.prompt !== 'command') return s;
      const back = clamp((s.mode.back ?? 0) - a.delta, 0, s.history.length);
      if (back === (s.mode.back ?? 0)) return s;
      const draft = (s.mode.back ?? 0) === 0 ? s.mode.value : (s.mode.draft ?? '');
      const value = back === 0 ? draft : (s.history[s.history.length - back] as string);
      return { ...s, mode: { ...s.mode, back, draft, value } };
    }
    case 'pause.toggle':
      return { ...s, paused: !s.paused };
    case 'focus':
      return { ...s, focus: { ...s.focus, [a.service]: a.upstream } };
  }
}

/** How long a flash stays, by level: errors a little longer, they need reading. */
export const FLASH_MS: Readonly<Record<FlashLevel, number>> = { info: 4000, warning: 5000, error: 7000 };

export function useAppState(): [UiState, Dispatch<UiAction>] {
  const [state, dispatch] = useReducer(uiReducer, initialUiState);
  const flash = state.flash;
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => dispatch({ type: 'flash.clear', seq: flash.seq }), FLASH_MS[flash.level]);
    return () => clearTimeout(t);
  }, [flash]);
  return [state, dispatch];
}
