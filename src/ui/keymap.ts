/**
 * Every key of the UI, in one place: each binding's keys are written once, parsed once
 * (key-spec.ts), and from them come the matcher, the footer and the help overlay. A `dangerous`
 * binding asks before it acts.
 */
import type { Key } from 'ink';
import type { DeploymentAction } from '../core/deployments.js';
import { footerText, matches, parseKeySpec, type KeySpec } from './key-spec.js';
import type { Pane } from './panes.js';

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

interface BindingSource {
  readonly action: ActionId;
  readonly scope: Scope;
  /** Its keys, in the keymap's notation (key-spec.ts); the first is the one the footer shows. */
  readonly keys: readonly string[];
  /** A word or two for the footer; empty: merged into the next binding's item (`←/→ 5%`). */
  readonly label: string;
  /** The footer's label when it depends on where the cursor is (start or stop). */
  readonly labelFor?: (c: KeyContext) => string;
  /** A few words for the help overlay (≤ 27 characters: two columns fit 80 wide). */
  readonly help: string;
  /** Shown in the footer (when `when` agrees). @default true */
  readonly footer?: false;
  readonly when?: (c: KeyContext) => boolean;
  /** It deletes or gives something up: the UI asks first, with Cancel as the default. */
  readonly dangerous?: true;
}

export interface Binding extends Omit<BindingSource, 'footer'> {
  readonly footer: boolean;
  readonly specs: readonly KeySpec[];
}

const splits = (c: KeyContext) => c.splitSize > 0;
const onApp = (c: KeyContext) => c.app !== undefined;

const SOURCE: readonly BindingSource[] = [
  // Services pane: the ratio slider.
  {
    action: 'split.left',
    scope: 'services',
    keys: ['←', '-'],
    label: '',
    help: '5 points to 1st upstream',
    when: splits,
  },
  {
    action: 'split.right',
    scope: 'services',
    keys: ['→', '+', '='],
    label: '5%',
    help: '5 points to 2nd upstream',
    when: splits,
  },
  {
    action: 'split.left1',
    scope: 'services',
    keys: ['shift-←'],
    label: '',
    help: '1 point to 1st upstream',
    when: splits,
  },
  {
    action: 'split.right1',
    scope: 'services',
    keys: ['shift-→'],
    label: '1%',
    help: '1 point to 2nd upstream',
    when: splits,
  },
  {
    action: 'split.set',
    scope: 'services',
    keys: ['0-9'],
    label: '0–90%',
    help: '2nd upstream to 0%…90%',
    when: splits,
  },
  {
    action: 'split.second',
    scope: 'services',
    keys: ['G'],
    label: '',
    help: '100% on 2nd (green)',
    when: splits,
  },
  {
    action: 'split.first',
    scope: 'services',
    keys: ['B'],
    label: '100%',
    help: '100% on 1st (blue)',
    when: splits,
  },
  {
    action: 'split.switch',
    scope: 'services',
    keys: ['s'],
    label: 'switch',
    help: 'switch all to the other',
    when: splits,
  },
  {
    action: 'split.focus',
    scope: 'services',
    keys: ['enter'],
    label: 'next upstream',
    help: '3+ upstreams: next one',
    when: (c) => c.splitSize > 2,
  },
  // Targets pane.
  {
    action: 'target.weight',
    scope: 'targets',
    keys: ['w'],
    label: 'weight',
    help: "edit the target's weight",
    when: (c) => c.onTarget,
  },
  // Apps pane.
  {
    action: 'app.toggle',
    scope: 'apps',
    keys: ['s'],
    label: 'start/stop',
    labelFor: (c) => (c.app?.stopped ? 'start' : 'stop'),
    help: 'stop / start the app',
    when: onApp,
  },
  {
    action: 'app.restart',
    scope: 'apps',
    keys: ['R'],
    label: 'restart',
    help: 'restart (rolling)',
    when: onApp,
  },
  {
    action: 'app.log',
    scope: 'apps',
    keys: ['l', 'enter'],
    label: 'log',
    help: "the app's log",
    when: onApp,
  },
  {
    action: 'app.delete',
    scope: 'apps',
    keys: ['d'],
    label: 'delete',
    help: 'delete the app (asks)',
    when: onApp,
    dangerous: true,
  },
  // Deployments pane.
  {
    action: 'deploy.resume',
    scope: 'deployments',
    keys: ['r'],
    label: 'resume',
    help: 'resume: new version live',
    when: (c) => c.deployment?.resume === true,
  },
  {
    action: 'deploy.abort',
    scope: 'deployments',
    keys: ['a'],
    label: 'abort',
    help: 'abort: old stays (asks)',
    when: (c) => c.deployment?.abort === true,
    dangerous: true,
  },
  {
    action: 'deploy.cleanup',
    scope: 'deployments',
    keys: ['c'],
    label: 'clean up',
    help: 'clean up after an abort',
    when: (c) => c.deployment?.cleanup === true,
    dangerous: true,
  },
  // Everywhere.
  {
    action: 'pane.next',
    scope: 'global',
    keys: ['tab', '⇧tab'],
    label: 'pane',
    help: 'next pane / previous pane',
  },
  { action: 'cursor.down', scope: 'global', keys: ['j', '↓'], label: '', help: 'move down' },
  { action: 'cursor.up', scope: 'global', keys: ['k', '↑'], label: 'move', help: 'move up' },
  { action: 'undo', scope: 'global', keys: ['z'], label: 'undo', help: 'undo last change' },
  {
    action: 'fleet.reapply',
    scope: 'global',
    keys: ['A'],
    label: 'apply again',
    help: 'HAProxy: apply all again',
    when: (c) => c.fleet === true,
  },
  { action: 'command', scope: 'global', keys: [':'], label: 'cmd', help: 'command line (CLI verbs)' },
  { action: 'filter', scope: 'global', keys: ['/', 'esc'], label: 'filter', help: 'filter list; esc clears' },
  { action: 'pause', scope: 'global', keys: ['p'], label: 'pause', help: 'pause/resume numbers' },
  {
    action: 'rate.down',
    scope: 'global',
    keys: ['[', '{'],
    label: '',
    help: 'generator ÷2, { −10 req/s',
    when: (c) => c.demo,
  },
  {
    action: 'rate.up',
    scope: 'global',
    keys: [']', '}'],
    label: 'rate',
    help: 'generator ×2, } +10 req/s',
    when: (c) => c.demo,
  },
  { action: 'help', scope: 'global', keys: ['?'], label: 'help', help: 'this help' },
  { action: 'quit', scope: 'global', keys: ['q', 'ctrl-c'], label: 'quit', help: 'quit (drains, saves)' },
  // Dialogs: the command line, filter and weight prompts, the upstream picker, confirmations.
  { action: 'dialog.submit', scope: 'dialog', keys: ['enter'], label: 'ok', help: 'apply / choose' },
  {
    action: 'dialog.cancel',
    scope: 'dialog',
    keys: ['esc'],
    label: 'cancel',
    help: 'cancel, change nothing',
  },
  {
    action: 'dialog.erase',
    scope: 'dialog',
    keys: ['backspace'],
    label: '',
    help: 'erase a character',
    footer: false,
  },
  {
    action: 'dialog.prev',
    scope: 'dialog',
    keys: ['←', '↑', 'k'],
    label: '',
    help: 'previous choice',
    footer: false,
  },
  {
    action: 'dialog.next',
    scope: 'dialog',
    keys: ['→', '↓', 'j', 'tab'],
    label: '',
    help: 'next choice',
    footer: false,
  },
  // The help overlay.
  {
    action: 'help.close',
    scope: 'help',
    keys: ['esc', '?', 'q', 'l'],
    label: 'close',
    help: 'close help (or the log)',
  },
  { action: 'help.down', scope: 'help', keys: ['j', '↓'], label: '', help: 'scroll down (newer)' },
  { action: 'help.up', scope: 'help', keys: ['k', '↑'], label: 'scroll', help: 'scroll up (older)' },
];

export const KEYMAP: readonly Binding[] = SOURCE.map((b) => ({
  ...b,
  footer: b.footer ?? true,
  specs: b.keys.map(parseKeySpec),
}));

/** Per scope, the named keys it also binds with shift (`←` beside `shift-←`): there the bare spec takes the bare key only. */
const STRICT: ReadonlyMap<Scope, ReadonlySet<string>> = new Map(
  [...new Set(KEYMAP.map((b) => b.scope))].map((scope) => [
    scope,
    new Set(
      KEYMAP.filter((b) => b.scope === scope).flatMap((b) =>
        b.specs.flatMap((s) => (s.kind === 'named' && s.shift ? [s.key] : [])),
      ),
    ),
  ]),
);

function bindingMatches(b: Binding, input: string, key: Key): boolean {
  const strict = STRICT.get(b.scope);
  return b.specs.some((s) => matches(s, input, key, s.kind === 'named' && strict?.has(s.key) === true));
}

export const SCOPE_TITLES: Readonly<Record<Scope, string>> = {
  services: 'Routes → services (slider)',
  targets: 'Upstreams → targets',
  apps: 'Apps',
  deployments: 'Deployments',
  global: 'Everywhere',
  dialog: 'Dialogs',
  help: "this help, an app's log",
};

/** The binding for a key in `scopes`, first scope first. */
export function resolve(scopes: readonly Scope[], input: string, key: Key): Binding | undefined {
  for (const scope of scopes) {
    for (const b of KEYMAP) if (b.scope === scope && bindingMatches(b, input, key)) return b;
  }
  return undefined;
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
      pending.push(footerText(b.specs[0] as KeySpec));
      if (b.label) {
        items.push({ keys: pending.join('/'), label: b.labelFor?.(ctx) ?? b.label });
        pending = [];
      }
    }
  }
  return items;
}
