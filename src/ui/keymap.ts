/**
 * Every key of the UI, in one place: the input hooks resolve keys here, the footer shows the
 * bindings that apply where the cursor is, and the help overlay lists them all.
 */
import type { Key } from 'ink';
import type { DeploymentAction } from '../core/deployments.js';

/** The panes, in the order tab visits them (apps and deployments only when there is one to show). */
export const PANES = ['services', 'targets', 'apps', 'deployments'] as const;

export type Pane = (typeof PANES)[number];

/**
 * Where a binding works: everywhere, in one pane, in a dialog (prompt, picker, confirm), or in an
 * overlay (the help, an app's log: the same keys close and scroll both).
 */
export type Scope = 'global' | Pane | 'dialog' | 'help';

export type ActionId =
  | 'pane.next'
  | 'cursor.down'
  | 'cursor.up'
  | 'split.left'
  | 'split.right'
  | 'split.left1'
  | 'split.right1'
  | 'split.set'
  | 'split.second'
  | 'split.first'
  | 'split.switch'
  | 'split.focus'
  | 'target.weight'
  | 'app.toggle'
  | 'app.restart'
  | 'app.log'
  | 'app.delete'
  | 'deploy.resume'
  | 'deploy.abort'
  | 'deploy.cleanup'
  | 'undo'
  | 'fleet.reapply'
  | 'command'
  | 'filter'
  | 'pause'
  | 'help'
  | 'quit'
  | 'rate.down'
  | 'rate.up'
  | 'dialog.submit'
  | 'dialog.cancel'
  | 'dialog.erase'
  | 'dialog.prev'
  | 'dialog.next'
  | 'help.close'
  | 'help.down'
  | 'help.up';

/** What the footer needs to know to show only the keys that work where the cursor is. */
export interface KeyContext {
  /** A traffic generator is running (the demo). */
  readonly demo: boolean;
  /** Upstreams in the selected service's split (0 when none is selected or it has no split). */
  readonly splitSize: number;
  /** The cursor is on a target row (targets pane). */
  readonly onTarget: boolean;
  /** The app under the cursor (apps pane). */
  readonly app?: { readonly stopped: boolean } | undefined;
  /** What may be done to the deployment under the cursor (deployments pane), by core's rules. */
  readonly deployment?: Readonly<Record<DeploymentAction, boolean>> | undefined;
  /** The data plane is a fleet of HAProxy instances (`A` applies the state again). */
  readonly fleet?: boolean;
}

export interface Binding {
  readonly action: ActionId;
  readonly scope: Scope;
  /** Keys as shown in the footer and the help overlay. */
  readonly keys: readonly string[];
  /** A word or two for the footer. */
  readonly label: string;
  /** The footer's label when it depends on where the cursor is (start or stop). */
  readonly labelFor?: (c: KeyContext) => string;
  /** A few words for the help overlay (≤ 27 characters: two columns fit 80 wide). */
  readonly help: string;
  /** Shown in the footer (when `when` agrees). */
  readonly footer: boolean;
  readonly when?: (c: KeyContext) => boolean;
  readonly match: (input: string, key: Key) => boolean;
}

const plain = (key: Key) => !key.ctrl && !key.meta;
const char = (c: string) => (input: string, key: Key) => plain(key) && input === c;
const splits = (c: KeyContext) => c.splitSize > 0;

export const KEYMAP: readonly Binding[] = [
  // Services pane: the ratio slider.
  {
    action: 'split.left',
    scope: 'services',
    keys: ['←', '-'],
    label: '',
    help: '5 points to 1st upstream',
    footer: true,
    when: splits,
    match: (i, k) => (k.leftArrow && !k.shift && !k.ctrl) || (plain(k) && i === '-'),
  },
  {
    action: 'split.right',
    scope: 'services',
    keys: ['→', '+', '='],
    label: '5%',
    help: '5 points to 2nd upstream',
    footer: true,
    when: splits,
    match: (i, k) => (k.rightArrow && !k.shift && !k.ctrl) || (plain(k) && (i === '+' || i === '=')),
  },
  {
    action: 'split.left1',
    scope: 'services',
    keys: ['shift-←'],
    label: '',
    help: '1 point to 1st upstream',
    footer: true,
    when: splits,
    match: (_i, k) => k.leftArrow && k.shift,
  },
  {
    action: 'split.right1',
    scope: 'services',
    keys: ['shift-→'],
    label: '1%',
    help: '1 point to 2nd upstream',
    footer: true,
    when: splits,
    match: (_i, k) => k.rightArrow && k.shift,
  },
  {
    action: 'split.set',
    scope: 'services',
    keys: ['0-9'],
    label: '0–90%',
    help: '2nd upstream to 0%…90%',
    footer: true,
    when: splits,
    match: (i, k) => plain(k) && /^[0-9]$/.test(i),
  },
  {
    action: 'split.second',
    scope: 'services',
    keys: ['G'],
    label: '',
    help: '100% on 2nd (green)',
    footer: true,
    when: splits,
    match: char('G'),
  },
  {
    action: 'split.first',
    scope: 'services',
    keys: ['B'],
    label: '100%',
    help: '100% on 1st (blue)',
    footer: true,
    when: splits,
    match: char('B'),
  },
  {
    action: 'split.switch',
    scope: 'services',
    keys: ['s'],
    label: 'switch',
    help: 'switch all to the other',
    footer: true,
    when: splits,
    match: char('s'),
  },
  {
    action: 'split.focus',
    scope: 'services',
    keys: ['enter'],
    label: 'next upstream',
    help: '3+ upstreams: next one',
    footer: true,
    when: (c) => c.splitSize > 2,
    match: (_i, k) => k.return,
  },
  // Targets pane.
  {
    action: 'target.weight',
    scope: 'targets',
    keys: ['w'],
    label: 'weight',
    help: "edit the target's weight",
    footer: true,
    when: (c) => c.onTarget,
    match: char('w'),
  },
  // Apps pane.
  {
    action: 'app.toggle',
    scope: 'apps',
    keys: ['s'],
    label: 'start/stop',
    labelFor: (c) => (c.app?.stopped ? 'start' : 'stop'),
    help: 'stop / start the app',
    footer: true,
    when: (c) => c.app !== undefined,
    match: char('s'),
  },
  {
    action: 'app.restart',
    scope: 'apps',
    keys: ['R'],
    label: 'restart',
    help: 'restart (rolling)',
    footer: true,
    when: (c) => c.app !== undefined,
    match: char('R'),
  },
  {
    action: 'app.log',
    scope: 'apps',
    keys: ['l', 'enter'],
    label: 'log',
    help: "the app's log",
    footer: true,
    when: (c) => c.app !== undefined,
    match: (i, k) => k.return || (plain(k) && i === 'l'),
  },
  {
    action: 'app.delete',
    scope: 'apps',
    keys: ['d'],
    label: 'delete',
    help: 'delete the app (asks)',
    footer: true,
    when: (c) => c.app !== undefined,
    match: char('d'),
  },
  // Deployments pane.
  {
    action: 'deploy.resume',
    scope: 'deployments',
    keys: ['r'],
    label: 'resume',
    help: 'resume: new version live',
    footer: true,
    when: (c) => c.deployment?.resume === true,
    match: char('r'),
  },
  {
    action: 'deploy.abort',
    scope: 'deployments',
    keys: ['a'],
    label: 'abort',
    help: 'abort: old stays (asks)',
    footer: true,
    when: (c) => c.deployment?.abort === true,
    match: char('a'),
  },
  {
    action: 'deploy.cleanup',
    scope: 'deployments',
    keys: ['c'],
    label: 'clean up',
    help: 'clean up after an abort',
    footer: true,
    when: (c) => c.deployment?.cleanup === true,
    match: char('c'),
  },
  // Everywhere.
  {
    action: 'pane.next',
    scope: 'global',
    keys: ['tab', '⇧tab'],
    label: 'pane',
    help: 'next pane / previous pane',
    footer: true,
    match: (_i, k) => k.tab,
  },
  {
    action: 'cursor.down',
    scope: 'global',
    keys: ['j', '↓'],
    label: '',
    help: 'move down',
    footer: true,
    match: (i, k) => k.downArrow || (plain(k) && i === 'j'),
  },
  {
    action: 'cursor.up',
    scope: 'global',
    keys: ['k', '↑'],
    label: 'move',
    help: 'move up',
    footer: true,
    match: (i, k) => k.upArrow || (plain(k) && i === 'k'),
  },
  {
    action: 'undo',
    scope: 'global',
    keys: ['z'],
    label: 'undo',
    help: 'undo last change',
    footer: true,
    match: char('z'),
  },
  {
    action: 'fleet.reapply',
    scope: 'global',
    keys: ['A'],
    label: 'apply again',
    help: 'HAProxy: apply all again',
    footer: true,
    when: (c) => c.fleet === true,
    match: char('A'),
  },
  {
    action: 'command',
    scope: 'global',
    keys: [':'],
    label: 'cmd',
    help: 'command line (CLI verbs)',
    footer: true,
    match: char(':'),
  },
  {
    action: 'filter',
    scope: 'global',
    keys: ['/', 'esc'],
    label: 'filter',
    help: 'filter list; esc clears',
    footer: true,
    match: (i, k) => k.escape || (plain(k) && i === '/'),
  },
  {
    action: 'pause',
    scope: 'global',
    keys: ['p'],
    label: 'pause',
    help: 'pause/resume numbers',
    footer: true,
    match: char('p'),
  },
  {
    action: 'rate.down',
    scope: 'global',
    keys: ['[', '{'],
    label: '',
    help: 'generator ÷2, { −10 req/s',
    footer: true,
    when: (c) => c.demo,
    match: (i, k) => plain(k) && (i === '[' || i === '{'),
  },
  {
    action: 'rate.up',
    scope: 'global',
    keys: [']', '}'],
    label: 'rate',
    help: 'generator ×2, } +10 req/s',
    footer: true,
    when: (c) => c.demo,
    match: (i, k) => plain(k) && (i === ']' || i === '}'),
  },
  {
    action: 'help',
    scope: 'global',
    keys: ['?'],
    label: 'help',
    help: 'this help',
    footer: true,
    match: char('?'),
  },
  {
    action: 'quit',
    scope: 'global',
    keys: ['q', 'ctrl-c'],
    label: 'quit',
    help: 'quit (drains, saves)',
    footer: true,
    match: (i, k) => (plain(k) && i === 'q') || (k.ctrl && i === 'c'),
  },
  // Dialogs: the command line, filter and weight prompts, the upstream picker, confirmations.
  {
    action: 'dialog.submit',
    scope: 'dialog',
    keys: ['enter'],
    label: 'ok',
    help: 'apply / choose',
    footer: true,
    match: (_i, k) => k.return,
  },
  {
    action: 'dialog.cancel',
    scope: 'dialog',
    keys: ['esc'],
    label: 'cancel',
    help: 'cancel, change nothing',
    footer: true,
    match: (_i, k) => k.escape,
  },
  {
    action: 'dialog.erase',
    scope: 'dialog',
    keys: ['backspace'],
    label: '',
    help: 'erase a character',
    footer: false,
    match: (_i, k) => k.backspace || k.delete,
  },
  {
    action: 'dialog.prev',
    scope: 'dialog',
    keys: ['←', '↑', 'k'],
    label: '',
    help: 'previous choice',
    footer: false,
    match: (i, k) => k.leftArrow || k.upArrow || (plain(k) && i === 'k'),
  },
  {
    action: 'dialog.next',
    scope: 'dialog',
    keys: ['→', '↓', 'j', 'tab'],
    label: '',
    help: 'next choice',
    footer: false,
    match: (i, k) => k.rightArrow || k.downArrow || k.tab || (plain(k) && i === 'j'),
  },
  // The help overlay.
  {
    action: 'help.close',
    scope: 'help',
    keys: ['esc', '?', 'q', 'l'],
    label: 'close',
    help: 'close help (or the log)',
    footer: true,
    match: (i, k) => k.escape || (plain(k) && (i === '?' || i === 'q' || i === 'l')),
  },
  {
    action: 'help.down',
    scope: 'help',
    keys: ['j', '↓'],
    label: '',
    help: 'scroll down (newer)',
    footer: true,
    match: (i, k) => k.downArrow || (plain(k) && i === 'j'),
  },
  {
    action: 'help.up',
    scope: 'help',
    keys: ['k', '↑'],
    label: 'scroll',
    help: 'scroll up (older)',
    footer: true,
    match: (i, k) => k.upArrow || (plain(k) && i === 'k'),
  },
];

export const SCOPE_TITLES: Readonly<Record<Scope, string>> = {
  services: 'Routes → services (slider)',
  targets: 'Upstreams → targets',
  apps: 'Apps',
  deployments: 'Deployments',
  global: 'Everywhere',
  dialog: 'Dialogs',
  help: "this help, an app's log",
};

/** The binding for a key in `scopes`, first scope first. Escape is tested before anything else (Ink 6 also sets meta on it). */
export function resolve(scopes: readonly Scope[], input: string, key: Key): Binding | undefined {
  for (const scope of scopes) {
    for (const b of KEYMAP) if (b.scope === scope && b.match(input, key)) return b;
  }
  return undefined;
}

/** The scopes that apply in a pane, most specific first. */
export function paneScopes(pane: Pane): readonly Scope[] {
  return [pane, 'global'];
}

export interface FooterItem {
  readonly keys: string;
  readonly label: string;
}

/**
 * Footer items for some scopes: bindings with an empty label are merged into the next one
 * (`←/→ 5%`, `j/k move`), so related keys read as one item.
 */
export function footerItems(scopes: readonly Scope[], ctx: KeyContext): FooterItem[] {
  const items: FooterItem[] = [];
  let pending: string[] = [];
  for (const scope of scopes) {
    for (const b of KEYMAP) {
      if (b.scope !== scope || !b.footer || (b.when && !b.when(ctx))) continue;
      pending.push((b.keys[0] as string).replace('shift-', '⇧'));
      if (b.label) {
        items.push({ keys: pending.join('/'), label: b.labelFor?.(ctx) ?? b.label });
        pending = [];
      }
    }
  }
  return items;
}

/** A key event with nothing pressed: the base of every synthesised one. */
export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key a single character stands for, as Ink would report it typed alone. */
export function keyOf(ch: string): Key {
  const code = ch.charCodeAt(0);
  if (ch === '\t') return { ...NO_KEY, tab: true };
  if (ch === '\r' || ch === '\n') return { ...NO_KEY, return: true };
  if (ch === '\u007f' || ch === '\b') return { ...NO_KEY, delete: true };
  if (code < 0x20) return { ...NO_KEY, ctrl: true };
  return { ...NO_KEY, shift: /^[A-Z]$/.test(ch) };
}

/**
 * Ink hands over several characters that arrive together (a paste, keys sent by a script) as one
 * string; they are taken one key at a time, so `:split demo blue=50⏎` pasted in works as typed.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta || key.escape) return [[input, key]];
  return chars.map((ch) => {
    const k = keyOf(ch);
    // Ink reports ctrl-letter with the letter as input.
    return [k.ctrl ? String.fromCharCode(ch.charCodeAt(0) + 96) : ch, k];
  });
}
