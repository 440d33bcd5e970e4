/**
 * The dialogs' keys, as intents (pure): typing into a prompt (the `:` line, the filter, a
 * target's weight) and submitting it, the `:` line's verbs, the upstream picker and the
 * confirmations. Esc cancels any of them and changes nothing.
 */
import type { Key } from 'ink';
import { errorText } from './errors.js';
import { completeLine, parseLine, type LineIntent } from './command-line.js';
import { askBefore, confirmFirst } from './confirm.js';
import type { Mode } from './hooks/use-app-state.js';
import { flash, followPlan, NORMAL, setMode, ui, type Intent, type KeyView } from './intent.js';
import { resolve } from './keymap.js';
import { deploymentIntents, isDangerous, openLog } from './pane-keys.js';
import { PANE_WORDS } from './panes.js';
import { planSplit } from './split.js';

/** What a `:` line asks for, as the UI does it. */
function lineIntents(v: KeyView, intent: LineIntent): Intent[] {
  switch (intent.kind) {
    case 'quit':
      return [{ kind: 'quit' }];
    case 'help':
      return [setMode({ kind: 'help', scroll: 0 })];
    case 'pane':
      if (!v.panes.includes(intent.pane))
        return [
          flash(
            'info',
            `no ${PANE_WORDS[intent.pane]} yet${intent.pane === 'apps' ? ': push one (:push APP --route … --command …)' : ''}`,
          ),
        ];
      return [ui({ type: 'pane.set', pane: intent.pane })];
    case 'log': {
      const app = v.state.apps.find((a) => a.name === intent.app);
      if (!app) return [flash('error', `no app '${intent.app}'`)];
      return [openLog(app.name, app.command !== null)];
    }
    case 'deploy.action': {
      const intents = deploymentIntents(v, intent.id, intent.action);
      return isDangerous(`deploy.${intent.action}`) ? intents.map((i) => confirmFirst(v, i)) : intents;
    }
    case 'deploy.start':
      if (!v.deployer) return [flash('error', 'deployments are not available here')];
      return [{ kind: 'deploy.start', file: intent.file, noConfirm: intent.noConfirm }];
    case 'config.check':
    case 'config.apply':
      return [{ kind: intent.kind, file: intent.file }];
    case 'config.export':
      return [{ kind: 'config.export', file: intent.file, flavour: intent.flavour }];
    case 'verb': {
      const verb = intent.verb;
      if (verb.op === 'undo') return v.canUndo ? [{ kind: 'undo' }] : [flash('warning', 'nothing to undo')];
      return [intent.dangerous ? askBefore(verb) : { kind: 'command', command: verb }];
    }
  }
}

function submitPrompt(v: KeyView, mode: Extract<Mode, { kind: 'prompt' }>): Intent[] {
  const value = mode.value.trim();
  const close = setMode(NORMAL);
  if (mode.prompt === 'filter') return [close];
  if (mode.prompt === 'weight') {
    if (!/^\d+$/.test(value))
      return [
        close,
        flash('error', `weight must be a whole number 0..65535, got '${mode.value}': nothing changed`),
      ];
    const fields = { weight: Number(value) };
    return [
      close,
      {
        kind: 'command',
        command: {
          op: 'target.update',
          upstream: mode.upstream as string,
          target: mode.target as string,
          fields,
        },
      },
    ];
  }
  if (value === '') return [close];
  const remember = ui({ type: 'history.push', line: value });
  let intent: LineIntent;
  try {
    intent = parseLine(value);
  } catch (e) {
    return [close, remember, flash('error', errorText(e))];
  }
  return [close, remember, ...lineIntents(v, intent)];
}

function promptKey(v: KeyView, mode: Extract<Mode, { kind: 'prompt' }>, typed: string, key: Key): Intent[] {
  const action = resolve(['dialog'], typed, key)?.action;
  if (action === 'dialog.submit') return submitPrompt(v, mode);
  if (action === 'dialog.erase')
    return [ui({ type: 'prompt.edit', value: [...mode.value].slice(0, -1).join('') })];
  if (key.ctrl && typed === 'u') return [ui({ type: 'prompt.edit', value: '' })];
  if (mode.prompt === 'command' && (key.upArrow || key.downArrow))
    return [ui({ type: 'history.move', delta: key.upArrow ? -1 : 1 })];
  if (mode.prompt === 'command' && key.tab) {
    const done = completeLine(mode.value, v.state);
    return [
      ...(done.value !== mode.value ? [ui({ type: 'prompt.edit', value: done.value })] : []),
      ...(done.options.length ? [flash('info', done.options.join('  '))] : []),
    ];
  }
  // eslint-disable-next-line no-control-regex
  const text = key.ctrl || key.meta ? '' : typed.replace(/[\u0000-\u001f\u007f]/g, '');
  return text ? [ui({ type: 'prompt.edit', value: mode.value + text })] : [];
}

function cancel(v: KeyView): Intent[] {
  const mode = v.ui.mode;
  // A message from before the dialog was opened (a refusal) is not about what was cancelled.
  const out: Intent[] = [
    setMode(NORMAL),
    ...(v.ui.flash ? [ui({ type: 'flash.clear', seq: v.ui.flash.seq })] : []),
  ];
  if (mode.kind === 'prompt' && mode.prompt === 'filter')
    out.push(ui({ type: 'filter.set', pane: v.ui.pane, value: '' }));
  else if (mode.kind === 'confirm' || mode.kind === 'picker')
    out.push(flash('info', 'cancelled: nothing changed'));
  return out;
}

/** A key while a dialog is open: a prompt, the upstream picker or a confirmation. */
export function dialogIntents(v: KeyView, typed: string, key: Key): Intent[] {
  const mode = v.ui.mode;
  const action = resolve(['dialog'], typed, key)?.action;
  if (action === 'dialog.cancel') return cancel(v);
  if (mode.kind === 'prompt') return promptKey(v, mode, typed, key);
  if (action === 'dialog.prev' || action === 'dialog.next')
    return [ui({ type: 'choice.move', delta: action === 'dialog.next' ? 1 : -1 })];
  if (action !== 'dialog.submit') return [];
  const close = setMode(NORMAL);
  if (mode.kind === 'confirm')
    return [close, mode.choice === 'confirm' ? mode.effect : flash('info', 'cancelled: nothing changed')];
  if (mode.kind === 'picker') {
    const s = v.state.services.find((x) => x.id === mode.service);
    const chosen = mode.options[mode.index];
    if (!s || chosen === undefined) return [close, flash('error', 'that service is gone')];
    return [
      close,
      ...followPlan(v.state, planSplit(v.state, s, mode.then, v.ui.focus[s.id], chosen), s.id, mode.then),
    ];
  }
  return [];
}
